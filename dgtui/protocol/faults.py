"""Faults a Deepgram stream can be made to suffer, on demand and reproducibly: their spec (``KIND[:key=value,...]``,
the same on the command line, in the config file and in the pytest plugin) and the decisions they make on one
connection, without I/O. The relay that carries a stream (``dgtui tap``, and ``dgtui serve`` with faults, which
puts the same relay in front of itself) drives them: it asks at the handshake, as the client's audio advances and
as the server's messages pass, and does what they say.

- ``refuse`` (``status``: 400, 401, 402, 403, 429, 503; 429): the handshake refused with that status, Deepgram's
  JSON body, ``dg-error`` and ``dg-request-id``;
- ``handshake`` (``ms``: 2000): a slow handshake, the answer held that long;
- ``close`` (``code``: 1011; ``reason``): the server's close, no Metadata (1011 says NET-0001's reason unless given);
- ``drop``: the TCP connection cut, no close frame (the client sees 1006);
- ``delay`` (``ms``: 500, or a range ``ms=200-800``, uniform and seeded): every server message that much later;
- ``stall`` (``for``: 5s; ``then``: ``resume`` or ``close``): no server message for a while, then all (or a 1011);
- ``error`` (``code``, ``description``): an ``Error`` message in the API's shape, then a 1011 close;
- ``malformed`` (``how``: ``truncate`` or ``garbage``): a text message that is not valid JSON;
- ``bandwidth`` (``kbps``: 64): both directions limited to that many kilobits a second.

When: ``at=3s`` (the client's audio reaches 3 s), ``after=N`` (N server messages passed), neither: at once (the
handshake's kinds, ``delay`` and ``bandwidth`` apply from the start; the others at the first audio). On which
connections: ``conn=N`` (only the Nth matching one, from 1), ``path=v1`` or ``v2``, ``p=0.2`` with ``seed=7``
(each connection drawn in turn from a generator seeded once: the same connections every run).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from dgtui.protocol.errors import NET0000_REASON, NET0001_REASON

KINDS = ("refuse", "handshake", "close", "drop", "delay", "stall", "error", "malformed", "bandwidth")
TIMED = ("close", "drop", "stall", "error", "malformed")  # fire once, when their moment comes
COMMON = ("at", "after", "conn", "p", "seed", "path")
KEYS = {
    "refuse": ("status",),
    "handshake": ("ms",),
    "close": ("code", "reason"),
    "drop": (),
    "delay": ("ms",),
    "stall": ("for", "then"),
    "error": ("code", "description"),
    "malformed": ("how",),
    "bandwidth": ("kbps",),
}
REFUSALS = {
    400: ("Bad Request", "INVALID_QUERY_PARAMETER", "Invalid query parameter (a fault injected by dgtui)."),
    401: ("Unauthorized", "INVALID_AUTH", "Invalid credentials."),
    402: ("Payment Required", "ASR_PAYMENT_REQUIRED", "Project does not have enough credits for an API request."),
    403: ("Forbidden", "INSUFFICIENT_PERMISSIONS", "You do not have permission to access this resource."),
    429: ("Too Many Requests", "TOO_MANY_REQUESTS", "Too many requests. Please try again later"),
    503: ("Service Unavailable", "SERVICE_UNAVAILABLE", "The service is temporarily unavailable."),
}


class FaultError(ValueError):
    """A fault spec that cannot work: the message names the part and says what is expected."""


def _seconds(key: str, text: str) -> float:
    number, scale = (text[:-2], 0.001) if text.endswith("ms") else (text.removesuffix("s"), 1.0)
    try:
        value = float(number) * scale
    except ValueError:
        raise FaultError(f"{key}={text}: expected a time such as 3s or 500ms") from None
    if value < 0:
        raise FaultError(f"{key}={text}: expected a time of 0 or more")
    return value


def _number(key: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultError(f"{key}={text}: expected a number") from None
    if not low <= value <= high:
        raise FaultError(f"{key}={text}: expected {low:g} to {high:g}")
    return value


@dataclass(frozen=True)
class Fault:
    """One ``--fault``, read."""

    kind: str
    spec: str  # as written
    at: float | None = None  # audio seconds
    after: int | None = None  # server messages
    conn: int | None = None
    p: float = 1.0
    seed: int | None = None
    path: str | None = None  # "v1" or "v2"
    status: int = 429
    ms: tuple[float, float] = (0.0, 0.0)  # a delay: fixed (equal ends) or a range
    code: int | None = None
    reason: str | None = None
    duration: float = 5.0  # stall's ``for``
    then: str = "resume"
    description: str = ""
    how: str = "truncate"
    kbps: float = 64.0

    @property
    def timed(self) -> bool:
        return self.kind in TIMED


def parse_fault(spec: str) -> Fault:
    """``KIND[:key=value,...]``, checked: a :class:`FaultError` says what is wrong and what is expected."""
    kind, _, rest = spec.strip().partition(":")
    if kind not in KINDS:
        raise FaultError(f"--fault {spec}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = part.partition("=")
        if not sep or key not in KEYS[kind] + COMMON:
            allowed = ", ".join(KEYS[kind] + COMMON)
            raise FaultError(f"--fault {spec}: {part!r} is not a key=value this kind takes ({allowed})")
        values[key] = value
    try:
        return _read(kind, spec, values)
    except FaultError as exc:
        raise FaultError(f"--fault {spec}: {exc}") from None


def _read(kind: str, spec: str, v: dict[str, str]) -> Fault:
    return Fault(kind, spec.strip(), **_when(v), **_kind_fields(kind, v))  # type: ignore[arg-type]


def _when(v: dict[str, str]) -> dict[str, object]:
    """The keys every kind takes: when it fires, and on which connections."""
    fields: dict[str, object] = {}
    if "at" in v:
        fields["at"] = _seconds("at", v["at"])
    if "after" in v:
        fields["after"] = int(_number("after", v["after"], 0, 1e9))
    if "conn" in v:
        fields["conn"] = int(_number("conn", v["conn"], 1, 1e9))
    if "p" in v:
        fields["p"] = _number("p", v["p"], 0, 1)
    if "seed" in v:
        fields["seed"] = int(_number("seed", v["seed"], -(2**62), 2**62))
    if "path" in v:
        if v["path"] not in ("v1", "v2"):
            raise FaultError(f"path={v['path']}: expected v1 or v2")
        fields["path"] = v["path"]
    return fields


def _choice(key: str, v: dict[str, str], default: str, allowed: tuple[str, ...]) -> str:
    value = v.get(key, default)
    if value not in allowed:
        raise FaultError(f"{key}={value}: expected {' or '.join(allowed)}")
    return value


def _kind_fields(kind: str, v: dict[str, str]) -> dict[str, object]:
    """The keys of one kind, with their defaults."""
    if kind == "refuse":
        status = int(_number("status", v.get("status", "429"), 100, 599))
        if status not in REFUSALS:
            raise FaultError(f"status={status}: expected one of {', '.join(map(str, REFUSALS))}")
        return {"status": status}
    if kind in ("handshake", "delay"):
        low, _, high = v.get("ms", "2000" if kind == "handshake" else "500").partition("-")
        first = _number("ms", low, 0, 600_000)
        return {"ms": (first, _number("ms", high, first, 600_000) if high else first)}
    if kind == "close":
        code = int(_number("code", v["code"], 1000, 4999)) if "code" in v else None
        return {"code": code, "reason": v.get("reason")}
    if kind == "error":  # its code is a word: the Error message's
        return {"reason": v.get("code", "INTERNAL_SERVER_ERROR"),
                "description": v.get("description") or "An error injected by dgtui (a fault)."}  # fmt: skip
    if kind == "stall":
        return {
            "duration": _seconds("for", v.get("for", "5s")),
            "then": _choice("then", v, "resume", ("resume", "close")),
        }
    if kind == "malformed":
        return {"how": _choice("how", v, "truncate", ("truncate", "garbage"))}
    if kind == "bandwidth":
        return {"kbps": _number("kbps", v.get("kbps", "64"), 1, 1e7)}
    return {}


@dataclass(frozen=True)
class Action:
    """What a fault asks of the relay now: ``kind`` is one of :data:`TIMED`, with what it needs."""

    fault: Fault
    describe: str  # for the stream's event and ``--json``

    @property
    def kind(self) -> str:
        return self.fault.kind


@dataclass
class Refusal:
    status: int
    phrase: str
    err_code: str
    message: str

    def body(self, request_id: str) -> bytes:
        return json.dumps({"err_code": self.err_code, "err_msg": self.message, "request_id": request_id}).encode()


@dataclass
class ConnectionFaults:
    """The faults one connection gets, and when each fires (once)."""

    faults: list[Fault]
    flux: bool = False
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    fired: list[str] = field(default_factory=list)
    _pending: list[Fault] = field(default_factory=list)
    _messages: int = 0

    def __post_init__(self) -> None:
        self._pending = [f for f in self.faults if f.timed]

    def __bool__(self) -> bool:
        return bool(self.faults)

    def refusal(self) -> Refusal | None:
        fault = next((f for f in self.faults if f.kind == "refuse"), None)
        if fault is None:
            return None
        self.fired.append(f"{fault.spec}: handshake refused with HTTP {fault.status}")
        phrase, err_code, message = REFUSALS[fault.status]
        return Refusal(fault.status, phrase, err_code, message)

    def handshake_delay(self) -> float:
        total = sum(f.ms[0] for f in self.faults if f.kind == "handshake") / 1000
        if total:
            self.fired.append(f"handshake held {total * 1000:.0f} ms")
        return total

    def message_delay(self) -> float:
        """Seconds to hold the next server message (0: none)."""
        fault = next((f for f in self.faults if f.kind == "delay"), None)
        if fault is None:
            return 0.0
        low, high = fault.ms
        return (low if low == high else self.rng.uniform(low, high)) / 1000

    def bandwidth(self) -> float | None:
        """Bytes a second each way, or None."""
        fault = next((f for f in self.faults if f.kind == "bandwidth"), None)
        return None if fault is None else fault.kbps * 1000 / 8

    def on_audio(self, cursor: float) -> list[Action]:
        """The client's audio reached ``cursor`` seconds: the timed faults due."""
        return self._due(lambda f: f.after is None and (f.at is None or cursor >= f.at), f"at {cursor:.2f} s of audio")

    def on_message(self) -> list[Action]:
        """A server message is about to pass: the timed faults due (``after=N``: once N have passed)."""
        due = self._due(lambda f: f.after is not None and self._messages >= f.after,
                        f"after {self._messages} server messages")  # fmt: skip
        self._messages += 1
        return due

    def _due(self, ready: object, when: str) -> list[Action]:
        now = [f for f in self._pending if ready(f)]  # type: ignore[operator]
        self._pending = [f for f in self._pending if f not in now]
        actions = [Action(f, f"{f.spec}: {_what(f, self.flux)}, {when}") for f in now]
        self.fired += [a.describe for a in actions]
        return actions

    def close_of(self, fault: Fault) -> tuple[int, str]:
        if fault.kind == "close":
            code = fault.code or 1011
            return code, fault.reason if fault.reason is not None else (NET0001_REASON if code == 1011 else "")
        return 1011, NET0000_REASON if fault.kind == "stall" else "an error injected by dgtui (a fault)"

    def error_message(self, fault: Fault) -> str:
        """An ``Error`` message in this API's shape."""
        if self.flux:
            return json.dumps({"type": "Error", "sequence_id": 0, "code": fault.reason,
                               "description": fault.description})  # fmt: skip
        return json.dumps({"type": "Error", "variant": fault.reason, "message": fault.description,
                           "description": fault.description})  # fmt: skip

    @staticmethod
    def malformed(fault: Fault) -> str:
        if fault.how == "garbage":
            return "\x00not json at all\x7f"
        return '{"type":"Results","channel_index":[0,1],"duration":1.0,"start":0.0,"is_final":tr'


def _what(fault: Fault, flux: bool) -> str:
    if fault.kind == "close":
        return f"closed {fault.code or 1011}"
    if fault.kind == "drop":
        return "connection cut (no close frame)"
    if fault.kind == "stall":
        return f"server messages held {fault.duration:g} s, then {fault.then}"
    if fault.kind == "error":
        return f"an Error ({fault.reason}) sent, then closed 1011"
    return f"a malformed message sent ({fault.how})"


class FaultPlan:
    """The run's faults, and which connections each touches: ``conn=N`` counts the connections it matches, and
    ``p``/``seed`` draws for each of them in turn, so a seeded plan picks the same connections every run."""

    def __init__(self, faults: list[Fault]) -> None:
        self.faults = faults
        self._seen = [0] * len(faults)
        self._draws = [random.Random(f.seed) for f in faults]
        self._connections = 0

    @classmethod
    def parse(cls, specs: list[str]) -> FaultPlan:
        return cls([parse_fault(spec) for spec in specs])

    def __bool__(self) -> bool:
        return bool(self.faults)

    def connection(self, flux: bool) -> ConnectionFaults:
        """The faults of the next connection (on ``/v2/listen`` when ``flux``)."""
        self._connections += 1
        chosen = []
        for index, fault in enumerate(self.faults):
            if fault.path is not None and (fault.path == "v2") != flux:
                continue
            self._seen[index] += 1
            draw = self._draws[index].random()  # drawn for every matching connection: the sequence is fixed
            if fault.conn is not None and fault.conn != self._seen[index]:
                continue
            if draw < fault.p:
                chosen.append(fault)
        return ConnectionFaults(chosen, flux, random.Random(self._connections))


def fault_kind(fired: str) -> str:
    """The kind of a fault from what it said as it fired (its spec comes first): ``refuse``, ``drop``, ..."""
    word = fired.split(":", 1)[0].split(" ", 1)[0]
    return word if word in KINDS else "other"
