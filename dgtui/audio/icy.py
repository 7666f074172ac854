"""ICY (SHOUTcast/Icecast) in-stream metadata: strips it from the audio and reads ``StreamTitle``."""

from __future__ import annotations

import re

_TITLE = re.compile(rb"StreamTitle='(.*?)';", re.S)


class IcyReader:
    """With ``metaint`` N, the server sends N audio bytes, a length byte L, then 16*L bytes of metadata."""

    def __init__(self, metaint: int) -> None:
        self._metaint = metaint
        self._until_meta = metaint
        self._meta_left = -1  # -1: expecting audio (or the length byte when _until_meta is 0)
        self._meta = bytearray()

    def feed(self, data: bytes) -> tuple[bytes, list[str]]:
        if not self._metaint:
            return data, []
        audio = bytearray()
        titles: list[str] = []
        view = memoryview(data)
        while view:
            if self._meta_left > 0:
                take = min(self._meta_left, len(view))
                self._meta += view[:take]
                view = view[take:]
                self._meta_left -= take
                if self._meta_left == 0:
                    titles.extend(self._titles())
                    self._meta_left = -1
                    self._until_meta = self._metaint
            elif self._until_meta == 0:
                self._meta_left = view[0] * 16
                view = view[1:]
                self._meta.clear()
                if self._meta_left == 0:
                    self._meta_left = -1
                    self._until_meta = self._metaint
            else:
                take = min(self._until_meta, len(view))
                audio += view[:take]
                view = view[take:]
                self._until_meta -= take
        return bytes(audio), titles

    def _titles(self) -> list[str]:
        match = _TITLE.search(bytes(self._meta))
        if not match:
            return []
        return [match.group(1).decode("utf-8", "replace")]
