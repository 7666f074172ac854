"""Two runs side by side: subjects paired, the change of each figure as shown, manifests that say the runs do
not compare."""

from __future__ import annotations

import pytest

from dgtui.judge.rundiff import (
    RUN_MARK,
    Run,
    RunError,
    Subject,
    not_comparable,
    pairs,
    run_block,
    run_of_report,
    shown,
    table,
    word_diff_text,
)


def test_pairs_changes_and_manifest_checks():
    manifest = {"audio_sha256": "ab" * 32, "pacing": "real time", "chunk_ms": 100, "encoding": "linear16",
                "sample_rate": 16000, "normaliser": 1, "reference_sha256": "cd" * 32, "conditions": []}  # fmt: skip
    before = Run("a", [Subject("fast", {"wer": 0.1, "latency.p50": 0.2, "reconnects": 0}, "the cat sat", manifest)])
    after = Run("b", [Subject("fast", {"wer": 0.08, "latency.p50": 0.15, "reconnects": 1}, "the cat sit",
                              {**manifest, "pacing": "unpaced", "normaliser": 2})])  # fmt: skip
    (pair,), alone = pairs(before, after)
    assert alone == []
    assert table(pair) == [("latency.p50", "200 ms", "150 ms", "-50 ms (-25%)"), ("wer", "10.0 %", "8.0 %", "-2.0 pts"),
                           ("reconnects", "0", "1", "+1")]  # fmt: skip
    assert pair.warnings == ["different pacing: real time and unpaced",
                             "different normaliser versions (word error rates count differently): 1 and 2"]  # fmt: skip
    assert word_diff_text(pair.words) == "the cat [-sat-] {+sit+}"
    assert not_comparable({}, manifest) == [
        "a run has no manifest (recorded before dgtui kept one): nothing says the runs compare"]  # fmt: skip


def test_a_report_keeps_its_run_in_a_block_that_reads_back():
    subjects = [Subject("fast", {"wer": 0.1}, "the -- cat", {"pacing": "real time"})]
    text = "# Lanes\n\n" + run_block(subjects)
    assert "the -- cat" not in text  # "--" would end the HTML comment early
    run = run_of_report(text, "report.md")
    assert run is not None and run.subjects == subjects and run.label == "report.md"
    assert run_of_report("# a report without its run\n", "old.md") is None
    with pytest.raises(RunError, match="damaged"):
        run_of_report(RUN_MARK + "{not json -->", "broken.md")


def test_one_subject_each_pair_whatever_their_names_and_others_pair_by_name():
    today, last_week = Run("a", [Subject("talk", {"wer": 0.1})]), Run("b", [Subject("talk#2", {"wer": 0.2})])
    (pair,), alone = pairs(today, last_week)
    assert (pair.before.name, pair.after.name, alone) == ("talk", "talk#2", [])
    many = Run("c", [Subject("x", {}), Subject("y", {})])
    other = Run("d", [Subject("x", {}), Subject("z", {})])
    matched, alone = pairs(many, other)
    assert [p.before.name for p in matched] == ["x"] and alone == ["y", "z"]
    assert shown("wer", None) == "-" and shown("latency.p50", 0.1234) == "123 ms"
