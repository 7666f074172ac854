"""Where dgtui keeps its data, and its recordings within it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where dgtui keeps its data: ``DGTUI_DATA_DIR``, else the platform's user data directory."""
    override = environ.get("DGTUI_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("dgtui")


def sessions_dir(base: Path | None = None) -> Path:
    return (base or data_dir()) / "sessions"
