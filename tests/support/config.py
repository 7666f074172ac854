"""Config files and flags as the config tests write and parse them."""

from __future__ import annotations

import argparse
from pathlib import Path

from dgtui.config.flags import add_recording_arguments, add_stream_arguments

KEY = "cfg-file-key-5f3a9b2c7d1e"  # a made-up key: the tests check it never shows


def flags(*argv: str) -> argparse.Namespace:
    """The stream and recording flags parsed as ``dgtui stream`` parses them."""
    parser = argparse.ArgumentParser()
    add_stream_arguments(parser)
    add_recording_arguments(parser)
    return parser.parse_args(list(argv))


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    """``config.toml`` with ``text``, readable by its owner only unless ``mode`` says otherwise."""
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return path
