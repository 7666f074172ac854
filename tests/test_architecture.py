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
