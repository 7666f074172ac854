"""``dgtui`` run as a user runs it: a real process, without the user's Deepgram key."""

from __future__ import annotations

import os
import subprocess
import sys


def dgtui(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 90):
    environment = {k: v for k, v in os.environ.items() if k != "DEEPGRAM_API_KEY"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "dgtui", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=environment,
    )


def dgtui_text(*args: str, env: dict[str, str] | None = None, timeout: float = 90):
    """:func:`dgtui` with its output read as text."""
    environment = {k: v for k, v in os.environ.items() if k != "DEEPGRAM_API_KEY"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "dgtui", *args], capture_output=True, text=True, timeout=timeout, env=environment
    )
