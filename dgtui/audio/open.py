"""A source from what the user typed: a path, an http(s) URL, ``-`` for standard input, ``mic``."""

from __future__ import annotations

from pathlib import Path

from dgtui.audio.base import AudioSource, BrokenSource, SourceError, SourceSettings
from dgtui.audio.local import FileSource, MicSource, StdinSource
from dgtui.audio.remote import HttpSource


def open_sources(specs: list[str], settings: SourceSettings | None = None) -> list[AudioSource]:
    """Sources for what the user typed; one that cannot be opened becomes a :class:`BrokenSource`, whose stream
    shows why while the others run. Raises :class:`SourceError` only when none can be opened."""
    sources = [open_or_broken(spec, settings) for spec in specs]
    errors = [source.error for source in sources if isinstance(source, BrokenSource)]
    if specs and len(errors) == len(specs):
        raise SourceError("\n".join(e or "" for e in errors))
    return sources


def open_or_broken(spec: str, settings: SourceSettings | None = None) -> AudioSource:
    """:func:`open_source`, or the :class:`BrokenSource` that says why it cannot be opened."""
    try:
        return open_source(spec, settings)
    except SourceError as exc:
        return BrokenSource(spec, str(exc))


def open_source(spec: str, settings: SourceSettings | None = None) -> AudioSource:
    """A source from what the user typed: a path, an http(s) URL, ``-`` for stdin, ``mic`` or ``mic:DEVICE``."""
    settings = settings or SourceSettings()
    if spec == "-":
        return StdinSource(
            encoding=settings.encoding,
            sample_rate=settings.sample_rate,
            input_channels=settings.input_channels,
            chunk_ms=settings.chunk_ms,
            channels=settings.channels,
        )
    if spec == "mic" or spec.startswith("mic:"):
        return MicSource(device=spec[4:] or None, chunk_ms=settings.chunk_ms)
    if spec.startswith(("http://", "https://")):
        return HttpSource(
            spec,
            chunk_ms=settings.chunk_ms,
            channels=settings.channels,
            stall_timeout=settings.stall_timeout,
            realtime_files=not settings.fast,
            loop=settings.loop,
        )
    return FileSource(
        Path(spec),
        realtime=not settings.fast,
        loop=settings.loop,
        chunk_ms=settings.chunk_ms,
        channels=settings.channels,
        passthrough=settings.passthrough,
    )
