"""Events as ``dgtui stream`` prints them, as they come.

Plain output prints transcripts like Deepgram's getting-started examples (finals; interims with
``--interim``), prefixed with the stream name when there are several. ``--json`` prints every server message
exactly as received, one per line, and dgtui's own events as lines whose ``type`` starts with ``dgtui.``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from dgtui.process.secrets import redact
from dgtui.protocol.flux import END_OF_TURN, TurnInfo
from dgtui.protocol.messages import Results
from dgtui.state.encoding import event_line
from dgtui.state.events import Event, MessageReceived, SessionError, SourceOpened, SourceTitle


@dataclass
class Printer:
    """Writes events as they come. One per run, shared by its sessions."""

    out: TextIO
    json_mode: bool
    show_interim: bool
    prefix: bool

    def __call__(self, event: Event) -> None:
        if self.json_mode:
            self._json(event)
        else:
            self._plain(event)

    def _json(self, event: Event) -> None:
        if isinstance(event, MessageReceived):
            self.out.write(event.raw.rstrip("\n") + "\n")  # exactly as received
        else:
            self._line(event_line(event))
        self.out.flush()

    def _line(self, data: dict[str, Any]) -> None:
        self.out.write(redact(json.dumps(data, separators=(",", ":"))) + "\n")

    def for_stream(self, stream: int) -> Callable[[Event], None]:
        """A listener for one of several streams that come and go (``dgtui tap``): in ``--json`` each line
        carries ``"stream": N``; a server message is ``{"stream": N, "message": RAW}`` with its raw text
        inside exactly as received. Plain output prefixes the stream's name, as with several streams."""
        if not self.json_mode:
            return self._plain

        def line(event: Event) -> None:
            if isinstance(event, MessageReceived):
                self.out.write(f'{{"stream":{stream},"message":{event.raw.strip()}}}\n')
            else:
                self._line({"stream": stream, **event_line(event)})
            self.out.flush()

        return line

    def _plain(self, event: Event) -> None:
        head = f"[{event.name}] " if self.prefix else ""
        if isinstance(event, MessageReceived) and isinstance(event.message, Results):
            result = event.message
            text = result.transcript
            if not text:
                return
            channel = f"(ch {result.channel_index[0]}) " if result.channel_index and result.channel_index[1] > 1 else ""
            if result.is_final:
                self.out.write(f"{head}{channel}{text}\n")
            elif self.show_interim:
                self.out.write(f"{head}{channel}~ {text}\n")
            self.out.flush()
        elif isinstance(event, MessageReceived) and isinstance(event.message, TurnInfo):
            self._turn(head, event.message)
        elif isinstance(event, SessionError):
            kind = "error" if event.fatal else "warning"  # a warning: the stream goes on
            print(f"dgtui: {head}{kind}: {event.message}", file=sys.stderr, flush=True)
        elif isinstance(event, SourceTitle):
            print(f"dgtui: {head}now playing: {event.title}", file=sys.stderr, flush=True)
        elif isinstance(event, SourceOpened):
            print(f"dgtui: {head}source: {event.kind}: {event.reason}", file=sys.stderr, flush=True)

    def _turn(self, head: str, turn: TurnInfo) -> None:
        """Flux: each turn once, at EndOfTurn (with ``--interim``, its updates and eager ends as it goes)."""
        if turn.event == END_OF_TURN:
            self.out.write(f"{head}{turn.transcript}\n" if turn.transcript else "")
        elif self.show_interim and turn.transcript:
            mark = {"EagerEndOfTurn": "? ", "TurnResumed": "↻ "}.get(turn.event, "~ ")
            self.out.write(f"{head}{mark}{turn.transcript}\n")
        self.out.flush()
