"""Decoded Deepgram messages for unit tests: a Results with words, an UtteranceEnd."""

from __future__ import annotations

import json

from dgtui.protocol.messages import decode_message


def results(text, *, start=0.0, duration=1.0, is_final=False, speech_final=False, channel=(0, 1), speaker=None):
    words = [
        {"word": w.lower(), "start": start + i * 0.1, "end": start + i * 0.1 + 0.1, "confidence": 0.9}
        | ({"speaker": speaker} if speaker is not None else {})
        for i, w in enumerate(text.split())
    ]
    return decode_message(
        json.dumps(
            {
                "type": "Results",
                "channel_index": list(channel),
                "start": start,
                "duration": duration,
                "is_final": is_final,
                "speech_final": speech_final,
                "channel": {"alternatives": [{"transcript": text, "confidence": 0.9, "words": words}]},
                "metadata": {"request_id": "r"},
            }
        )
    )


def utterance_end(last_word_end, channel=(0, 1)):
    return decode_message(
        json.dumps({"type": "UtteranceEnd", "channel": list(channel), "last_word_end": last_word_end})
    )
