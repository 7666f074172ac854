"""Allow ``python -m dgtui``."""

from dgtui.commands.cli import main

raise SystemExit(main())
