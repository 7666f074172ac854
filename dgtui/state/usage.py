"""What a stream uses and what that costs: audio billed (sent again after drops included, and told apart),
connection time, add-ons; priced from a table the user can edit. No I/O.

Deepgram bills streaming by the audio sent, each channel apart with ``multichannel``, and audio sent again after
a reconnect is billed again. The usage comes from the stream's state alone (bytes sent, the audio re-sent, the
options, the URL), so a replayed recording is metered exactly as it was live. A price that is not known gives
no figure, never a zero: :class:`NoPrice` says which price is missing and where to set it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dgtui.audio.chunks import SAMPLE_WIDTHS
from dgtui.state.audio import Audio

HOURS_PER_MONTH = 730  # 365 * 24 / 12

# Deepgram's pay-as-you-go streaming rates in USD per audio minute, as published on deepgram.com/pricing and read
# from copies of that page dated May-August 2026 (dgtui cannot read it live). Plans, regions and dates differ:
# set your own under [prices] in the config file. A model or add-on not listed has no price (no figure shown).
DEFAULT_AS_OF = "2026-08-01"
DEFAULT_MODEL_PRICES: dict[str, float] = {
    "nova-3": 0.0048,
    "nova-3-multilingual": 0.0058,  # nova-3 with language=multi
    "flux-general-en": 0.0065,
    "flux-general-multi": 0.0078,
}
DEFAULT_ADDON_PRICES: dict[str, float] = {"diarize": 0.0020}
ADDONS = ("diarize", "keyterm", "redact")  # options billed on top of the model when in use


@dataclass(frozen=True)
class Prices:
    """USD per audio minute by model and add-on, and how far the monthly projection reaches."""

    models: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MODEL_PRICES))
    addons: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_ADDON_PRICES))
    as_of: str = DEFAULT_AS_OF
    origin: str = "dgtui's defaults"  # or "config file"
    streams: int | None = None  # project per month at this many concurrent streams (None: the run's)
    all_backends: bool = False  # price streams to any URL (self-hosted Deepgram), not only Deepgram's cloud

    def month_streams(self, run_streams: int) -> int:
        """How many concurrent streams the monthly projection is for: ``streams``, else the run's."""
        return self.streams or max(1, run_streams)

    def describe(self) -> str:
        return f"prices: {self.origin}, as of {self.as_of} (USD per audio minute; edit [prices] in the config file)"


DEFAULT_PRICES = Prices()


@dataclass(frozen=True)
class Usage:
    """One stream's use of its backend so far."""

    audio_s: float  # audio sent once
    resent_s: float  # audio sent again after drops: billed again
    channels: int  # billed each apart with multichannel
    connection_s: float  # time with a connection open
    model: str | None  # the priced model's key ("nova-3-multilingual" for nova-3 with language=multi)
    addons: tuple[str, ...]  # the billed options in use
    billed_by: str  # "deepgram" (Deepgram's cloud), "local" (the embedded engine: free), "url" (another server)

    @property
    def billed_s(self) -> float:
        return (self.audio_s + self.resent_s) * self.channels

    def as_dict(self) -> dict[str, Any]:
        return {"audio_s": round(self.audio_s, 3), "resent_s": round(self.resent_s, 3), "channels": self.channels,
                "billed_s": round(self.billed_s, 3), "connection_s": round(self.connection_s, 3),
                "model": self.model, "addons": list(self.addons), "billed_by": self.billed_by}  # fmt: skip


@dataclass(frozen=True)
class Cost:
    """What a usage costs at the prices, and at that rate per hour and per month."""

    so_far: float  # USD
    resent: float  # the part of it for audio sent again
    per_minute: float  # USD per minute of streaming (the model and add-ons, times the channels)
    items: tuple[tuple[str, float], ...]  # (model or add-on, USD per audio minute)

    @property
    def per_hour(self) -> float:
        return self.per_minute * 60

    def per_month(self, streams: int) -> float:
        """At ``streams`` concurrent streams like this one, around the clock."""
        return self.per_hour * HOURS_PER_MONTH * streams

    def as_dict(self, streams: int) -> dict[str, Any]:
        return {
            "usd": round(self.so_far, 6),
            "resent_usd": round(self.resent, 6),
            "per_hour_usd": round(self.per_hour, 4),
            "per_month_usd": round(self.per_month(streams), 2),
            "month_streams": streams,
            "rates_per_min": dict(self.items),
        }


@dataclass(frozen=True)
class NoPrice:
    """Why there is no figure: a price not known, or a backend that does not bill."""

    reason: str

    def as_dict(self, streams: int) -> dict[str, Any]:
        return {"usd": None, "reason": self.reason}


def model_key(options: Mapping[str, Any]) -> str | None:
    model = options.get("model")
    if not isinstance(model, str):
        return None
    model = model.removesuffix("-general")
    if model == "nova-3" and options.get("language") == "multi":
        return "nova-3-multilingual"
    return model


def _in_use(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_in_use(v) for v in value)
    return value not in (None, False, "", "false")


def _audio_format(url: str) -> tuple[str | None, int, int]:
    """The encoding, sample rate and channels a stream's URL declares (a container declares none)."""
    query = parse_qs(urlsplit(url).query)
    encoding = query.get("encoding", [None])[0]
    try:
        rate = int(query.get("sample_rate", ["0"])[0])
        channels = int(query.get("channels", ["1"])[0])
    except ValueError:
        rate, channels = 0, 1
    return encoding, rate, max(1, channels)


def usage_of(
    options: Mapping[str, Any], url: str, local_engine: bool, bytes_sent: int, audio: Audio, connection_s: float
) -> Usage:
    """A stream's usage from its state's parts (live or replayed): its options, the URL it streams to, whether
    the local engine serves it, the bytes and audio sent, and its time connected."""
    encoding, rate, channels = _audio_format(url)
    width = SAMPLE_WIDTHS.get(encoding or "")
    # Exact from the bytes (every byte sent, again ones too); a container's bytes are not seconds: it is never sent
    # again, and a full buffer's audio was never sent.
    sent = bytes_sent / (width * rate * channels) if width and rate else max(0.0, audio.cursor - audio.lost)
    resent = min(sent, audio.resent)
    host = urlsplit(url).hostname or ""
    billed_by = "local" if local_engine else "deepgram" if host.endswith("deepgram.com") else "url"
    return Usage(
        audio_s=sent - resent,
        resent_s=resent,
        channels=channels if _in_use(options.get("multichannel")) else 1,
        connection_s=connection_s,
        model=model_key(options),
        addons=tuple(name for name in ADDONS if _in_use(options.get(name))),
        billed_by=billed_by,
    )


def bills(usage: Usage, prices: Prices) -> bool:
    """Whether the stream is billed at all: Deepgram's cloud, or another URL with ``all_backends``."""
    return usage.billed_by == "deepgram" or (usage.billed_by == "url" and prices.all_backends)


def cost_of(usage: Usage, prices: Prices) -> Cost | NoPrice:
    """The usage at the prices; NoPrice when a price is missing (never a made-up zero) or nothing bills."""
    if usage.billed_by == "local":
        return NoPrice("the local engine is not billed")
    if not bills(usage, prices):
        return NoPrice("not Deepgram's cloud: not priced (set all_backends = true under [prices] to price it)")
    if usage.model is None or usage.model not in prices.models:
        return NoPrice(f"no price for the model {usage.model or '(none)'}: set it under [prices.models]")
    missing = [name for name in usage.addons if name not in prices.addons]
    if missing:
        return NoPrice(f"no price for {', '.join(missing)}: set it under [prices.addons]")
    items = ((usage.model, prices.models[usage.model]), *((name, prices.addons[name]) for name in usage.addons))
    per_audio_minute = sum(rate for _, rate in items)
    return Cost(
        so_far=usage.billed_s / 60 * per_audio_minute,
        resent=usage.resent_s * usage.channels / 60 * per_audio_minute,
        per_minute=per_audio_minute * usage.channels,
        items=tuple(items),
    )


def format_usd(value: float) -> str:
    """Money as people read it: cents where they matter, more digits for the small sums of a short run."""
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.4f}"


@dataclass(frozen=True)
class RunCost:
    """A run's streams together: the cost so far and per hour of those priced, and the monthly projection."""

    so_far: float
    per_hour: float  # all the priced streams together
    priced: int
    unpriced: int  # billed streams without a price: the totals leave them out, and say so
    billed: int  # streams that bill: Deepgram's cloud (other URLs with all_backends), not the local engine

    def per_month(self, streams: int) -> float:
        """At ``streams`` concurrent streams costing what the priced ones do on average, around the clock."""
        return self.per_hour / self.priced * streams * HOURS_PER_MONTH if self.priced else 0.0


def run_cost(streams: Iterable[tuple[Usage, Prices]]) -> RunCost:
    """The cost of every stream (its usage, at its prices)."""
    so_far = per_hour = 0.0
    priced = unpriced = billed = 0
    for usage, prices in streams:
        if not bills(usage, prices):
            continue
        billed += 1
        cost = cost_of(usage, prices)
        if isinstance(cost, Cost):
            priced += 1
            so_far, per_hour = so_far + cost.so_far, per_hour + cost.per_hour
        else:
            unpriced += 1
    return RunCost(so_far, per_hour, priced, unpriced, billed)
