"""What a stream is, fixed when it is made: its name, its API, its source, its options, what its usage costs and
whether dgtui's own engine serves it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dgtui.protocol.flux import TURN_EVENTS
from dgtui.state.metrics import FLAGS
from dgtui.state.usage import DEFAULT_PRICES, Prices


@dataclass(frozen=True)
class Setup:
    name: str
    api: str = "v1"  # "v1": Nova on /v1/listen; "v2": Flux on /v2/listen (turns)
    source: str = ""  # what the source is, shown (so without secrets)
    options: dict[str, Any] = field(default_factory=dict)
    prices: Prices = DEFAULT_PRICES  # what its usage costs (the config file's [prices])
    local_engine: bool = False  # served by dgtui's embedded engine: not Deepgram's model, and not billed
    tapped: bool = False  # an application's own stream, watched by ``dgtui tap`` (the app sends; dgtui only sees)

    @property
    def flux(self) -> bool:
        return self.api == "v2"

    @property
    def flags(self) -> tuple[str, ...]:
        """The indicators this stream's protocol lights."""
        return TURN_EVENTS if self.flux else FLAGS
