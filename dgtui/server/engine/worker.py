"""An engine worker process: decodes and recognizes many streams, talking frames over stdin/stdout.

Started by :mod:`.pool`, one per core. It loads its decoders before any stream comes (:mod:`.shelf`), so a
stream starts without a process start or a model load; it serves its streams in turns (:mod:`.rounds`), and a
failure in one stream ends that stream, not the worker. Run as ``python -m dgtui.server.engine.worker``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from dgtui.audio.decode import ContainerDecoder, Pcm, RawDecoder, UndecodableAudio, parse_wav_header
from dgtui.protocol.errors import DATA0000_REASON, NET0000_REASON
from dgtui.server.engine import ipc
from dgtui.server.engine.recognizer import ChannelRecognizer, RecognizerSettings, new_decoder
from dgtui.server.engine.rounds import Rounds
from dgtui.server.engine.scripted import ScriptDecoder, read_script
from dgtui.server.engine.shelf import DecoderShelf
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

    def send(self, kind: bytes, stream: int, payload: bytes = b"") -> None:
        with self._lock:
            self._stream.write(ipc.pack(kind, stream, payload))
            self._stream.flush()


@dataclass
class Meter:
    """The audio a worker has recognized so far, all its streams together (counted as it is fed, so that it
    keeps pace with the worker's CPU time)."""

    audio_s: float = 0.0


class EngineSession:
    """One stream: picks a decoder from the first bytes, feeds a recognizer per channel."""

    def __init__(
        self,
        config: dict[str, Any],
        shelf: DecoderShelf,
        send: Callable[[bytes, bytes], None],
        on_done: Callable[[EngineSession], None] = lambda session: None,
        meter: Meter | None = None,
    ) -> None:
        options: dict[str, Any] = config["options"]
        self._shelf = shelf  # a decoder per channel, taken when the first audio comes
        self._taken: list[Any] = []
        self._send = send
        self._on_done = on_done
        self._meter = meter if meter is not None else Meter()
        self._closed = False  # no decoder is touched after this (set under the lock)
        self._ending = False  # CLOSE or ABORT received
        self._metadata = config["metadata"]
        self._settings = RecognizerSettings.from_options(options, config.get("interim_interval_s", 0.25))
        self._split = bool(options.get("multichannel"))
        self._lock = threading.Lock()
        self._recognizers: list[ChannelRecognizer] | None = None
        self._input: RawDecoder | ContainerDecoder | None = None
        self._sniffed = b""
        self._failed = False
        self.cpu_s = 0.0  # CPU spent recognizing this stream (its threads' time, not the whole process's)
        self._turn_pending = b""  # Flux: audio short of a whole step, held until the step is complete
        flux = config.get("flux")  # a /v2/listen stream: the recognizer's results become turns
        self._turns = FluxTurns(TurnSettings(**flux), self._emit, self._finalize_all) if flux is not None else None
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
        """End the stream. With ``flush`` every byte sent is recognized first (a container's on its own thread,
        so that the worker's other streams do not wait for it); then DONE, and the decoders go back."""
        if self._ending:
            return
        self._ending = True
        if flush and not self._failed:
            if self._input is None and self._sniffed:
                self._use_container()
                data, self._sniffed = self._sniffed, b""
                self._input.feed(data)  # type: ignore[union-attr]
            if isinstance(self._input, ContainerDecoder):
                container = self._input
                threading.Thread(target=self._finish_after, args=(container,), name="closing", daemon=True).start()
                return
            if isinstance(self._input, RawDecoder):
                for pcm in self._input.close():
                    self._on_pcm(pcm)
        elif isinstance(self._input, ContainerDecoder):
            self._input.close(timeout=0)  # its thread drains what is left without recognizing it, then ends
        self._finish(flush)

    def _finish_after(self, container: ContainerDecoder) -> None:
        container.close()
        self._finish(flush=True)

    def _finish(self, flush: bool) -> None:
        with self._lock:
            if flush and not self._failed:
                started = time.thread_time()
                self._drain_turns()
                for recognizer in self._recognizers or []:
                    recognizer.flush()
                if self._turns is not None:
                    self._advance_turns()
                    self._turns.flush()
                self.cpu_s += time.thread_time() - started
            self._closed = True
            taken, self._taken = self._taken, []
        report = {
            "duration": round(self._seconds_in(), 6),
            "channels": self._channels_in(),
            "cpu_s": round(self.cpu_s, 4),
            # the whole worker so far: what admission measures a stream's cost by (IPC and all, not only decoding)
            "worker": {
                "pid": os.getpid(),
                "cpu_s": round(time.process_time(), 4),
                "audio_s": round(self._meter.audio_s, 4),
            },
        }
        self._send(ipc.DONE, _dumps(report))
        for decoder in taken:
            self._shelf.give(decoder)
        self._on_done(self)

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
        with self._lock:
            if self._failed or self._closed:
                return
            started = time.thread_time()
            if self._recognizers is None:
                self._recognizers = [self._recognizer(i, len(pcm)) for i in range(len(pcm))]
            if self._turns is not None:
                self._feed_turns(pcm[0])
            else:
                for recognizer, samples in zip(self._recognizers, pcm, strict=True):
                    recognizer.feed(samples)
            self.cpu_s += time.thread_time() - started
            self._meter.audio_s += len(pcm[0]) / 32000  # 16 kHz s16 per channel: seconds of this stream

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
        decoder = self._shelf.take()
        self._taken.append(decoder)
        emit = self._turns.results if self._turns is not None else self._emit
        return ChannelRecognizer(decoder, self._settings, emit, self._metadata, index, count)

    def _emit(self, message: dict[str, Any]) -> None:
        self._send(ipc.MESSAGE, _dumps(message))

    def _on_error(self, exc: Exception) -> None:
        self._failed = True
        detail = str(exc) or type(exc).__name__
        self._send(ipc.ERROR, _dumps({"code": 1008, "reason": DATA0000_REASON, "detail": detail}))


def _read_into(stdin: BinaryIO, frames: queue.SimpleQueue[ipc.Frame | None]) -> None:
    while (frame := ipc.read_frame(stdin)) is not None:
        frames.put(frame)
    frames.put(None)


#: The engines a worker can run (``--engine``): real recognition, or placeholder words for load tests.
DECODERS: dict[str, Callable[[], Any]] = {"pocketsphinx": new_decoder, "synthetic": PlaceholderDecoder}


def decoder_factory(engine: str) -> Callable[[], Any]:
    """The decoders of an engine: one of :data:`DECODERS`, or ``script:FILE`` (its words, read once)."""
    if engine.startswith("script:"):
        words = read_script(Path(engine.removeprefix("script:")))
        return lambda: ScriptDecoder(words)
    return DECODERS[engine]


CALIBRATION_S = (1.0, 4.0)  # the stretch of the weather report a worker recognizes to measure itself
CHUNK_BYTES = 3200  # 100 ms of 16 kHz linear16
CALIBRATION_STREAMS = 2


def calibrate(shelf: DecoderShelf) -> float:
    """CPU seconds this worker spends per second of speech, measured on a bundled clip: what admission counts
    one real-time stream as (a measurement on this machine, not a figure from elsewhere)."""
    from dgtui.audio.decode import decoded_pcm
    from dgtui.data import clip

    begin, end = CALIBRATION_S
    speech = decoded_pcm(str(clip("weather").path), until_s=end)[int(begin * 32000) : int(end * 32000)]
    # Two streams in turns, as a worker serves them: decoders taking turns on a core cost more than one alone.
    decoders = [shelf.take() for _ in range(CALIBRATION_STREAMS)]
    settings = RecognizerSettings.from_options({"interim_results": True}, 0.25)
    recognizers = [ChannelRecognizer(d, settings, lambda _: None, {}, 0, 1) for d in decoders]
    started = time.thread_time()
    for offset in range(0, len(speech), CHUNK_BYTES):  # as real-time clients send it: 100 ms at a time
        for recognizer in recognizers:
            recognizer.feed(speech[offset : offset + CHUNK_BYTES])
    for recognizer in recognizers:
        recognizer.flush()
    cpu = time.thread_time() - started
    for decoder in decoders:
        shelf.give(decoder)
    return cpu / (len(recognizers) * (end - begin))


class Worker:
    """The streams of one worker process: frames in turns, a session per stream, decoders from the shelf."""

    def __init__(self, shelf: DecoderShelf, writer: FrameWriter) -> None:
        self.shelf = shelf
        self.writer = writer
        self.sessions: dict[int, EngineSession] = {}
        self.rounds = Rounds()
        self.meter = Meter()

    def serve(self, frames: queue.SimpleQueue[ipc.Frame | None]) -> None:
        """Until the server closes the pipe: take what came, give each waiting stream its turn."""
        while True:
            if not self.rounds:
                if self.shelf.wants_spare() and frames.empty():
                    self.shelf.add_spare()  # loaded while no stream waits, so a new stream need not
                    continue
                frame = frames.get()
                if frame is None:
                    return
                self.rounds.put(frame)
            while True:  # everything already queued joins the line: new streams get their turn soon
                try:
                    frame = frames.get_nowait()
                except queue.Empty:
                    break
                if frame is None:
                    return
                self.rounds.put(frame)
            self.turn(self.rounds.next_turn())

    def turn(self, frames: list[ipc.Frame]) -> None:
        if not frames:
            return
        stream = frames[0].stream
        try:
            audio: list[bytes] = []
            for kind, _, payload in frames:
                if kind == ipc.AUDIO:
                    audio.append(payload)
                    continue
                self._audio(stream, audio)
                audio = []
                self._control(stream, kind, payload)
            self._audio(stream, audio)
        except Exception as exc:  # one stream's failure ends that stream, never the worker
            session = self.sessions.pop(stream, None)
            detail = f"{type(exc).__name__}: {exc}"
            self.writer.send(ipc.ERROR, stream, _dumps({"code": 1011, "reason": NET0000_REASON, "detail": detail}))
            if session is not None:
                with contextlib.suppress(Exception):
                    session.close(flush=False)

    def _audio(self, stream: int, audio: list[bytes]) -> None:
        session = self.sessions.get(stream)
        if audio and session is not None:
            session.audio(b"".join(audio))

    def _control(self, stream: int, kind: bytes, payload: bytes) -> None:
        if kind == ipc.OPEN:
            self.sessions[stream] = EngineSession(
                json.loads(payload),
                self.shelf,
                functools.partial(self._send, stream),
                on_done=lambda _: self._forget(stream),
                meter=self.meter,
            )
            return
        session = self.sessions.get(stream)
        if session is None:  # frames that crossed the stream's end
            return
        if kind == ipc.FINALIZE:
            session.finalize(json.loads(payload).get("channel"))
        elif kind == ipc.FORCE_END:
            session.force_end_turn()
        elif kind == ipc.CONFIGURE:
            session.configure(json.loads(payload))
        elif kind in (ipc.CLOSE, ipc.ABORT):
            session.close(flush=kind == ipc.CLOSE)

    def _send(self, stream: int, kind: bytes, payload: bytes = b"") -> None:
        self.writer.send(kind, stream, payload)

    def _forget(self, stream: int) -> None:
        self.sessions.pop(stream, None)


def _flag(args: list[str], name: str, default: str) -> str:
    return args[args.index(name) + 1] if name in args else default


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    engine = _flag(args, "--engine", "pocketsphinx")
    # Keep the frame stream clean: anything printed by libraries goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    writer = FrameWriter(out)
    shelf = DecoderShelf(decoder_factory(engine), spares=int(_flag(args, "--spares", "2")))
    for _ in range(shelf.spares):
        shelf.add_spare()
    rtf = calibrate(shelf) if "--calibrate" in args else None
    writer.send(ipc.READY, ipc.WORKER, _dumps({"engine": engine, "rtf": rtf}))
    frames: queue.SimpleQueue[ipc.Frame | None] = queue.SimpleQueue()
    threading.Thread(target=_read_into, args=(sys.stdin.buffer, frames), name="frame-reader", daemon=True).start()
    Worker(shelf, writer).serve(frames)
    return 0


if __name__ == "__main__":
    status = main()
    sys.stderr.flush()
    # The frame reader may still be blocked on stdin: a normal exit would finalize the interpreter, which
    # takes stdin's lock and aborts ("could not acquire lock ... at interpreter shutdown"). Nothing is left.
    os._exit(status)
