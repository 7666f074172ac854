"""Allow ``python -m dgtui``."""

from dgtui.cli import main

raise SystemExit(main())
