"""Regenerate the SVG screenshots in this directory from deterministic input (scripted streams, frozen clock).

    python screenshots/make.py [--out DIR]

The same scenes drive the snapshot tests (tests/support/scenes.py); tests/tui/test_screenshots.py fails when
the committed files are out of date.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dgtui.recordings.player import PlayerRunner  # noqa: E402
from dgtui.tui.app import DgtuiApp  # noqa: E402
from tests.support.scenes import TappedScene, flux_scene, lane_report, lane_scene, scene, tap_scene  # noqa: E402

SIZE = (140, 42)
NOTICE = (
    "Demo on the local engine (offline) · Deepgram: set DEEPGRAM_API_KEY · your audio: dgtui FILE|URL · "
    "the clips loop; pocketsphinx, English"
)
VIEWS = [  # file, seconds into the scene, keys pressed, the scene
    ("overview.svg", 10.2, [], scene),
    ("stream.svg", 10.2, ["1"], scene),
    ("inspector.svg", 12.4, ["2", "j"], scene),
    ("error.svg", 10.2, ["4"], scene),
    ("help.svg", 10.2, ["question_mark"], scene),
    ("compare.svg", 12.0, [], lane_scene),
    ("aligned.svg", 12.0, ["v"], lane_scene),
    ("flux.svg", 7.0, ["1"], flux_scene),
    ("tap.svg", 10.2, [], tap_scene),
    ("plot.svg", 30.0, ["1", "g"], scene),
    ("compare-plots.svg", 30.0, ["g"], lane_scene),
]
CHROMIUM = (
    "/usr/bin/chromium",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


async def shoot(out: Path, name: str, at: float, keys: list[str], make=scene) -> Path:  # type: ignore[no-untyped-def]
    made = make(at)
    sessions, clock, groups = (*made, []) if len(made) == 2 else made
    tapped = isinstance(sessions, TappedScene)  # dgtui tap's view: the runner is the scene
    app = DgtuiApp(
        sessions if tapped else PlayerRunner(sessions),
        backend_label="tap → wss://api.deepgram.com" if tapped else "local engine (pocketsphinx, offline)",
        notice=NOTICE if make is scene else None,
        clock=clock,
        run_streams=False,
        groups=[groups] if groups else (),
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys)
        await pilot.pause(0.3)
        for _ in range(50):  # a loaded machine can take longer to lay the footer's keys out: wait for them
            if app.screen_stack[0].query("FooterKey"):
                break
            await pilot.pause(0.1)
        await pilot.pause(0.1)
        path = out / name
        path.write_text(app.export_screenshot(title=f"dgtui: {name.removesuffix('.svg')}"), encoding="utf-8")
        return path


def report(out: Path, picture: bool) -> None:
    """``report.html``: the lane scene's HTML report (``--report FILE.html``), and with ``picture`` its page as
    headless Chromium draws it (``report.png``; fonts differ between machines, so the tests check only the HTML)."""
    import shutil
    import subprocess
    import tempfile

    page = out / "report.html"
    page.write_text(lane_report(30.0), encoding="utf-8")
    print(page)
    if picture and shutil.which(CHROMIUM[0]):
        with tempfile.TemporaryDirectory() as profile:
            shot = [f"--user-data-dir={profile}", "--window-size=1100,1500", f"--screenshot={out / 'report.png'}"]
            subprocess.run([*CHROMIUM, *shot, page.as_uri()], capture_output=True, timeout=120)
        print(out / "report.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--no-picture", action="store_true", help="skip report.png (headless Chromium)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, at, keys, make in VIEWS:
        print(asyncio.run(shoot(args.out, name, at, keys, make)))
    report(args.out, picture=not args.no_picture)


if __name__ == "__main__":
    main()
