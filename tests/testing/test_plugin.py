"""The pytest plugin as an application's team uses it: the README's example test run as a real pytest session
(pytester), with Deepgram's SDK against the local Deepgram, its faults and what it saw."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE = Path(__file__).with_name("example_agent.py")
ROOT = Path(__file__).resolve().parents[2]

pytest_plugins = ["pytester"]


def test_the_readmes_example_runs_as_a_real_pytest_session(pytester: pytest.Pytester):
    pytester.makepyfile(test_agent=EXAMPLE.read_text())
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")  # the entry point loads the plugin
    result.assert_outcomes(passed=3)
    assert EXAMPLE.read_text() in (ROOT / "README.md").read_text()  # what the README shows is what runs


def test_a_bad_fault_in_the_marker_fails_the_test_saying_why(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_bad="""
import pytest

@pytest.mark.deepgram(faults=["refuse:status=418"])
def test_it(deepgram_server):
    pass
"""
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")  # the entry point loads the plugin
    result.assert_outcomes(errors=1)  # the fixture says it, before the test runs
    result.stdout.fnmatch_lines(["*@pytest.mark.deepgram: --fault refuse:status=418*expected one of*"])
