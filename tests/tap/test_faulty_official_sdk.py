"""Faults as Deepgram's own Python SDK meets them (v1 and v2), and as dgtui's own client does: the refusal's status,
the dropped connection, the closing code, Flux's fatal ``Error``; dgtui reconnects past a drop and loses nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.support.audio import clip_pcm
from tests.support.cli import dgtui
from tests.support.sdk import sdk_stream


@pytest.fixture
def faulted_serve(tmp_path):  # type: ignore[no-untyped-def]
    """``dgtui serve --fault SPEC ...`` as a user starts it: its root URL, the process, and its console."""
    started: list[subprocess.Popen[str]] = []

    def start(*specs: str) -> str:
        faults = [part for spec in specs for part in ("--fault", spec)]
        process = subprocess.Popen([sys.executable, "-m", "dgtui", "serve", "--port", "0", "--workers", "1",
                                    "--capacity", "8", *faults], stdout=subprocess.PIPE, text=True)  # fmt: skip
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"listening on (ws://127\.0\.0\.1:\d+)/v1/listen", line)
        assert found, line
        return found.group(1)

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


def stream_v1(root: str, seconds: int = 4) -> tuple[list, str | None]:  # type: ignore[type-arg]
    return sdk_stream(root, clip_pcm("council")[: 32000 * seconds], chunk=32000, model="nova-3")


def test_the_sdk_meets_a_refusal_a_drop_and_a_close(faulted_serve):
    with pytest.raises(Exception, match="429"):
        stream_v1(faulted_serve("refuse:status=429"))
    received, failure = stream_v1(faulted_serve("drop:at=2s"))
    assert failure is not None and "no close frame" in failure and len(received) < 10
    _, failure = stream_v1(faulted_serve("close:code=1011,at=2s"))
    assert failure is not None and "1011" in failure and "dpgr.am/net0001" in failure


def test_the_sdk_on_flux_gets_the_fatal_error_then_the_close(faulted_serve):
    root = faulted_serve("error:code=SLOW_AUDIO,description=too slow,path=v2")
    received, failure = sdk_stream(root, clip_pcm("council")[: 32000 * 3], api="v2", chunk=2560,
                                   model="flux-general-en")  # fmt: skip
    fatal = [m for m in received if type(m).__name__ == "ListenV2FatalError"]
    assert fatal and fatal[0].code == "SLOW_AUDIO" and fatal[0].description == "too slow"
    assert failure is not None and "1011" in failure


def test_dgtuis_own_client_reconnects_past_a_drop_and_loses_no_words(faulted_serve, tmp_path):
    root = faulted_serve("drop:at=2s,conn=1")
    source = tmp_path / "council.wav"
    from tests.support.audio import encode

    source.write_bytes(encode(clip_pcm("council")[: 32000 * 6], 16000, "wav", "pcm_s16le"))
    result = dgtui("stream", str(source), "--url", f"{root}/v1/listen", "--json", "--no-record")
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    kinds = [line.get("type") for line in lines]
    assert result.returncode == 0, result.stderr.decode()
    assert "dgtui.Reconnected" in kinds and kinds.count("dgtui.Connected") == 2
    summary = lines[-1]["streams"][0]
    assert summary["audio_seconds"] == 6.0 and summary["reconnects"] == 1


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize(
    ("spec", "expect"),
    [
        ("refuse:status=503", "503"),
        ("drop:at=1s", "no close frame"),
        ("close:code=1011,at=1s", "1011"),
        ("malformed:after=1", "malformed"),
        ("delay:ms=900", "late"),
        ("stall:at=1s,for=2s,then=close", "1011"),
    ],
)
def test_each_fault_as_the_sdk_meets_it_on_nova_and_flux(faulted_serve, api, spec, expect):
    import time

    root = faulted_serve(spec)
    options = {"model": "nova-3"} if api == "v1" else {"model": "flux-general-en"}
    began = time.monotonic()
    try:
        received, failure = sdk_stream(root, clip_pcm("council")[: 32000 * 3], api=api, chunk=6400, **options)
    except Exception as exc:  # refused at the handshake: the SDK raises from connect
        received, failure = [], f"{type(exc).__name__}: {exc}"
    took = time.monotonic() - began
    if expect == "malformed":  # Deepgram's SDK skips a text message that is not JSON, and the stream goes on
        assert failure is None and received
    elif expect == "late":
        assert failure is None and took >= 0.9 and received  # every message, each 900 ms later: a lower bound
    else:
        assert failure is not None and expect in failure, failure
