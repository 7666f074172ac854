"""The transcript pane grows without layout passes, follows the end, and draws the right rows after old ones
are dropped (its drawn rows are cached by their number since the start)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from dgtui.state.transcript import Transcript
from dgtui.tui.widgets.transcript_view import TranscriptView


class PaneApp(App[None]):
    CSS = "TranscriptView { height: 10; }"

    def __init__(self, keep: int = 1000) -> None:
        super().__init__()
        self.keep = keep

    def compose(self) -> ComposeResult:
        yield TranscriptView(keep=self.keep)


def add_lines(transcript: Transcript, first: int, count: int) -> None:
    for n in range(first, first + count):
        transcript.mark("reconnect", float(n), f"line {n}")


def shown(view: TranscriptView) -> list[str]:
    return [view.render_line(y).text.strip() for y in range(view.size.height)]


async def test_growing_past_the_pane_asks_for_no_layout_once_the_scrollbar_is_there() -> None:
    transcript = Transcript()
    app = PaneApp()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(TranscriptView)
        add_lines(transcript, 0, 5)
        view.sync(transcript)
        await pilot.pause()
        assert not view.show_vertical_scrollbar
        add_lines(transcript, 5, 20)
        view.sync(transcript)  # the scrollbar appears: this one needs a layout
        await pilot.pause()
        assert view.show_vertical_scrollbar
        add_lines(transcript, 25, 10)
        view.sync(transcript)
        assert view._layout_required is False  # the point: no layout pass for rows
        assert view.virtual_size.height == 35
        assert view.vertical_scrollbar.window_virtual_size == 35
        await pilot.pause()
        assert view.is_vertical_scroll_end
        assert shown(view)[-1].endswith("line 34")


async def test_rows_drawn_after_old_lines_are_dropped_are_the_newest() -> None:
    transcript = Transcript()
    app = PaneApp(keep=30)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(TranscriptView)
        for first in range(0, 100, 10):  # draw between each batch, so rows are cached and then dropped
            add_lines(transcript, first, 10)
            view.sync(transcript)
            await pilot.pause()
            assert [row.split()[-1] for row in shown(view)] == [str(n) for n in range(first, first + 10)]
        assert view.row_count == 30


async def test_marks_against_a_reference_rewrap_only_their_lines() -> None:
    import json

    from dgtui.judge.alignment import MarkedWord
    from dgtui.protocol.messages import decode_message

    transcript = Transcript()
    for start, text in ((0.0, "the cat sit"), (2.0, "on mat")):
        words = [
            {"word": w, "start": start + i * 0.3, "end": start + i * 0.3 + 0.25} for i, w in enumerate(text.split())
        ]
        transcript.on_message(decode_message(json.dumps({"type": "Results", "start": start, "duration": 1.0,
                                                         "is_final": True, "channel": {"alternatives": [
                                                             {"transcript": text, "words": words}]}})))  # fmt: skip
    app = PaneApp()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(TranscriptView)
        view.sync(transcript)
        await pilot.pause()
        assert [row.split(" ", 1)[1].strip() for row in view.plain_rows()] == ["the cat sit", "on mat"]
        first, second = (line.seq for line in transcript.lines)
        view.set_marks({second: (MarkedWord("on"), MarkedWord("mat", "equal", "the"))})
        assert [row.split(" ", 1)[1].strip() for row in view.plain_rows()] == ["the cat sit", "on the mat"]
        view.set_marks({first: (MarkedWord("the"), MarkedWord("cat"), MarkedWord("sit", "substitute"))})
        rows = view._rows  # the styled rows: the substitution red, the missing word gone again
        assert [row.plain.split(" ", 1)[1].strip() for row in rows] == ["the cat sit", "on mat"]
        assert any(span.style == "bold red" and rows[0].plain[span.start : span.end] == "sit" for span in rows[0].spans)
