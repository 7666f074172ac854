"""The labels a stream's series carry: few values whatever the streams are called."""

from __future__ import annotations

from dgtui.metrics.labels import backend_label, labels_of
from dgtui.state.setup import Setup


def test_labels_are_few_whatever_the_names():
    def setup(name: str, **more) -> Setup:
        return Setup(name, options={"model": "nova-3", **more.pop("options", {})}, **more)

    assert labels_of(setup("talk#2"), "local").stream == "talk"  # copies pool
    lane = labels_of(setup("talk/fast#3"), "deepgram")
    assert (lane.stream, lane.lane, lane.backend) == ("talk", "fast", "deepgram")
    tapped = labels_of(setup("10.0.0.7:5512 3f1c9a52", tapped=True, options={"tag": ["agent", "eu"]}), "deepgram")
    assert (tapped.stream, tapped.lane) == ("agent", "")  # the app's tag, never its address or a request id
    assert labels_of(setup("10.0.0.7:5512 3f1c9a52", tapped=True), "deepgram").stream == "tapped"
    assert labels_of(Setup("x"), "local").model == "default"
    assert backend_label("deepgram", "wss://api.deepgram.com/v1/listen?token=secret") == "deepgram"
    assert backend_label("url", "ws://user:secret@10.1.2.3:8080/v1/listen?key=k") == "10.1.2.3:8080"
    assert backend_label("url", "wss://eu.api.deepgram.com/v1/listen") == "deepgram"
