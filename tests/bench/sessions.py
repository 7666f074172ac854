"""Listing recordings at scale: ``python -m tests.bench.sessions [--count 10000]``.

Writes COUNT recordings (a real one's lines and 150 messages, each with its own name, day and request id)
into a temporary folder, then times ``dgtui sessions``'s listing: with no index (every file read, and the
index written), with the index (the files only stat'ed), after 20 of them grew (those read again), and
filtered by a request id.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from dgtui.recordings.catalog import INDEX, Filters, catalog
from dgtui.recordings.listing import list_recordings
from tests.bench.report import emit_json, print_table
from tests.support.recordings import recording

MESSAGES = 150  # lines of server messages per recording (a real hour holds thousands)


def make(folder: Path, count: int) -> Path:
    template = recording(folder / "template", "station", ["00000000-template"], 3600.0, wall=1764600000.0)
    header, *rest = template.read_text(encoding="utf-8").splitlines(keepends=True)
    message = json.dumps(
        {
            "type": "Results",
            "is_final": False,
            "start": 1.0,
            "duration": 1.0,
            "channel": {"alternatives": [{"transcript": "words " * 30}]},
        },
        separators=(",", ":"),
    )
    text = header + "".join(rest) + (message + "\n") * MESSAGES  # a real one holds its messages too
    for n in range(count):
        day = folder / f"2026-11-{1 + n % 28:02d}"
        day.mkdir(exist_ok=True)
        request_id = f"{n:08x}-1234-4abc-8def-0123456789ab"
        body = text.replace("00000000-template", request_id).replace('"station"', f'"station-{n % 50}"')
        (day / f"station-{n % 50}-{request_id}.jsonl").write_text(body, encoding="utf-8")
    return template


def timed(function) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        make(folder, args.count)
        shutil.rmtree(folder / "template")
        count = args.count
        full, _ = timed(lambda: list_recordings(folder))
        cold, listed = timed(lambda: catalog(folder))
        warm, _ = timed(lambda: catalog(folder))
        for path in sorted(folder.glob("2026-11-01/*.jsonl"))[:20]:
            with open(path, "a", encoding="utf-8") as f:
                f.write('{"type":"dgtui.Audio","name":"x","cursor_s":3700.0,"level_db":-20.0,"mono":1.0,"bytes":1}\n')
        changed, _ = timed(lambda: catalog(folder))
        target = f"{args.count // 2:08x}"
        filtered, found = timed(lambda: catalog(folder, Filters(request_id=target)))
        index_kb = (folder / INDEX).stat().st_size / 1024
    assert len(listed) == count and len(found) == 1, (len(listed), len(found))  # type: ignore[arg-type]
    rows = [["every file read (no index)", full], ["no index yet (read, index written)", cold],
            ["with the index", warm], ["with the index, 20 files grew", changed],
            ["filtered by request id", filtered]]  # fmt: skip
    print_table(f"listing {count} recordings (index {index_kb:.0f} KB)", ["listing", "seconds"], rows)
    emit_json({"bench": "sessions", "recordings": count, "read_all_s": full, "cold_s": cold, "warm_s": warm,
               "changed_s": changed, "filtered_s": filtered, "index_kb": round(index_kb)})  # fmt: skip


if __name__ == "__main__":
    main()
