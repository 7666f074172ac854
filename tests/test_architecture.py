"""The architecture, checked: the import contracts in pyproject.toml (``[tool.importlinter]``) with import-linter.

process < protocol | audio < state < judge < recordings | metrics < live | server | tap < config | headless | tui <
commands | testing, with no exception: the live loop never imports a server, the app decodes no messages and runs
no socket loop, the protocol package does no I/O, and neither does a stream's state or its judging. The metrics
read states, as the recorder does: a server or a tap tells them what it does through an interface of its own.
"""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    report = capsys.readouterr().out
    assert status == 0, report
    assert "4 kept, 0 broken" in report  # every contract was read and checked


def test_the_source_interface_and_the_session_load_no_pyav():
    """Sources declare their interface in a module without PyAV: the session layer imports it cheaply."""
    import subprocess
    import sys

    probe = "import sys, dgtui.audio.base, dgtui.live.runner; print('av' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.stdout.strip() == "False", result.stderr


def test_streams_declare_their_controls_and_replays_their_playback(tmp_path):
    from dgtui.audio.base import BrokenSource
    from dgtui.live.session import LiveSession, SessionConfig
    from dgtui.recordings.player import PlayedSession
    from dgtui.state.controls import Replayable, StreamControls

    live = LiveSession(SessionConfig("live", "ws://127.0.0.1:1/v1/listen"), BrokenSource("x.wav", "gone"))
    scripted = PlayedSession("scripted")
    assert isinstance(live, StreamControls) and isinstance(scripted, StreamControls)
    assert not isinstance(live, Replayable) and not isinstance(scripted, Replayable)  # only a recording replays


def test_a_session_has_a_state_and_an_audio_ledger_rather_than_being_one():
    """Composition: views read a StreamState; the connection loop drives it and asks a sans-I/O ledger about
    audio. Neither session kind is a StreamState, so a Flux state or a lane can be put beside them."""
    from dgtui.audio.base import BrokenSource
    from dgtui.live.ledger import AudioLedger
    from dgtui.live.session import LiveSession, SessionConfig
    from dgtui.recordings.player import PlayedSession
    from dgtui.state.stream import StreamState

    live = LiveSession(SessionConfig("live", "ws://127.0.0.1:1/v1/listen"), BrokenSource("x.wav", "gone"))
    played = PlayedSession("played")
    assert isinstance(live.state, StreamState) and isinstance(live.audio, AudioLedger)
    assert isinstance(played.state, StreamState)
    assert not isinstance(live, StreamState) and not isinstance(played, StreamState)
    assert (live.name, played.name) == ("live", "played")


def _has_logic(path: Path) -> bool:
    """A module defines a function or method with a body (declarations alone, Protocols' ``...``, need none)."""
    import ast

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            if any(not isinstance(s, ast.Pass) for s in body):
                return True
    return False


def test_the_tests_mirror_the_package():
    """A test folder per package folder, and a test module for every module with logic: ``dgtui/a/b.py`` is tested
    in ``tests/a/test_b.py`` (or ``tests/a/test_b_<aspect>.py``); a package's own ``__init__`` in
    ``tests/a/test_a.py``."""
    package = ROOT / "dgtui"
    folders = [p for p in package.rglob("*") if p.is_dir() and any(p.glob("*.py"))]  # packages, not data
    missing_folders = [str(f.relative_to(package)) for f in folders
                       if not (ROOT / "tests" / f.relative_to(package) / "__init__.py").exists()]  # fmt: skip
    assert missing_folders == [], f"no test folder for dgtui/{missing_folders}"
    untested = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "__main__.py" or not _has_logic(path):
            continue
        folder = ROOT / "tests" / path.parent.relative_to(package)
        name = path.parent.name if path.name == "__init__.py" else path.stem
        if not [*folder.glob(f"test_{name}.py"), *folder.glob(f"test_{name}_*.py")]:
            untested.append(str(path.relative_to(ROOT)))
    assert untested == [], f"modules with logic and no test module: {untested}"
