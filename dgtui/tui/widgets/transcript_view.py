"""The transcript pane: a Line-API view that renders only the rows on screen (modelled on toolong's LogLines).

Finals are committed rows with their timestamp, channel and speaker; the current interim of each channel is
drawn dim below them and replaced in place; ends of turn (``speech_final``), ``UtteranceEnd`` and the end of
the stream are marker rows. It follows new text until the user scrolls up, then counts the rows it holds back.
Memory is bounded: it keeps as many transcript lines as the session does, the full history being on disk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dgtui.judge.alignment import LineMarks, MarkedWord
from dgtui.protocol.messages import Word
from dgtui.state.transcript import Transcript, TranscriptLine
from dgtui.tui.format import audio_time

SPEAKER_STYLES = ["bold cyan", "bold magenta", "bold green", "bold yellow", "bold blue", "bold red"]
MARKERS = {
    "speech_final": ("──", "end of turn · speech_final", "green"),
    "end_of_turn": ("──", "EndOfTurn", "green"),  # Flux: the line's text says how the turn ended
    "utterance_end": ("┄┄", "UtteranceEnd", "magenta"),
    "end": ("══", "end of connection", "dim"),
}
SHORT_MARKERS = {"speech_final": "speech_final", "end": "end"}  # where the pane is narrow; longer ones wrap
STAMP_WIDTH = 8  # "mm:ss.s " before every line
STRIPS_KEPT = 2  # screens of drawn rows kept. A drawn row holds the pieces the compositor cut it into, some
# 10 strips of ~16 objects each that the garbage collector walks; so few are kept, in a dict (Textual's LRUCache
# leaves its ring of nodes, strips and all, to the collector when cleared)


MARK_STYLES = {"substitute": "bold red", "insert": "bold yellow"}  # heard wrong, extra
MISSING_STYLE = "red strike"  # words of the reference the lane did not give


def marked_body(words: tuple[MarkedWord, ...] | list[MarkedWord]) -> Text:
    """Words as shown, with their marks against a reference."""
    text = Text()
    for word in words:
        for part, style in ((word.missing_before, MISSING_STYLE), (word.text, MARK_STYLES.get(word.kind, ""))):
            if part:
                if text:
                    text.append(" ")
                text.append(part, style)
    return text


class TranscriptView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    TranscriptView { height: 1fr; scrollbar-size-vertical: 1; }
    """

    def __init__(self, *, low_confidence: float = 0.5, keep: int = 1000, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.low_confidence = low_confidence
        self._lines: deque[TranscriptLine] = deque(maxlen=keep)
        self._row_counts: deque[int] = deque()
        self._rows: list[Text] = []
        self._strips: dict[int, Strip] = {}  # rows as drawn (for the style and width in _strip_key), by row number
        self._dropped = 0  # since the start; rows dropped from the front so far
        self._strip_key: tuple[Style, int] | None = None
        self._base_style = Style()
        self._interim_rows: list[Text] = []
        self._interims: tuple[tuple[int, float, str], ...] = ()
        self._last_seq = 0
        self._channels = 1
        self._width = 0
        self._marks: LineMarks = {}  # final lines' words marked against a reference (lanes), by line seq
        self.follow = True
        self.new_lines = 0
        self.show_interim = True
        self.search = ""
        self.matches: list[int] = []
        self.match_index = -1

    # -- updates from the session ------------------------------------------------------------------------

    def sync(self, transcript: Transcript, channels: int = 1) -> bool:
        """Take what is new in the transcript; True when anything on screen may have changed."""
        width = self._text_width()
        if width <= 0:
            return False
        if self.follow is False and self.is_vertical_scroll_end:
            self.follow, self.new_lines = True, 0
        elif self.follow and not self.is_vertical_scroll_end:
            self.follow = False
        changed = False
        if width != self._width or channels != self._channels:
            self._width, self._channels = width, channels
            self._rewrap()
            changed = True
        new = transcript.lines_after(self._last_seq)
        if new:
            if new[0].seq != self._last_seq + 1 and self._lines:  # we fell behind the session's window
                self._lines.clear()
                self._rewrap()
            added = self._append(new)
            if not self.follow:
                self.new_lines += added
            changed = True
        interims = transcript.interims() if self.show_interim else ()
        if interims != self._interims:
            self._interims = interims
            before = len(self._interim_rows)
            self._interim_rows = [row for _, start, text in interims for row in self._wrap_interim(start, text)]
            if not changed and len(self._interim_rows) == before:  # only the interim text moved: repaint it alone
                self.refresh_lines(len(self._rows), before)
                return True
            changed = True
        if changed:
            self._resize()
        return changed

    def set_marks(self, marks: LineMarks) -> None:
        """Mark words against a reference (heard wrong, extra, missing): the lines whose marks changed are
        wrapped again, in place; the others keep their rows."""
        changed = [i for i, line in enumerate(self._lines) if marks.get(line.seq) != self._marks.get(line.seq)]
        self._marks = marks
        if not changed:
            return
        offsets = [0]
        for count in self._row_counts:
            offsets.append(offsets[-1] + count)
        for index in reversed(changed):  # from the end, so the offsets before it still hold
            rows = self._wrap_line(self._lines[index])
            self._rows[offsets[index] : offsets[index + 1]] = rows
            self._row_counts[index] = len(rows)
        self._strips.clear()
        if self.search:
            self.matches = [i for i, row in enumerate(self._rows) if self._matches(row)]
        self._resize()

    def set_show_interim(self, show: bool) -> None:
        self.show_interim = show
        if not show:
            self._interims, self._interim_rows = (), []
            self._resize()

    def jump_to_end(self) -> None:
        self.follow, self.new_lines = True, 0
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def find(self, term: str) -> int:
        """Highlight ``term`` (case-insensitive) and go to its last match; returns the number of matching rows."""
        self.search = term.strip()
        self._strips.clear()
        self.matches = [i for i, row in enumerate(self._rows) if self._matches(row)]
        self.match_index = len(self.matches) - 1
        self._show_match()
        self.refresh()
        return len(self.matches)

    def next_match(self, step: int = 1) -> None:
        if self.matches:
            self.match_index = (self.match_index + step) % len(self.matches)
            self._show_match()

    @property
    def row_count(self) -> int:
        return len(self._rows) + len(self._interim_rows)

    def plain_rows(self) -> list[str]:
        """The rows as plain text (what a reader sees), for tests and exports of the view."""
        return [row.plain for row in [*self._rows, *self._interim_rows]]

    # -- rows --------------------------------------------------------------------------------------------

    def _text_width(self) -> int:
        return max(0, self.scrollable_content_region.width - 1)

    def _append(self, lines: Iterable[TranscriptLine]) -> int:
        added = 0
        for line in lines:
            if len(self._lines) == self._lines.maxlen:
                self._lines.popleft()
                drop = self._row_counts.popleft()
                del self._rows[:drop]
                self._dropped += drop
                self.matches = [m - drop for m in self.matches if m >= drop]
            self._lines.append(line)
            rows = self._wrap_line(line)
            self._row_counts.append(len(rows))
            if self.search:
                self.matches.extend(len(self._rows) + i for i, row in enumerate(rows) if self._matches(row))
            self._rows.extend(rows)
            self._last_seq = line.seq
            added += len(rows)
        return added

    def _rewrap(self) -> None:
        lines = list(self._lines)
        self._lines.clear()
        self._row_counts.clear()
        self._rows, self.matches = [], []
        self._strips.clear()
        self._append(lines)
        self._interims = ()  # rewrap interims on the next sync too

    def _resize(self) -> None:
        """Grow the scrollable area, without a layout pass unless the scrollbar appears or goes: the pane's size
        does not change with its rows, and a layout repaints every widget on the screen (with four lanes growing
        at once, it had been most of the loop's time)."""
        size = Size(self._width, self.row_count)
        if self.show_vertical_scrollbar != (size.height > self.scrollable_content_region.height):
            self.virtual_size = size
        elif size != self.virtual_size:
            self.set_reactive(TranscriptView.virtual_size, size)
            self._scroll_update(size)
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.refresh()

    def _prefix(self, start: float, channel: int) -> Text:
        prefix = Text(f"{audio_time(start):<7} ", style="dim")
        if self._channels > 1:
            prefix.append(f"ch{channel} ", style="bold")
        return prefix

    def _wrap_line(self, line: TranscriptLine) -> list[Text]:
        if line.kind == "reconnect":
            return [Text(f"{audio_time(line.start):<7} ↻ {line.text}", style="yellow")]
        if line.kind != "final":  # a marker fits the pane, in its short form if need be, or wraps: never cut
            rule, label, style = MARKERS.get(line.kind, ("──", line.kind, "dim"))
            label = line.text or label
            marker = f"{rule} {label} · {audio_time(line.end)} {rule}"
            if STAMP_WIDTH + len(marker) > self._width and not line.text and line.kind in SHORT_MARKERS:
                marker = f"{rule} {SHORT_MARKERS[line.kind]} · {audio_time(line.end)} {rule}"
            return self._wrap(Text(" " * STAMP_WIDTH), Text(marker, style=style))
        body = self._body(line)
        if line.from_finalize:
            body.append("  ⇥ from_finalize", style="dim italic")
        return self._wrap(self._prefix(line.start, line.channel), body)

    def _wrap_interim(self, start: float, text: str) -> list[Text]:
        return self._wrap(Text(f"{audio_time(start):<7} ", style="dim"), Text(f"… {text}", style="dim italic"))

    def _body(self, line: TranscriptLine) -> Text:
        """A final's words: marked against a reference when there are marks for it (lanes), otherwise with
        their speakers and low-confidence words."""
        marks = self._marks.get(line.seq)
        if marks is not None:
            return marked_body(marks)
        return self._words(line.words) if line.words else Text(line.text)

    def _words(self, words: tuple[Word, ...]) -> Text:
        text = Text()
        speaker: int | None = None
        for i, word in enumerate(words):
            if word.speaker is not None and word.speaker != speaker:
                speaker = word.speaker
                text.append(("" if i == 0 else " ") + f"S{speaker}:", SPEAKER_STYLES[speaker % len(SPEAKER_STYLES)])
            if i or speaker is not None:
                text.append(" ")
            token = word.punctuated_word or word.word
            text.append(token, "underline yellow" if word.confidence < self.low_confidence else "")
        return text

    def _wrap(self, prefix: Text, body: Text) -> list[Text]:
        width = max(10, self._width - prefix.cell_len)
        console = self._console()
        wrapped = body.wrap(console, width, overflow="fold") or [Text("")]
        indent = Text(" " * prefix.cell_len)
        return [Text.assemble(prefix if i == 0 else indent, part) for i, part in enumerate(wrapped)]

    def _console(self) -> Console:
        return self.app.console

    def _matches(self, row: Text) -> bool:
        return bool(self.search) and self.search.lower() in row.plain.lower()

    def _show_match(self) -> None:
        if 0 <= self.match_index < len(self.matches):
            self.follow = False
            self.scroll_to(y=max(0, self.matches[self.match_index] - self.size.height // 2), animate=False, force=True)
            self.refresh()

    # -- rendering ---------------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        """One pass over the rows on screen: the widget's style (a walk up the DOM) is looked up once per pass,
        and the finished strips are kept until the style, the width or the row changes."""
        base = self.rich_style
        if (base, self.size.width) != self._strip_key:
            self._strip_key = (base, self.size.width)
            self._strips.clear()
        self._base_style = base
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        if index < len(self._rows):
            strip = self._strips.get(self._dropped + index)
            if strip is None:
                if len(self._strips) >= STRIPS_KEPT * max(1, self.size.height):
                    self._strips.clear()  # those on screen are drawn again at once; a dict leaves no cycles behind
                strip = self._strips[self._dropped + index] = self._finish(self._render_row(self._rows[index], index))
            return strip
        if index - len(self._rows) < len(self._interim_rows):
            return self._finish(self._render_row(self._interim_rows[index - len(self._rows)], -1))
        return Strip.blank(self.size.width, self._base_style)

    def _finish(self, strip: Strip) -> Strip:
        width, base = self.size.width, self._base_style
        return strip.crop_extend(0, width, base).apply_style(base)

    def _render_row(self, row: Text, index: int) -> Strip:
        if self.search and index >= 0 and self._matches(row):
            row = row.copy()
            row.highlight_words([self.search], style=Style(reverse=True), case_sensitive=False)
            if self.matches and self.match_index >= 0 and self.matches[self.match_index] == index:
                row.stylize("bold")
        return Strip(list(row.render(self._console())), row.cell_len)
