"""The architecture, checked: the import contracts in pyproject.toml (``[tool.importlinter]``) with import-linter.

protocol < audio < session < server | tui < commands : config. The session layer never imports a server, the app
decodes no messages and opens no sockets, and the protocol package does no I/O.
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
    assert "3 kept, 0 broken" in report  # every contract was read and checked


def test_the_source_interface_and_the_session_load_no_pyav():
    """Sources declare their interface in a module without PyAV: the session layer imports it cheaply."""
    import subprocess
    import sys

    probe = "import sys, dgtui.audio.base, dgtui.session.runner; print('av' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.stdout.strip() == "False", result.stderr
