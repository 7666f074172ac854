"""What a stream is, fixed when it is made: its API decides its lights."""

from __future__ import annotations

from dgtui.state.setup import Setup


def test_the_api_decides_flux_and_the_lights():
    nova, flux = Setup("n"), Setup("f", api="v2")
    assert not nova.flux and nova.flags == (
        "is_final",
        "speech_final",
        "from_finalize",
        "SpeechStarted",
        "UtteranceEnd",
    )
    assert flux.flux and "EndOfTurn" in flux.flags and "is_final" not in flux.flags
    assert not nova.local_engine and nova.prices.models  # dgtui's dated default prices
