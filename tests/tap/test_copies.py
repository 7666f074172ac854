"""The records the forwarding process writes: read back whole however the pipe cuts them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dgtui.tap.copies import ENDED, FROM_APP, OPENED, Record, RecordReader, opened, pack, split_opened


@given(st.lists(st.binary(max_size=300), max_size=8), st.integers(min_value=1, max_value=64))
def test_records_come_back_whole_from_any_cuts(payloads, cut):
    stream = b"".join(pack(FROM_APP, n, n * 0.5, payload) for n, payload in enumerate(payloads))
    reader = RecordReader()
    records = [r for start in range(0, len(stream), cut) for r in reader.feed(stream[start : start + cut])]
    assert records == [Record(FROM_APP, n, n * 0.5, payload) for n, payload in enumerate(payloads)]


def test_an_opened_record_carries_the_peer_and_the_head():
    head = b"GET /v1/listen HTTP/1.1\r\nHost: x\r\n\r\n"
    (record,) = RecordReader().feed(opened(3, 12.5, "127.0.0.1:5000", head) + pack(ENDED, 3, 13.0)[:5])
    assert (record.kind, record.connection, record.at) == (OPENED, 3, 12.5)
    assert split_opened(record.payload) == ("127.0.0.1:5000", head)
