"""An engine worker process: decodes and recognizes one stream, talking frames over stdin/stdout.

Started warm by :mod:`.pool` (the model is loaded before the stream is assigned), it serves exactly one
stream and exits. Run as ``python -m dgtui.server.engine.worker``.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from dgtui.audio.decode import ContainerDecoder, Pcm, RawDecoder, UndecodableAudio, parse_wav_header
from dgtui.protocol.errors import DATA0000_REASON
from dgtui.server.engine import ipc
from dgtui.server.engine.recognizer import ChannelRecognizer, RecognizerSettings, new_decoder
from dgtui.server.engine.slots import CpuSlots, NoSlots
from dgtui.server.engine.synthetic import PlaceholderDecoder
from dgtui.server.engine.turn_taking import STEP_S, FluxTurns, TurnSettings

TURN_STEP_BYTES = int(STEP_S * 16000) * 2  # 50 ms of 16 kHz s16 mono: Flux looks at a turn this often
SNIFF_LIMIT = 64 * 1024  # bytes to wait for a complete WAV header before handing the stream to FFmpeg


def _dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


class FrameWriter:
    """Serialises frames from the main thread and the container-decoding thread."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, kind: bytes, payload: bytes = b"") -> None:
        with self._lock:
            self._stream.write(ipc.pack(kind, payload))
            self._stream.flush()


class EngineSession:
    """One stream: picks a decoder from the first bytes, feeds a recognizer per channel."""

    def __init__(
        self, config: dict[str, Any], decoder: Any, writer: FrameWriter, decoders: Callable[[], Any] = new_decoder
    ) -> None:
        options: dict[str, Any] = config["options"]
        self._new_decoder = decoders  # for each channel after the first
        self._writer = writer
        self._metadata = config["metadata"]
        self._settings = RecognizerSettings.from_options(options, config.get("interim_interval_s", 0.25))
        self._split = bool(options.get("multichannel"))
        self._spare_decoders = [decoder]
        self._lock = threading.Lock()
        self._recognizers: list[ChannelRecognizer] | None = None
        self._input: RawDecoder | ContainerDecoder | None = None
        self._sniffed = b""
        self._failed = False
        self._cpu_at_open = time.process_time()
        self._turn_pending = b""  # Flux: audio short of a whole step, held until the step is complete
        flux = config.get("flux")  # a /v2/listen stream: the recognizer's results become turns
        self._turns = FluxTurns(TurnSettings(**flux), self._emit, self._finalize_all) if flux is not None else None
        slots = config.get("cpu_slots")
        self._slots = CpuSlots(slots["dir"], slots["count"]) if slots else NoSlots()
        if "encoding" in options:
            try:
                self._input = RawDecoder(
                    options["encoding"], options["sample_rate"], options.get("channels", 1), self._split
                )
            except UndecodableAudio as exc:
                self._on_error(exc)

    # -- commands from the server ------------------------------------------------------------------------

    def audio(self, data: bytes) -> None:
        if self._failed:
            return
        if self._input is None:
            self._sniffed += data
            if not self._choose_input():
                return
            data, self._sniffed = self._sniffed, b""
        if isinstance(self._input, RawDecoder):
            try:
                for pcm in self._input.feed(data):
                    self._on_pcm(pcm)
            except UndecodableAudio as exc:
                self._on_error(exc)
        elif self._input is not None:
            self._input.feed(data)

    def finalize(self, channel: int | None) -> None:
        with self._lock:
            for index, recognizer in enumerate(self._recognizers or []):
                if channel is None or channel == index:
                    recognizer.finalize()

    def force_end_turn(self) -> None:
        """Flux ``ForceEndTurn``: the turn ends now, or a Warning says there was none."""
        with self._lock:
            self._drain_turns()
            if self._turns is not None and not self._turns.force_end():
                self._emit(
                    {
                        "type": "Warning",
                        "code": "FORCE_END_TURN_NO_ACTIVE_TURN",
                        "description": "ForceEndTurn was received with no active turn; it was ignored.",
                    }
                )

    def configure(self, thresholds: dict[str, Any]) -> None:
        with self._lock:
            if self._turns is not None:
                self._turns.configure(TurnSettings(**thresholds))

    def close(self, flush: bool) -> None:
        if flush and not self._failed:
            if self._input is None and self._sniffed:
                self._use_container()
                data, self._sniffed = self._sniffed, b""
                self.audio(data)
            if isinstance(self._input, ContainerDecoder):
                self._input.close()
            elif isinstance(self._input, RawDecoder):
                for pcm in self._input.close():
                    self._on_pcm(pcm)
            with self._lock:
                self._drain_turns()
                for recognizer in self._recognizers or []:
                    recognizer.flush()
                if self._turns is not None:
                    self._advance_turns()
                    self._turns.flush()
        report = {
            "duration": round(self._seconds_in(), 6),
            "channels": self._channels_in(),
            "cpu_s": round(time.process_time() - self._cpu_at_open, 4),
        }
        self._writer.send(ipc.DONE, _dumps(report))

    # -- internals ---------------------------------------------------------------------------------------

    def _choose_input(self) -> bool:
        """WAV goes on the raw fast path (FFmpeg's probe would hold ~2 s of audio); the rest to FFmpeg."""
        try:
            header = parse_wav_header(self._sniffed)
        except UndecodableAudio:
            self._use_container()
            return True
        if header is None:
            if len(self._sniffed) < SNIFF_LIMIT:
                return False
            self._use_container()
            return True
        encoding, rate, channels, offset = header
        self._input = RawDecoder(encoding, rate, channels, self._split)
        self._sniffed = self._sniffed[offset:]
        return True

    def _use_container(self) -> None:
        self._input = ContainerDecoder(self._on_pcm, self._on_error, self._split)

    def _seconds_in(self) -> float:
        if isinstance(self._input, RawDecoder):
            return self._input.samples_in / self._input.sample_rate
        if isinstance(self._input, ContainerDecoder):
            return self._input.seconds_in
        return 0.0

    def _channels_in(self) -> int:
        return self._input.channels if self._input is not None else 0

    def _on_pcm(self, pcm: Pcm) -> None:
        with self._lock, self._slots.held():
            if self._failed:
                return
            if self._recognizers is None:
                self._recognizers = [self._recognizer(i, len(pcm)) for i in range(len(pcm))]
            if self._turns is not None:
                self._feed_turns(pcm[0])
                return
            for recognizer, samples in zip(self._recognizers, pcm, strict=True):
                recognizer.feed(samples)

    def _feed_turns(self, samples: bytes) -> None:
        """Flux (mono): the recognizer is fed whole 50 ms steps of audio, so turn events interleave with its
        results in audio order and depend on the audio alone, not on how the network cut it into frames."""
        assert self._recognizers is not None
        data = self._turn_pending + samples
        whole = len(data) - len(data) % TURN_STEP_BYTES
        for offset in range(0, whole, TURN_STEP_BYTES):
            self._recognizers[0].feed(data[offset : offset + TURN_STEP_BYTES])
            self._advance_turns()
        self._turn_pending = data[whole:]

    def _drain_turns(self) -> None:
        """Before ForceEndTurn or the end: the part of a tick still held is heard too."""
        if self._turn_pending and self._recognizers:
            pending, self._turn_pending = self._turn_pending, b""
            self._recognizers[0].feed(pending)
            self._advance_turns()

    def _advance_turns(self) -> None:
        assert self._turns is not None
        if self._recognizers:  # Flux is mono: one recognizer
            recognizer = self._recognizers[0]
            self._turns.audio(recognizer.seconds, recognizer.voice_end)

    def _finalize_all(self) -> None:
        for recognizer in self._recognizers or []:
            recognizer.finalize()

    def _recognizer(self, index: int, count: int) -> ChannelRecognizer:
        decoder = self._spare_decoders.pop() if self._spare_decoders else self._new_decoder()
        emit = self._turns.results if self._turns is not None else self._emit
        return ChannelRecognizer(decoder, self._settings, emit, self._metadata, index, count)

    def _emit(self, message: dict[str, Any]) -> None:
        self._writer.send(ipc.MESSAGE, _dumps(message))

    def _on_error(self, exc: Exception) -> None:
        self._failed = True
        detail = str(exc) or type(exc).__name__
        self._writer.send(ipc.ERROR, _dumps({"code": 1008, "reason": DATA0000_REASON, "detail": detail}))


def _read_into(stdin: BinaryIO, frames: queue.SimpleQueue[ipc.Frame | None]) -> None:
    while (frame := ipc.read_frame(stdin)) is not None:
        frames.put(frame)
    frames.put(None)


def next_batch(frames: queue.SimpleQueue[ipc.Frame | None]) -> list[ipc.Frame | None]:
    """The next frame and every frame already queued behind it.

    Under load a worker waits for a CPU slot while audio queues up; taking it all in one turn means fewer
    switches between decoders, which is what costs on a busy machine.
    """
    batch = [frames.get()]
    while True:
        try:
            batch.append(frames.get_nowait())
        except queue.Empty:
            return batch


#: The engines a worker can run (``--engine``): real recognition, or placeholder words for load tests.
DECODERS: dict[str, Callable[[], Any]] = {"pocketsphinx": new_decoder, "synthetic": PlaceholderDecoder}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    engine = args[args.index("--engine") + 1] if "--engine" in args else "pocketsphinx"
    # Keep the frame stream clean: anything printed by libraries goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    writer = FrameWriter(out)
    decoders = DECODERS[engine]
    decoder = decoders()
    writer.send(ipc.READY)
    stdin = sys.stdin.buffer
    first = ipc.read_frame(stdin)
    if first is None or first[0] != ipc.OPEN:
        return 0
    session = EngineSession(json.loads(first[1]), decoder, writer, decoders)
    frames: queue.SimpleQueue[ipc.Frame | None] = queue.SimpleQueue()
    threading.Thread(target=_read_into, args=(stdin, frames), name="frame-reader", daemon=True).start()
    while True:
        audio: list[bytes] = []
        for frame in next_batch(frames):
            if frame is not None and frame[0] == ipc.AUDIO:
                audio.append(frame[1])
                continue
            if audio:
                session.audio(b"".join(audio))
                audio = []
            if frame is None:
                return 0
            kind, payload = frame
            if kind == ipc.FINALIZE:
                session.finalize(json.loads(payload).get("channel"))
            elif kind == ipc.FORCE_END:
                session.force_end_turn()
            elif kind == ipc.CONFIGURE:
                session.configure(json.loads(payload))
            elif kind in (ipc.CLOSE, ipc.ABORT):
                session.close(flush=kind == ipc.CLOSE)
                return 0
        if audio:
            session.audio(b"".join(audio))


if __name__ == "__main__":
    status = main()
    sys.stderr.flush()
    # The frame reader may still be blocked on stdin: a normal exit would finalize the interpreter, which
    # takes stdin's lock and aborts ("could not acquire lock ... at interpreter shutdown"). Nothing is left.
    os._exit(status)
