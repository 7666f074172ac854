"""Sources at an http(s) URL, told apart the way a radio player does: a file, a live stream, a playlist, HLS.

The URL is opened once with httpx (redirects followed, TLS verified) and its answer decides what it is:

* a **file** (``Content-Length`` or ``Accept-Ranges``, and no ICY headers) is finite. FFmpeg reads it as the
  stream needs it, so real-time pacing holds the download back, and a download that breaks is resumed with a
  ``Range`` request where the server allows one. Its end is the stream's end: it is never opened again.
* a **live** stream (no length, chunked, or ICY headers) is read as the server sends it, and opened again
  when it ends or stalls.
* an **HLS** playlist (``#EXT-X-`` tags) is read by FFmpeg's HLS demuxer: finite like a file when on-demand
  (``#EXT-X-ENDLIST``), live when its window slides. A master playlist plays its audio rendition, or else its
  first variant.
* an ``.m3u`` or ``.pls`` playlist plays the first of its entries that opens.

What it was taken for, and why, goes to ``hooks.kind`` before the first chunk.
"""

from __future__ import annotations

import configparser
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from dgtui.audio.base import DEFAULT_CHUNK_MS, SourceError, SourceHooks, SourceKind
from dgtui.audio.chunks import AudioChunk, AudioFormat
from dgtui.audio.icy import IcyReader
from dgtui.audio.readers import DecodedStream, decode_packets, passes, pcm_format

if TYPE_CHECKING:
    import httpx

AUDIO_CONTENT_TYPES = ("audio/", "application/ogg", "video/webm", "video/ogg", "application/octet-stream")
M3U_TYPES = {
    "audio/x-mpegurl",
    "audio/mpegurl",
    "application/vnd.apple.mpegurl",
    "application/x-mpegurl",
    "application/mpegurl",
}
PLS_TYPES = {"audio/x-scpls", "audio/scpls", "application/pls+xml"}
PLAYLIST_SUFFIXES = {".m3u", ".m3u8", ".pls"}
MAX_PLAYLIST_BYTES = 1 << 20  # a playlist larger than this is not one
MAX_HOPS = 4  # playlists that point at playlists, at most this deep
MAX_ENTRIES = 8  # entries of an .m3u/.pls tried before giving up


@dataclass(frozen=True)
class Target:
    """What a URL turned out to be, and where its audio is."""

    kind: SourceKind
    finite: bool
    url: str  # the audio's own URL (after redirects and playlists)
    reason: str  # why it was taken for this kind, in words for the header and --json
    response: httpx.Response | None = None  # a live byte stream, already open
    resumable: bool = False  # a file whose server takes Range requests
    hls_hold: int = 0  # HLS: playlist reloads without a new segment before a live stream counts as ended


@dataclass
class HttpSource:
    """An http(s) URL: a file, a live stream (Icecast/SHOUTcast, chunked), a playlist or HLS."""

    url: str
    chunk_ms: int = DEFAULT_CHUNK_MS
    channels: int = 1
    stall_timeout: float = 10.0
    connect_timeout: float = 10.0
    realtime_files: bool = True  # a file or an on-demand playlist is paced in real time (False: --fast)
    loop: bool = False  # a file starts again at its end (--loop); live streams ignore it
    name: str = ""
    hooks: SourceHooks = field(default_factory=SourceHooks, repr=False)
    format: AudioFormat = field(init=False)
    kind: SourceKind | None = field(init=False, default=None)  # known once opened
    kind_reason: str = field(init=False, default="")
    realtime: bool = field(init=False, default=False)  # set once the kind is known
    reopenable: bool = field(init=False, default=True)  # False once it is known to be finite
    error: str | None = field(init=False, default=None)  # opened (what goes wrong later ends its stream)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceError(f"{self.url!r} is not an http(s) URL.")
        self.name = self.name or (PurePosixPath(parts.path).stem or parts.hostname or "stream")
        self.format = pcm_format(self.channels)

    @property
    def description(self) -> str:
        return self.url

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        import httpx

        from dgtui import __version__

        timeout = httpx.Timeout(self.connect_timeout, read=self.stall_timeout)
        headers = {"Icy-MetaData": "1", "User-Agent": f"dgtui/{__version__}"}
        with self._http_errors():
            async with httpx.AsyncClient(follow_redirects=True, timeout=timeout, headers=headers) as client:
                target = await self._resolve(client, self.url, hops=0)
                self._take(target)
                if target.response is not None:
                    try:
                        async for chunk in self._live(target.response):
                            yield chunk
                    finally:
                        await target.response.aclose()
                    return
        async for chunk in self._ffmpeg(target):
            yield chunk

    def _take(self, target: Target) -> None:
        """Pacing and reopening follow the kind; the stream is told what it is and why."""
        self.realtime = target.finite and self.realtime_files
        self.reopenable = not target.finite
        if (target.kind, target.reason) != (self.kind, self.kind_reason):
            self.kind, self.kind_reason = target.kind, target.reason
            self.hooks.kind(target.kind, target.reason)

    # -- what the URL is -----------------------------------------------------------------------------------

    async def _resolve(self, client: httpx.AsyncClient, url: str, hops: int) -> Target:
        response = await client.send(client.build_request("GET", url), stream=True)
        keep_open = False
        try:
            _check_status(response, url)
            where = str(response.url)
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            suffix = PurePosixPath(urlsplit(where).path).suffix.lower()
            if content_type in M3U_TYPES | PLS_TYPES or suffix in PLAYLIST_SUFFIXES or content_type == "text/plain":
                text = await _read_text(response)
                if _is_playlist(text):
                    return await self._from_playlist(client, where, text, hops)
            if content_type and not content_type.startswith(AUDIO_CONTENT_TYPES):
                raise SourceError(
                    f"{url} is not an audio stream (Content-Type: {content_type}). "
                    "Use the stream's own URL (often ending in .mp3, .aac, .ogg, .m3u8 or .pls), not a web page."
                )
            target = _audio_target(response)
            keep_open = target.response is not None
            return target
        finally:
            if not keep_open:
                await response.aclose()

    async def _from_playlist(self, client: httpx.AsyncClient, url: str, text: str, hops: int) -> Target:
        if "#EXT-X-" in text:
            return await _hls_target(client, url, text)
        if hops >= MAX_HOPS:
            raise SourceError(f"{self.url}: playlists point at playlists more than {MAX_HOPS} deep; stopped there.")
        entries = _playlist_entries(text, url)
        if not entries:
            raise SourceError(f"{url} is a playlist with no entries: there is no stream to play.")
        failures = []
        for entry in entries[:MAX_ENTRIES]:
            try:
                with self._http_errors(entry):
                    target = await self._resolve(client, entry, hops + 1)
            except SourceError as exc:
                failures.append(str(exc))
                continue
            return replace(target, reason=f"{target.reason}; entry {entries.index(entry) + 1} of the playlist {url}")
        raise SourceError(
            f"{url}: none of the playlist's {len(entries)} entries could be opened: " + " / ".join(failures[:3])
        )

    # -- reading -------------------------------------------------------------------------------------------

    async def _live(self, response: httpx.Response) -> AsyncIterator[AudioChunk]:
        icy = IcyReader(int(response.headers.get("icy-metaint", "0") or 0))

        async def audio_bytes() -> AsyncIterator[bytes]:
            async for block in response.aiter_raw():
                audio, titles = icy.feed(block)
                for title in titles:
                    self.hooks.title(title)
                if audio:
                    yield audio

        async for chunk in DecodedStream(self.chunk_ms, self.channels).decode(audio_bytes(), self.url):
            yield chunk

    async def _ffmpeg(self, target: Target) -> AsyncIterator[AudioChunk]:
        """A file or HLS through FFmpeg, on a thread; a finite one loops when asked (each pass from its start)."""
        async for chunk in passes(lambda offset: self._decode(target, offset), self.url, self.loop and target.finite,
                                  self.hooks):  # fmt: skip
            yield chunk

    def _decode(self, target: Target, offset: float) -> Iterator[AudioChunk | str]:
        return decode_packets(
            target.url,
            chunk_ms=self.chunk_ms,
            channels=self.channels,
            offset=offset,
            label=self.url,
            open_options=_ffmpeg_options(target, self.stall_timeout),
            timeout=(self.connect_timeout, self.stall_timeout),
            unreadable=_broken(target),
            unopenable=_unopenable,
        )

    @contextlib.contextmanager
    def _http_errors(self, url: str | None = None) -> Iterator[None]:
        """httpx's exceptions as errors that say what happened and what to do."""
        import httpx

        url = url or self.url
        try:
            yield
        except httpx.ReadTimeout:
            raise SourceError(
                f"{url}: the stream stalled (no data for {self.stall_timeout:g} s). The station may be down."
            ) from None
        except httpx.ConnectTimeout:
            raise SourceError(f"{url}: connecting timed out after {self.connect_timeout:g} s.") from None
        except httpx.ConnectError as exc:
            raise SourceError(f"{url}: cannot connect ({_reason(exc)}). Check the URL and your network.") from None
        except httpx.TooManyRedirects:
            raise SourceError(f"{url}: too many redirects (a redirect loop?). Check the URL.") from None
        except httpx.HTTPError as exc:
            raise SourceError(f"{url}: {type(exc).__name__}: {_reason(exc)}") from None


def _check_status(response: httpx.Response, url: str) -> None:
    if response.status_code >= 400:
        raise SourceError(
            f"{url} answered HTTP {response.status_code} {response.reason_phrase}: there is no stream at this address."
            if response.status_code == 404
            else f"{url} answered HTTP {response.status_code} {response.reason_phrase}."
        )


def _audio_target(response: httpx.Response) -> Target:
    """File or live, from the answer's headers (the issue's rule: a length and no ICY headers is a file)."""
    headers = response.headers
    url = str(response.url)
    icy = sorted({name.lower() for name in headers if name.lower().startswith(("icy-", "ice-"))})
    length = headers.get("content-length", "")
    resumable = headers.get("accept-ranges", "").strip().lower() == "bytes"
    if icy:
        return Target(SourceKind.LIVE, False, url, f"the server sent ICY headers ({', '.join(icy[:3])})",
                      response)  # fmt: skip
    if length.isdigit() or resumable:
        size = f"Content-Length {int(length):,} bytes" if length.isdigit() else "Accept-Ranges"
        resume = "a broken download resumes with Range" if resumable else "the server does not take Range requests"
        return Target(SourceKind.FILE, True, url, f"the server gave its length ({size}) and no ICY headers; "
                      f"{resume}", resumable=resumable)  # fmt: skip
    how = "chunked transfer" if "chunked" in headers.get("transfer-encoding", "").lower() else "no Content-Length"
    return Target(SourceKind.LIVE, False, url, f"{how} and no length: no known end", response)


async def _read_text(response: httpx.Response) -> str:
    data = bytearray()
    async for block in response.aiter_bytes():
        data += block
        if len(data) > MAX_PLAYLIST_BYTES:
            return ""  # too large to be a playlist: taken for what its headers say
    return bytes(data).decode("utf-8", errors="replace").lstrip("\ufeff")


def _is_playlist(text: str) -> bool:
    head = text.lstrip()[:4096].lower()
    if head.startswith(("#extm3u", "[playlist]")):
        return True
    lines = [line.strip() for line in head.splitlines() if line.strip() and not line.startswith("#")]
    return bool(lines) and all("://" in line or line.endswith(tuple(PLAYLIST_SUFFIXES)) for line in lines[:8])


def _playlist_entries(text: str, base: str) -> list[str]:
    """The stream URLs of an .m3u or .pls playlist, in order, relative ones resolved against ``base``."""
    if text.lstrip().lower().startswith("[playlist]"):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        with contextlib.suppress(configparser.Error):
            parser.read_string(text)
        section = next((s for s in parser.sections() if s.lower() == "playlist"), None)
        items = dict(parser.items(section)) if section else {}
        numbered = sorted(
            (int(key[4:]), value) for key, value in items.items() if key.startswith("file") and key[4:].isdigit()
        )
        entries = [value.strip() for _, value in numbered]
    else:
        entries = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [urljoin(base, entry) for entry in entries]


async def _hls_target(client: httpx.AsyncClient, url: str, text: str) -> Target:
    """An HLS playlist: its media playlist (a master's audio rendition or first variant), finite or live."""
    import m3u8

    playlist = m3u8.loads(text, uri=url)
    media_url = url
    if playlist.is_variant:
        renditions = [m for m in playlist.media if m.type == "AUDIO" and m.uri]
        renditions.sort(key=lambda m: m.default != "YES")
        chosen = renditions[0].absolute_uri if renditions else (playlist.playlists[0].absolute_uri if playlist.playlists
                                                                else None)  # fmt: skip
        if not chosen:
            raise SourceError(f"{url} is an HLS master playlist with no variants: there is no stream to play.")
        response = await client.get(chosen)
        _check_status(response, chosen)
        media_url = str(response.url)
        playlist = m3u8.loads(response.text, uri=media_url)
    seconds = sum(segment.duration or 0 for segment in playlist.segments)
    segments = f"{len(playlist.segments)} segment{'s' if len(playlist.segments) != 1 else ''}"
    if playlist.is_endlist or (playlist.playlist_type or "").lower() == "vod":
        return Target(SourceKind.HLS, True, media_url, f"an on-demand playlist ({segments}, {seconds:.1f} s)")
    target_duration = float(playlist.target_duration or 6)
    return Target(SourceKind.HLS, False, media_url,
                  f"a live playlist (a sliding window of {segments}, no #EXT-X-ENDLIST)",
                  hls_hold=max(3, round(30 / target_duration)))  # fmt: skip


def _ffmpeg_options(target: Target, stall_timeout: float) -> dict[str, str]:
    """FFmpeg's HTTP options: resume a seekable download with Range (never re-read a non-seekable one), verify
    TLS against the same authorities as httpx, and end a live HLS stream whose playlist stops moving."""
    from dgtui import __version__

    options = {
        "user_agent": f"dgtui/{__version__}",
        "reconnect": "1",
        "reconnect_on_network_error": "1",
        "reconnect_delay_max": str(max(1, round(stall_timeout / 2))),
        "icy": "0",
    }
    if target.url.startswith("https://"):
        options["tls_verify"] = "1"
        authorities = os.environ.get("SSL_CERT_FILE") or _certifi()
        if authorities:
            options["ca_file"] = authorities
    if target.hls_hold:
        options["m3u8_hold_counters"] = str(target.hls_hold)
    return options


def _certifi() -> str:
    with contextlib.suppress(ImportError):
        import certifi  # httpx's own dependency

        return certifi.where()
    return ""


def _broken(target: Target) -> Callable[[str, float, str], str]:
    """How a read that fails part way is worded: a download cut short, resumable or not, or a stream lost."""

    def message(label: str, decoded: float, reason: str) -> str:
        if target.kind is SourceKind.FILE and not target.resumable:
            return (
                f"{label}: the download broke after {decoded:.2f} s of audio ({reason}), and the server does not "
                "allow resuming it (no Accept-Ranges). The audio before it was sent; to get the rest, download the "
                "file and pass its path."
            )
        if target.kind is SourceKind.FILE:
            return (
                f"{label}: the download broke after {decoded:.2f} s of audio and could not be resumed ({reason}). "
                "The audio before it was sent; try again later."
            )
        return f"{label}: the stream broke after {decoded:.2f} s of audio ({reason})."

    return message


def _unopenable(label: str, reason: str) -> str:
    """FFmpeg could not open what httpx had just looked at: the server, the network or TLS, or not audio at all."""
    return (
        f"{label}: FFmpeg could not read it ({reason}). It is not audio FFmpeg can decode, or the server stopped "
        "answering, or (https) its certificate is not trusted: for a private authority, set SSL_CERT_FILE."
    )


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
