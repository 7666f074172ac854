"""Options <-> query string: the wire rules, typed parsing, the bad parameter named."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dgtui.protocol import (
    OptionError,
    encode_query,
    parse_query,
)

option_values = st.one_of(
    st.booleans(),
    st.integers(min_value=0, max_value=100_000),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10),
        min_size=1,
        max_size=3,
    ),
)


def test_encode_query_follows_the_wire_rules():
    query = encode_query(
        {
            "model": "nova-3",
            "interim_results": True,
            "smart_format": False,
            "endpointing": 300,
            "keyterm": ["customer service", "Deepgram"],
            "extra": ["team:a b"],
            "skipped": None,
            "future_param": "x",
        }
    )
    pairs = parse_qsl(query)
    assert ("interim_results", "true") in pairs and ("smart_format", "false") in pairs
    assert [v for k, v in pairs if k == "keyterm"] == ["customer service", "Deepgram"]
    assert "customer%20service" in query
    assert ("future_param", "x") in pairs
    assert "skipped" not in query


def test_parse_query_types_known_and_passes_unknown():
    options = parse_query(
        "model=nova-3&interim_results=true&endpointing=false&utterance_end_ms=1000"
        "&keyterm=a&keyterm=b&future=1&future=2&encoding=mulaw&sample_rate=8000"
    )
    assert options["interim_results"] is True
    assert options["endpointing"] is False
    assert options["utterance_end_ms"] == 1000
    assert options["keyterm"] == ["a", "b"]
    assert options["future"] == ["1", "2"]
    assert options["sample_rate"] == 8000


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("diarize=True", "diarize"),
        ("encoding=mp4&sample_rate=1", "encoding"),
        ("encoding=linear16&sample_rate=fast", "sample_rate"),
        ("encoding=linear16", "sample_rate"),
        ("endpointing=-5", "endpointing"),
        ("channels=21&encoding=linear16&sample_rate=8000", "channels"),
        ("model=", "model"),
        ("model=a&model=b", "model"),
        ("redact=everything", "redact"),
    ],
)
def test_parse_query_names_the_bad_parameter(query, param):
    with pytest.raises(OptionError) as caught:
        parse_query(query)
    assert caught.value.param == param
    assert param in caught.value.message


@given(st.dictionaries(st.from_regex(r"x_[a-z]{1,8}", fullmatch=True), option_values, max_size=6))
def test_unknown_options_round_trip(options):
    parsed = parse_query(encode_query(options))
    for key, value in options.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int):
            value = str(value)
        elif isinstance(value, list) and len(value) == 1:
            value = value[0]
        assert parsed[key] == value


@given(st.text(max_size=300))
def test_parse_query_raises_only_option_errors(query):
    with contextlib.suppress(OptionError):
        parse_query(query)
