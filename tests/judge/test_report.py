"""The Markdown report: the comparison with its best marked, each lane's word diff against the reference."""

from __future__ import annotations

from dgtui.judge.accuracy import word_errors


def test_the_report_marks_the_best_and_diffs_each_lane():
    from dgtui.judge.compare import LaneRow, compare
    from dgtui.judge.report import diff_markdown, markdown

    assert diff_markdown("the cat sat on the mat", "the big cat sit on mat") == (
        "the **big** cat ~~sat~~ **sit** on ~~the~~ mat"
    )  # fmt: skip
    reference = "the cat sat on the mat"
    rows = [
        LaneRow("a", word_errors(reference, "the cat sat on the mat"), 0.1, 0.2, 0.5, 0.3, 1, 2, 0, None,
                transcript="the cat sat on the mat"),
        LaneRow("b", word_errors(reference, "the cat sit on mat"), 0.2, 0.1, 0.6, None, 4, 2, 1, "boom",
                transcript="the cat sit on mat"),
    ]  # fmt: skip
    comparison = compare("talk", rows, "talk.txt")
    assert comparison.best == {"wer": {"a"}, "latency_p50": {"a"}, "latency_p95": {"b"}, "ttft": {"a"},
                               "corrections": {"a"}, "reconnects": {"a"}}  # fmt: skip
    text = markdown(comparison, reference)
    assert "| a | **0.0%** | 0/0/0 | **100** | 200 | - | **500** | 300 | - | - | - | **1** | 2 | **0** | - |" in text
    assert "## b" in text and "the cat ~~sat~~ **sit** on ~~the~~ mat" in text and "error: boom" in text
