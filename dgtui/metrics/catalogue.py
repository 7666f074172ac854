"""Every metric dgtui exposes: its name, what it means and its labels beyond the stream's (one table: the
collector builds from it, the README's table and the tests that check the rules and the dashboard read it).

Names follow Prometheus's conventions: a ``dgtui_`` prefix, base units with their suffix (``_seconds``,
``_bytes``), ``_total`` on counters. Every latency is a histogram whose buckets are
:data:`dgtui.state.stats.LATENCY_EDGES`, so ``histogram_quantile`` over ``sum by (le)`` pools them across streams
and machines.
"""

from __future__ import annotations

# counter name -> (help, labels beyond the stream's)
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dgtui_streams_total": ("Streams opened under this label set (a tap: calls).", ()),
    "dgtui_messages_total": ("Server messages received, by type.", ("type",)),
    "dgtui_finals_total": ("Nova results with is_final.", ()),
    "dgtui_speech_finals_total": ("Nova results with speech_final.", ()),
    "dgtui_utterance_ends_total": ("Nova UtteranceEnd messages.", ()),
    "dgtui_turns_total": ("Flux turns ended (EndOfTurn).", ()),
    "dgtui_reconnects_total": ("Connections opened again after a drop or a manual reconnect.", ()),
    "dgtui_errors_total": (
        "Errors, by code: http_STATUS (a refused handshake), close_CODE (a close that was not "
        "clean), the server's Error code (NET-0001), invalid_frame.",
        ("code",),
    ),
    "dgtui_audio_sent_seconds_total": ("Seconds of audio sent (each second once).", ()),
    "dgtui_audio_resent_seconds_total": ("Seconds of audio sent again after drops (billed again).", ()),
    "dgtui_sent_bytes_total": ("Bytes of audio sent.", ()),
    "dgtui_cost_usd_total": (
        "What the audio cost so far at the configured prices (USD; [prices] in the config "
        "file). Only for priced streams: Deepgram's cloud.",
        (),
    ),
}

# gauge name -> (help, labels beyond the stream's)
GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "dgtui_streams": (
        "Streams by state: connecting, streaming, reconnecting, paused, closing, closed, error "
        "(an ended stream stays for the grace period).",
        ("state",),
    ),
    "dgtui_connected": ("Streams with a connection open.", ()),
    "dgtui_seconds_since_words": (
        "Seconds since words were last transcribed (the highest over the running "
        "streams): a feed gone silent, or a server that stopped hearing.",
        (),
    ),
    "dgtui_seconds_since_audio_level": (
        "Seconds since the audio last carried a signal above -50 dBFS (the "
        "highest over the running streams): a dead or muted feed.",
        (),
    ),
    "dgtui_audio_level_dbfs": ("The audio's level now, dBFS (the highest over the running streams).", ()),
    "dgtui_send_pace_ratio": (
        "Seconds of audio sent per second over the last 5 s (1: real time; a tapped "
        "application's pace; the highest over the running streams).",
        (),
    ),
    "dgtui_word_error_rate": (
        "Word error rate against the reference, over the words reached so far (with a reference only).",
        (),
    ),
    "dgtui_reference_words": ("Reference words the word error rate counts (with a reference only).", ()),
}

# histogram name -> help (seconds; buckets: LATENCY_EDGES)
HISTOGRAMS: dict[str, str] = {
    "dgtui_interim_latency_seconds": "Audio sent minus the end of each interim result (Flux: Update) as it "
    "arrives: Deepgram's definition of latency.",
    "dgtui_final_latency_seconds": "The same for each final result (Nova).",
    "dgtui_end_of_turn_seconds": "Nova: from the last interim with words to the speech_final or UtteranceEnd "
    "that closed the turn; Flux: from sending the turn's last word to its EndOfTurn (wall clock).",
    "dgtui_time_to_first_transcript_seconds": "From the first audio sent to the first result with words (one "
    "value per stream).",
    "dgtui_flux_end_of_turn_audio_seconds": "Flux: audio sent when EndOfTurn arrives minus the turn's last word end.",
    "dgtui_flux_eager_to_end_of_turn_seconds": "Flux: from EagerEndOfTurn to EndOfTurn.",
    "dgtui_flux_start_of_turn_seconds": "Flux: audio sent when StartOfTurn arrives minus the turn's first word start.",
    "dgtui_anchored_speech_end_seconds": "With true word times: from sending the true end of speech to the "
    "first turn-end signal (speech_final, UtteranceEnd, EndOfTurn).",
    "dgtui_anchored_first_word_seconds": "With true word times: from sending the true onset of speech to the "
    "first words shown.",
    "dgtui_anchored_word_final_seconds": "With true word times: from sending each true word's end to the final "
    "words reaching it.",
}

# dgtui serve's own: name -> (kind, help, labels)
SERVER: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "dgtui_server_connections": ("gauge", "Live streams being served now.", ()),
    "dgtui_server_capacity_streams": ("gauge", "Streams admitted before HTTP 429 (measured or --capacity).", ()),
    "dgtui_server_streams_total": ("counter", "Streams accepted, by API (v1: Nova, v2: Flux).", ("api",)),
    "dgtui_server_refusals_total": ("counter", "Handshakes refused, by HTTP status.", ("status",)),
    "dgtui_server_faults_total": ("counter", "Injected faults that fired (--fault), by kind.", ("kind",)),
    "dgtui_server_audio_seconds_total": ("counter", "Seconds of audio the engine transcribed (streams ended).", ()),
    "dgtui_server_engine_cpu_seconds_total": (
        "counter",
        "CPU seconds the engine spent on them: divided by the audio's rate, the real-time factor.",
        (),
    ),
    "dgtui_server_real_time_factor": (
        "histogram",
        "Each ended stream's real-time factor (engine CPU seconds per second of audio).",
        (),
    ),
    "dgtui_server_queue_wait_seconds": (
        "histogram",
        "How long each audio frame waited to enter the engine's queue (its pipe was full).",
        (),
    ),
}

PROCESS = ("dgtui_info", "dgtui_metrics_label_sets")  # the exporter's own (dgtui.metrics.exporter)


def names() -> set[str]:
    """Every metric family's name, as a scrape shows it."""
    return {*COUNTERS, *GAUGES, *HISTOGRAMS, *SERVER, *PROCESS}
