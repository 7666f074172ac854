"""Run dgtui in a pseudo-terminal, as a user's terminal would: read what it draws, type keys."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence


class Terminal:
    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None, size: tuple[int, int] = (140, 40)):
        environ = {**os.environ, **(env or {}), "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        for forced in ("COLUMNS", "LINES"):  # pytest-xdist's workers set COLUMNS=80: the pty's size must decide
            environ.pop(forced, None)
        self.primary, secondary = pty.openpty()
        columns, rows = size
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dgtui", *args],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=environ,
            close_fds=True,
        )
        os.close(secondary)
        self.output = b""

    def read_until(self, needle: bytes, timeout: float) -> float | None:
        """Seconds since start when ``needle`` appeared in the output, or None at the timeout."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if needle in self.output:
                return time.perf_counter() - self.started
            if not self._read(0.05) and self.process.poll() is not None:
                break
        return time.perf_counter() - self.started if needle in self.output else None

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.primary], [], [], wait)
        if not ready:
            return False
        try:
            self.output += os.read(self.primary, 65536)
        except OSError:
            return False
        return True

    def press(self, keys: bytes) -> None:
        os.write(self.primary, keys)

    def wait(self, timeout: float) -> int | None:
        """The exit status, reading (and discarding) what it draws meanwhile; None if still running."""
        deadline = time.perf_counter() + timeout
        while self.process.poll() is None and time.perf_counter() < deadline:
            self._read(0.05)
        return self.process.poll()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.close(self.primary)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
