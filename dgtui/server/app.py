"""The local Deepgram-compatible live server: ``/v1/listen`` over WebSocket on the offline engine.

Each connection is checked at the handshake (path, credentials, query, capacity), then served by
:class:`dgtui.server.stream.StreamSession` on the shared pool of engine processes (:mod:`.engine.pool`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from dgtui.process.memory import Trimmer
from dgtui.protocol.flux import is_flux_model, parse_flux_query
from dgtui.protocol.options import OptionError, parse_query
from dgtui.server import auth
from dgtui.server.admission import Admission
from dgtui.server.engine.pool import EnginePool
from dgtui.server.errors import error_response
from dgtui.server.replayed import Recorded, ReplayBook, ReplayedSession, differences, load_recorded
from dgtui.server.requests import AnsweringConnection
from dgtui.server.stream import StreamContext, StreamSession, StreamStats

LISTEN_PATH = "/v1/listen"
FLUX_LISTEN_PATH = "/v2/listen"


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None
    idle_timeout: float = 10.0  # Nova: NET-0001 after this long without audio or a text frame
    flux_idle_timeout: float = 60.0  # Flux has no KeepAlive; pings (not visible here) hold a stream for 60 s
    max_connections: int = 1000  # a ceiling whatever the capacity: HTTP 429 past it
    max_frame_bytes: int = 4 * 1024 * 1024
    max_query_bytes: int = 16 * 1024
    interim_interval_s: float = 0.25
    workers: int | None = None  # engine processes, each serving many streams; None: one per core
    spares: int = 2  # decoders each engine process keeps loaded ahead of the streams that will need them
    admission: bool = True  # refuse a stream the engine cannot keep up with (429), as Deepgram does
    capacity: int | None = None  # the concurrent streams admitted; None: measured (dgtui.server.admission)
    worker_stderr: IO[bytes] | int | None = field(default=None, repr=False)
    engine: str = "pocketsphinx"  # "synthetic": placeholder words at speech's pace, for load tests (engine_info)
    replay: tuple[str, ...] = ()  # recordings served back instead of an engine (dgtui.server.replayed)
    keep_request_id: bool = False  # a replay answers with the recording's request id, not a fresh one


class ServerWatcher(Protocol):
    """Told what the server does, as it happens (the metrics: :class:`dgtui.metrics.serving.ServerMetrics`)."""

    def accepted(self, api: str) -> None: ...

    def refused(self, status: int) -> None: ...

    def finished(self, audio_s: float, cpu_s: float) -> None: ...

    def waited(self, seconds: float) -> None: ...


def check_options(options: dict[str, Any]) -> None:
    """What the local engine cannot honour, rejected as Deepgram rejects bad values: HTTP 400."""
    language = options.get("language", "en")
    if not isinstance(language, str) or not (language == "multi" or language.split("-")[0].lower() == "en"):
        raise OptionError(
            "language",
            f"Invalid value for 'language': {language!r}. The local engine only transcribes English (en).",
        )
    if options.get("keywords") and str(options.get("model", "")).startswith("nova-3"):
        raise OptionError("keywords", "Keywords are not supported for Nova-3. Please use `keyterm` instead.")
    encoding = options.get("encoding")
    if encoding is not None and encoding not in ("linear16", "linear32", "mulaw", "alaw"):
        raise OptionError(
            "encoding",
            f"The local engine does not decode raw '{encoding}'. Send linear16, linear32, mulaw or alaw, "
            "or send containerized audio without 'encoding'.",
        )


class ListenServer:
    """Owns the WebSocket server, the engine pool and the live sessions."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.pool = EnginePool(
            self.config.workers,
            stderr=self.config.worker_stderr,
            engine=self.config.engine,
            spares=self.config.spares,
            calibrate=self.config.admission and self.config.capacity is None,  # only a measured limit needs it
        )
        self.admission = Admission(self.pool.size, fixed=self.config.capacity)
        recorded = [load_recorded(Path(path)) for path in self.config.replay]  # ValueError: said by the command
        self.replays = ReplayBook(recorded, self.config.keep_request_id) if recorded else None
        self.sessions: set[StreamSession | ReplayedSession] = set()
        self.finished: deque[StreamStats] = deque(maxlen=1000)
        self.on_finished: Callable[[StreamStats], None] | None = None
        self.watcher: ServerWatcher | None = None
        self._server: Server | None = None
        self.trimmer = Trimmer()  # a server left up for days keeps its heap from creeping (dgtui.process.memory)

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        return f"ws://{shown}:{self.port}{LISTEN_PATH}"

    async def start(self) -> None:
        if self.replays is None:  # a replay needs no engine
            await self.pool.start()
        self.admission.rtf = self.pool.rtf
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self._process_request,
            process_response=self._process_response,
            select_subprotocol=self._select_subprotocol,
            max_size=self.config.max_frame_bytes,
            compression=None,
            create_connection=AnsweringConnection,  # a POST (an SDK's REST call) gets an answer, not a cut
        )
        self.trimmer.acquire()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        await self.pool.close()
        self.trimmer.release()

    async def __aenter__(self) -> ListenServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- handshake ---------------------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        response = self._check_request(connection, request)
        if self.watcher is not None:
            if response is None:
                self.watcher.accepted("v2" if connection.dg_context.flux else "v1")  # type: ignore[attr-defined]
            else:
                self.watcher.refused(response.status_code)
        return response

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        request_id = str(uuid.uuid4())
        split = urlsplit(request.path)
        path = split.path.rstrip("/")
        if path not in (LISTEN_PATH, FLUX_LISTEN_PATH):
            return error_response(
                404,
                "NOT_FOUND",
                f"No such endpoint: {split.path}. Use {LISTEN_PATH} or {FLUX_LISTEN_PATH}.",
                request_id,
            )
        key = self.config.api_key
        if key and not auth.is_authorized(request.headers, key):
            return error_response(401, "INVALID_AUTH", "Invalid credentials.", request_id)
        if len(split.query) > self.config.max_query_bytes:
            return error_response(
                414,
                "INVALID_QUERY_PARAMETER",
                f"The query string exceeds {self.config.max_query_bytes} bytes.",
                request_id,
            )
        flux = path == FLUX_LISTEN_PATH
        try:
            options = parse_flux_query(split.query) if flux else parse_query(split.query)
            check_options(options)
        except OptionError as exc:
            return error_response(400, "INVALID_QUERY_PARAMETER", exc.message, request_id)
        if not flux and is_flux_model(options.get("model")):
            return error_response(
                400,
                "V2_MODEL_ON_V1_LISTEN_ENDPOINT",
                f"The model {options['model']!r} is a Flux model: connect to {FLUX_LISTEN_PATH}.",
                request_id,
            )
        if len(self.sessions) >= self.config.max_connections or (
            self.config.admission and not self.admission.admits(len(self.sessions))
        ):
            return error_response(429, "TOO_MANY_REQUESTS", "Too many requests. Please try again later", request_id)
        if self.replays is not None:
            recorded = self.replays.next(flux)
            if recorded is None:
                return error_response(400, "NO_RECORDING", f"No recording of a {path} stream to serve back: "
                                      "give one with --replay.", request_id)  # fmt: skip
            connection.dg_replay = recorded  # type: ignore[attr-defined]
        connection.dg_context = StreamContext(request_id, options, flux=flux, engine=self.config.engine)  # type: ignore[attr-defined]
        return None

    def _process_response(self, connection: ServerConnection, request: Request, response: Response) -> None:
        context: StreamContext | None = getattr(connection, "dg_context", None)
        if context is not None and "dg-request-id" not in response.headers:
            response.headers["dg-request-id"] = context.request_id

    def _select_subprotocol(self, connection: ServerConnection, offered: Sequence[str]) -> str | None:
        return auth.select_subprotocol(list(offered))

    # -- streams -----------------------------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        context: StreamContext = connection.dg_context  # type: ignore[attr-defined]
        recorded: Recorded | None = getattr(connection, "dg_replay", None)
        if recorded is not None:
            await self._replay(connection, context, recorded)
            return
        idle = self.config.flux_idle_timeout if context.flux else self.config.idle_timeout
        session = StreamSession(connection, context, self.pool, idle, self.config.interim_interval_s,
                                self.watcher.waited if self.watcher is not None else None)  # fmt: skip
        self.sessions.add(session)
        try:
            await session.run()
        finally:
            self.sessions.discard(session)
            if session.stats is not None:
                self.finished.append(session.stats)
                self.admission.finished(session.stats.worker)
                if self.watcher is not None:
                    self.watcher.finished(session.stats.audio_s, session.stats.cpu_s)
                if self.on_finished is not None:
                    self.on_finished(session.stats)

    async def _replay(self, connection: ServerConnection, context: StreamContext, recorded: Recorded) -> None:
        query = urlsplit(connection.request.path if connection.request else "").query
        session = ReplayedSession(connection, recorded, context.request_id, query, self.config.keep_request_id)
        self.sessions.add(session)
        stats = None
        try:
            await session.run()
            report = session.report + [f"options differ: {d}" for d in differences(recorded, context.options)]
            note = f"replay of {recorded.path.name}" + (f": {'; '.join(report)}" if report else "")
            stats = StreamStats(session.request_id, session.cursor, 0.0, connection.close_code or 1006, note=note)
            self.finished.append(stats)  # before it leaves the sessions: whoever waits for an idle server finds it
        finally:
            self.sessions.discard(session)
        if stats is not None and self.on_finished is not None:
            self.on_finished(stats)
