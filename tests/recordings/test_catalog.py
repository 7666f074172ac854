"""The index of recordings: a listing reads it and stats the files, reads again only what changed, drops what is
gone, rebuilds a missing or damaged index, lists without one it cannot write, and filters by name, date and
any request id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dgtui.recordings import catalog as catalog_module
from dgtui.recordings.catalog import INDEX, VERSION, Filters, catalog
from tests.support.cli import dgtui
from tests.support.recordings import recording


@pytest.fixture
def folder(tmp_path) -> Path:
    recording(tmp_path, "radio-one", ["aaaa1111-0000", "bbbb2222-0000"], 30.0, wall=1764600000.0)  # 2025-12-01
    recording(tmp_path, "call-7", ["cccc3333-0000"], 12.5, wall=1764700000.0)  # 2025-12-02
    recording(tmp_path, "radio-two", ["dddd4444-0000"], 8.0, wall=1764800000.0)  # 2025-12-03
    return tmp_path


def test_a_listing_writes_the_index_and_the_next_one_reads_it_instead_of_the_files(folder, monkeypatch):
    first = catalog(folder)
    assert [info.name for info in first] == ["radio-two", "call-7", "radio-one"]  # newest first
    assert first[2].request_ids == ("aaaa1111-0000", "bbbb2222-0000") and first[2].duration == 30.0
    assert json.loads((folder / INDEX).read_text())["version"] == VERSION

    def unread(path):  # type: ignore[no-untyped-def]
        raise AssertionError(f"{path} was read again")

    monkeypatch.setattr(catalog_module, "describe_recording", unread)
    assert catalog(folder) == first  # from the index: no recording is read


def test_a_changed_file_is_read_again_a_gone_one_dropped_a_damaged_index_rebuilt(folder):
    catalog(folder)
    radio = next(folder.glob("*/radio-one-*.jsonl"))
    with open(radio, "a", encoding="utf-8") as f:  # a session still being written: it grew
        f.write(json.dumps({"type": "dgtui.Audio", "name": "radio-one", "cursor_s": 95.0, "level_db": -20.0,
                            "mono": 2.0, "bytes": 1}, separators=(",", ":")) + "\n")  # fmt: skip
    next(folder.glob("*/call-7-*.jsonl")).unlink()
    found = {info.name: info for info in catalog(folder)}
    assert set(found) == {"radio-one", "radio-two"} and found["radio-one"].duration == 95.0
    assert set(json.loads((folder / INDEX).read_text())["entries"]) == {str(i.path.relative_to(folder))
                                                                        for i in found.values()}  # fmt: skip
    (folder / INDEX).write_text("{ half an index")  # damaged: rebuilt from the files
    assert len(catalog(folder)) == 2 and json.loads((folder / INDEX).read_text())["version"] == VERSION


def test_an_index_that_cannot_be_written_costs_speed_only(folder):
    (folder / INDEX).mkdir()  # where the index would go, something it cannot replace
    assert [info.name for info in catalog(folder)] == ["radio-two", "call-7", "radio-one"]


def test_filters_by_name_date_and_any_request_id(folder):
    names = lambda **given: [info.name for info in catalog(folder, Filters(**given))]  # noqa: E731
    assert names(name="RADIO") == ["radio-two", "radio-one"]
    assert names(date="2025-12-02") == ["call-7"] and names(date="2025-12") == ["radio-two", "call-7", "radio-one"]
    assert names(request_id="bbbb2222") == ["radio-one"]  # the second connection's request id finds it too
    assert names(name="radio", request_id="cccc") == []
    result = dgtui("sessions", "--dir", str(folder), "--request-id", "dddd", "--json")
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [line["name"] for line in lines] == ["radio-two"] and lines[0]["request_ids"] == ["dddd4444-0000"]
    none = dgtui("sessions", "--dir", str(folder), "--name", "nothing")
    assert none.returncode == 0 and "no recordings that match in" in none.stderr.decode()
