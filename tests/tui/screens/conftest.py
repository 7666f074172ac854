"""A bare app that shows one screen: each screen tested alone, as a user meets it."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen


class Host(App[None]):
    """Pushes ``screen`` and keeps what it was dismissed with."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self._screen = screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self._screen, self.results.append)
