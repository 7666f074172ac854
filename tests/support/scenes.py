"""Deterministic scenes for the app: scripted sessions at a frozen clock (snapshots, screenshots, tests)."""

from __future__ import annotations

from typing import Any

from dgtui.judge.compare import LaneGroup
from dgtui.protocol.errors import CloseCode
from dgtui.recordings.player import PlayedSession, PlayerRunner, Step, step
from dgtui.state.client import FlowLog
from dgtui.state.events import (
    AudioAccounted,
    AudioSent,
    Closed,
    Control,
    Diagnosis,
    Reconnecting,
    State,
    StateChanged,
)
from tests.support.script import (
    audio_steps,
    close,
    connect,
    conversation,
    drop,
    fail,
    flux_turns,
    message,
    reconnect,
    word_times,
)

ORIGIN = 1000.0  # the frozen clock's zero
LOCAL_URL = "ws://127.0.0.1:8080/v1/listen?model=nova-3&interim_results=true&smart_format=true&vad_events=true" \
    "&utterance_end_ms=1000&encoding=linear16&sample_rate=16000&channels=1"  # fmt: skip
OPTIONS = {"model": "nova-3", "interim_results": True, "smart_format": True, "vad_events": True,
           "utterance_end_ms": 1000}  # fmt: skip

WEATHER = [
    "Good morning, here is the weather for Tuesday.",
    "Expect light rain in the north spreading east by the afternoon.",
    "Temperatures will reach fourteen degrees in the capital.",
    "Winds will ease overnight with clear skies by morning.",
]
COUNCIL = [
    "The meeting is called to order.",
    "First item is the budget for the new library.",
    "I move that we approve the budget as written.",
    "Seconded.",
]


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, at: float = 0.0) -> None:
        self.now = ORIGIN + at

    def __call__(self) -> float:
        return self.now

    def set(self, at: float) -> None:
        self.now = ORIGIN + at


def weather(clock: FrozenClock, request_id: str = "3f1c9a52-8d0e-4b7a-9f61-2c5e7d4a1b90", name: str = "weather",
            **more: Any) -> PlayedSession:  # fmt: skip
    steps = [
        connect(0.0, LOCAL_URL, request_id),
        *audio_steps(40.0),
        *conversation(WEATHER, request_id=request_id, low_confidence=lambda w: w in ("spreading", "fourteen")),
    ]
    return PlayedSession(name, steps, source="dgtui/data/weather.ogg", url="", options=OPTIONS, clock=clock, **more)


def council(clock: FrozenClock, request_id: str = "8b2d4e61-0c3f-4a9e-b5d7-6e1f2a3c4d5e", name: str = "council",
            **more: Any) -> PlayedSession:  # fmt: skip
    steps = [
        connect(0.0, LOCAL_URL + "&diarize=true", request_id),
        *audio_steps(40.0, level=lambda t: -30.0),
        *conversation(COUNCIL, request_id=request_id, speakers=[0, 1, 0, 1], start=1.0),
    ]
    options = {**OPTIONS, "diarize": True}
    return PlayedSession(name, steps, source="dgtui/data/council.ogg", options=options, clock=clock, **more)


def rejected(clock: FrozenClock) -> PlayedSession:
    error = (
        "the server refused the connection: HTTP 401 Unauthorized; dg-error: Invalid credentials.; "
        "request id 5a6b7c8d-0000-4000-8000-000000000001. Check DEEPGRAM_API_KEY (or --url)."
    )
    steps = [fail(0.4, error)]
    return PlayedSession("radio", steps, source="https://radio.example/live.mp3", options=OPTIONS, clock=clock)


def closed(clock: FrozenClock) -> PlayedSession:
    request_id = "c0ffee00-1234-4abc-8def-0123456789ab"
    steps = [
        connect(0.0, LOCAL_URL, request_id),
        *audio_steps(6.0),
        *conversation(WEATHER[:1], request_id=request_id),
        message(
            6.5,
            {
                "type": "Metadata",
                "transaction_key": "deprecated",
                "request_id": request_id,
                "sha256": "9a3b5c7d1e2f4a6b8c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b",
                "created": "2026-11-23T10:00:06.500Z",
                "duration": 6.0,
                "channels": 1,
            },
        ),
        close(6.6, CloseCode.NORMAL),
    ]
    return PlayedSession("support", steps, source="dgtui/data/support.ogg", options=OPTIONS, clock=clock)


def scene(at: float) -> tuple[list[PlayedSession], FrozenClock]:
    """Four streams as they stand ``at`` seconds after they started (all started at the clock's zero)."""
    clock = FrozenClock(at)
    sessions = [weather(clock), council(clock), closed(clock), rejected(clock)]
    for session in sessions:
        session.advance(at, origin=ORIGIN)
    return sessions, clock


def many_scene(count: int, at: float) -> tuple[list[PlayedSession], FrozenClock]:
    """``count`` streams (a wall of stations): weather and council copies, each its own request id."""
    clock = FrozenClock(at)
    sessions = []
    for n in range(count):
        make, name = (weather, "weather") if n % 2 == 0 else (council, "council")
        sessions.append(make(clock, request_id=f"{n:08x}-1234-4abc-8def-0123456789ab", name=f"{name}-{n + 1}"))
    for session in sessions:
        session.advance(at, origin=ORIGIN)
    return sessions, clock


def reconnecting_scene(at: float) -> tuple[list[PlayedSession], FrozenClock]:
    """The demo scene with the first stream's connection dropped a moment ago: waiting to reconnect."""
    sessions, clock = scene(at)
    state = sessions[0].state  # the test owns the played stream: it applies what its live loop would have
    lost = "the connection was lost (no close frame: network error or server crash)"
    state.apply(Closed(state.name, None, "", lost))
    state.apply(AudioAccounted(state.name, resent=1.8))
    state.apply(Reconnecting(state.name, 2, 5, 1.4, lost))
    state.apply(Control(state.name, "reconnect", state.committed_until()))
    state.apply(StateChanged(state.name, State.CONNECTING))
    return sessions, clock


FLUX_URL = (
    "ws://127.0.0.1:8080/v2/listen?model=flux-general-en&eager_eot_threshold=0.4&encoding=linear16&sample_rate=16000"
)
FLUX_OPTIONS = {"model": "flux-general-en", "eager_eot_threshold": 0.4}
AGENT = [
    "I would like to book a table for two tonight.",
    "Around eight if you have anything by the window please.",
    "Yes that works, thank you.",
]


def flux_agent(clock: FrozenClock, request_id: str = "0c9e1f2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b") -> PlayedSession:
    """A voice-agent call on Flux: three turns, the second paused mid-way (an eager end, then resumed)."""
    steps = [
        connect(0.0, FLUX_URL, request_id),
        *audio_steps(40.0),
        *flux_turns(AGENT, request_id=request_id, resume_after=1),
    ]
    # the demo's engine: the tab says it is not Deepgram's Flux model
    return PlayedSession("agent", steps, source="caller.wav", options=FLUX_OPTIONS, clock=clock, api="v2",
                         local_engine=True)  # fmt: skip


def flux_scene(at: float) -> tuple[list[PlayedSession], FrozenClock]:
    """A Flux stream beside a Nova one (v1 and v2 in one run), ``at`` seconds in."""
    clock = FrozenClock(at)
    sessions = [flux_agent(clock), weather(clock)]
    for session in sessions:
        session.advance(at, origin=ORIGIN)
    return sessions, clock


def lane_scene(at: float) -> tuple[list[PlayedSession], FrozenClock, LaneGroup]:
    """One source through two lanes: ``fast`` hears it right and early, ``slow`` late and with two words wrong."""
    clock = FrozenClock(at)
    misheard = [WEATHER[0], WEATHER[1].replace("light", "late").replace("east", "yeast"), *WEATHER[2:]]
    fast = PlayedSession("weather/fast", [connect(0.0, LOCAL_URL, "1a2b3c4d-0000-4000-8000-00000000000a"),
                                          *audio_steps(40.0), *conversation(WEATHER, latency=0.12)],
                         source="weather.wav", options={**OPTIONS, "endpointing": 10}, clock=clock)  # fmt: skip
    slow = PlayedSession("weather/slow", [connect(0.0, LOCAL_URL, "5e6f7a8b-0000-4000-8000-00000000000b"),
                                          *audio_steps(40.0), *conversation(misheard, latency=0.45)],
                         source="weather.wav", options={**OPTIONS, "endpointing": 500}, clock=clock)  # fmt: skip
    sessions = [fast, slow]
    for session in sessions:
        session.advance(at, origin=ORIGIN)
    truth = word_times(WEATHER)
    group = LaneGroup("weather", ("weather/fast", "weather/slow"), " ".join(WEATHER), "weather.json", truth)
    return sessions, clock, group


DEEPGRAM_URL = LOCAL_URL.replace("ws://127.0.0.1:8080", "wss://api.deepgram.com")


def deepgram_scene(at: float) -> tuple[list[PlayedSession], FrozenClock]:
    """Two streams to Deepgram's cloud, priced at dgtui's defaults: the cost on the Overview and in a stream's
    header; the first sent 1.8 s again after a reconnect (billed again)."""
    clock = FrozenClock(at)
    sessions = []
    for make, request_id, conditions in ((weather, "d1e2a3b4-0000-4000-8000-00000000000a", ["noise:snr=20"]),
                                         (council, "d1e2a3b4-0000-4000-8000-00000000000b", [])):  # fmt: skip
        # the first's audio is made noisier before it is sent
        session = make(clock, request_id=request_id, conditions=conditions)
        session.steps[0] = connect(0.0, DEEPGRAM_URL + ("&diarize=true" if make is council else ""), request_id)
        sessions.append(session)
    # 1.8 s sent again: its bytes, the cursor unmoved
    sessions[0].steps.insert(1, step(0.05, AudioAccounted("", resent=1.8), AudioSent("", 57600, 0.0, -20.0)))
    for session in sessions:
        session.advance(at, origin=ORIGIN)
    return sessions, clock


def wall_scene(at: float) -> tuple[list[PlayedSession], FrozenClock]:
    """A wall of feeds: weather's audio went dead at 4 s (no audio level since), council's words stopped after
    its first sentence, support dropped once and came back; the app flags silence after 5 s."""
    clock = FrozenClock(at)
    dead_steps = [connect(0.0, LOCAL_URL, "a1"), *audio_steps(40.0, level=lambda t: -18.0 if t < 4 else -96.0),
                  *conversation(WEATHER[:1], request_id="a1")]  # fmt: skip
    dead = PlayedSession("weather", dead_steps, options=OPTIONS, clock=clock)
    quiet_steps = [connect(0.0, LOCAL_URL, "b1"), *audio_steps(40.0, level=lambda t: -24.0),
                   *conversation(COUNCIL[:1], request_id="b1", start=1.0)]  # fmt: skip
    quiet = PlayedSession("council", quiet_steps, options=OPTIONS, clock=clock)
    dropped = [connect(0.0, LOCAL_URL, "c1"), *audio_steps(40.0),
               *conversation(WEATHER[:2], request_id="c1"),
               drop(8.5),
               reconnect(9.7, LOCAL_URL, "c2", dropped_at=8.5)]  # fmt: skip
    back = PlayedSession("support", dropped, options=OPTIONS, clock=clock)
    sessions = [dead, quiet, back]
    for session in sessions:
        session.advance(at, origin=ORIGIN)
    return sessions, clock


TAP_URL = "wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&interim_results=true"
TAP_OPTIONS = {"model": "nova-3", "encoding": "linear16", "sample_rate": "16000", "interim_results": "true"}


class TappedScene(PlayerRunner):
    """What ``dgtui tap`` shows, scripted: an app's streams and its other traffic (flows)."""

    def __init__(self, sessions: list[PlayedSession], flows: FlowLog) -> None:
        super().__init__(sessions)
        self.flows = flows

    async def start(self) -> None:
        return None

    def greeting(self) -> str:
        return (
            "Point your app's Deepgram SDK at ws://127.0.0.1:8081 (its base URL) → wss://api.deepgram.com · "
            "each live stream shows here as it connects · other requests pass through (the Flows tab)"
        )


def _diagnosed(at: float, code: str, summary: str, message: str) -> Step:
    return step(at, Diagnosis("", code, summary, message))


def tap_scene(at: float) -> tuple[TappedScene, FrozenClock]:
    """An app seen through the tap: a healthy agent call (KeepAlive while it listens), a caller whose audio comes
    at 0.62x real time (late results), and a call that sent a WAV header as raw audio and hung up without
    CloseStream; beside them, the app's pre-recorded request, a text-to-speech WebSocket and a management call."""
    clock = FrozenClock(at)
    agent = [connect(0.0, TAP_URL + "&tag=agent-7", "7d41c0e2-2b1a-4c55-9a0e-5d8c3f1b2a60"), *audio_steps(40.0),
             *conversation(WEATHER, request_id="7d41c0e2-2b1a-4c55-9a0e-5d8c3f1b2a60"),
             step(6.0, Control("", "KeepAlive"))]  # fmt: skip
    slow_audio = [step(round(i * 0.1, 3), AudioSent("", 1984, round(i * 0.062, 4), -21.0)) for i in range(1, 400)]
    slow = [connect(0.0, TAP_URL, "8b2d4e61-0c3f-4a9e-b5d7-6e1f2a3c4d5e"), *slow_audio,
            *conversation(COUNCIL, request_id="8b2d4e61-0c3f-4a9e-b5d7-6e1f2a3c4d5e", start=1.0, latency=0.9),
            _diagnosed(5.0, "slow", "audio sent at 0.62x real time",
                       "the app sends audio at 0.62x real time: results come late because the audio does. Look at "
                       "the app's capture and send path, not the model.")]  # fmt: skip
    raw = [connect(0.0, TAP_URL + "&tag=call-centre-3", "c4a1e9f0-7b3d-4e2a-8c5f-1d0b9a8e7f6c"), *audio_steps(6.0),
           *conversation(WEATHER[:1], request_id="c4a1e9f0-7b3d-4e2a-8c5f-1d0b9a8e7f6c"),
           _diagnosed(0.1, "container-as-raw", "a WAV file sent as raw audio",
                      "the app sends a WAV file (RIFF header) while its query says raw audio (encoding=...): the "
                      "header is heard as noise and the words may be garbled. Send the PCM without its header, or "
                      "leave encoding and sample_rate out and send the file as is."),
           _diagnosed(6.0, "tail-lost", "closed without CloseStream: 2.6 s lost",
                      "the app closed without CloseStream with 2.6 s of audio not yet final: those words were lost. "
                      "Send CloseStream and read until the server closes."),
           close(6.1)]  # fmt: skip
    peer = "tapped from 127.0.0.1:5214"
    sessions = [
        PlayedSession("agent-7", agent, source=f"{peer}4", options=TAP_OPTIONS, clock=clock, tapped=True),
        PlayedSession("127.0.0.1:52190·8b2d4e61", slow, source=f"{peer}6", options=TAP_OPTIONS, clock=clock,
                      tapped=True),
        PlayedSession("call-centre-3", raw, source=f"{peer}8", options=TAP_OPTIONS, clock=clock, tapped=True),
    ]  # fmt: skip
    for session in sessions:
        session.advance(at, origin=ORIGIN)
    flows = FlowLog()
    for started, method, target, status, sent, received, took in (
        (1.0, "POST", "/v1/listen?model=nova-3&smart_format=true", 200, 482_113, 6_204, 1.84),
        (2.5, "GET", "/v1/speak?model=aura-2-thalia-en&encoding=linear16", 101, 1_380, 96_000, 4.2),
        (7.0, "GET", "/v1/projects", 200, 0, 512, 0.21),
        (9.5, "POST", "/v1/speak?model=aura-2-thalia-en", None, 64, 0, None),
    ):
        flow = flows.start("127.0.0.1:52200", method, target, ORIGIN + started)
        flow.status, flow.sent, flow.received = status, sent, received
        flow.ended = None if took is None else ORIGIN + started + took
    return TappedScene(sessions, flows), clock


def lane_report(at: float = 30.0) -> str:
    """The HTML report (``--report FILE.html``) of the lane scene ``at`` seconds in, as the headless run writes it."""
    from dgtui.judge.alignment import align
    from dgtui.judge.compare import compare_lanes
    from dgtui.judge.gates import figures
    from dgtui.judge.html_report import LaneGroupReport, html_report
    from dgtui.judge.rundiff import Subject, manifest_of

    sessions, _, group = lane_scene(at)
    states = [s.state for s in sessions]
    comparison = compare_lanes(group, states, complete=lambda state: True)
    segments = align(states, group.reference, group.truth, complete=lambda state: True)
    subjects = [Subject(row.name, figures(row), row.transcript, manifest_of(state, group.reference))
                for row, state in zip(comparison.rows, states, strict=True)]  # fmt: skip
    return html_report([LaneGroupReport(comparison, states, segments, subjects)])
