"""Decoders kept loaded and reused: a reused decoder hears a stream as a freshly loaded one does."""

from __future__ import annotations

from typing import Any

from dgtui.server.engine.recognizer import ChannelRecognizer, RecognizerSettings, new_decoder
from dgtui.server.engine.shelf import DecoderShelf
from dgtui.server.engine.synthetic import PlaceholderDecoder
from tests.support.audio import clip_pcm


def finals(decoder: Any, pcm: bytes) -> list[str]:
    messages: list[dict] = []
    recognizer = ChannelRecognizer(decoder, RecognizerSettings.from_options({}, 0.25), messages.append, {}, 0, 1)
    recognizer.feed(pcm)
    recognizer.flush()
    return [m["channel"]["alternatives"][0]["transcript"] for m in messages if m.get("is_final")]


def test_a_reused_decoder_gives_the_words_a_fresh_one_gives():
    shelf = DecoderShelf(new_decoder, spares=1)
    shelf.add_spare()
    council, weather = clip_pcm("council")[: 32000 * 6], clip_pcm("weather")[: 32000 * 5]
    decoder = shelf.take()
    assert shelf.ready == 0
    finals(decoder, council)  # it adapts its cepstral mean to this voice
    shelf.give(decoder)
    assert shelf.ready == 1
    reused = shelf.take()
    assert reused is decoder
    assert finals(reused, weather) == finals(new_decoder(), weather)


def test_the_shelf_keeps_at_most_keep_and_never_reuses_a_decoder_it_cannot_reset():
    shelf = DecoderShelf(new_decoder, spares=0, keep=1)
    first, second = shelf.take(), shelf.take()
    shelf.give(first)
    shelf.give(second)
    assert shelf.ready == 1
    synthetic = DecoderShelf(PlaceholderDecoder, spares=1)
    assert synthetic.wants_spare()
    synthetic.add_spare()
    placeholder = synthetic.take()
    synthetic.give(placeholder)  # its word counter is its state: a new one is made instead
    assert synthetic.ready == 0 and synthetic.take() is not placeholder
