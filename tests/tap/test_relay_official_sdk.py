"""Deepgram's official Python SDK pointed at the tap in front of the local server: the same transcript as without
the tap, and the same failure for a wrong key."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm
from tests.support.sdk import finals, sdk_client, sdk_stream
from tests.support.tap import TapThread, wait_until_closed


def finals_via(root: str, key: str = TEST_KEY) -> list[str]:
    received, _ = sdk_stream(root, clip_pcm("council")[: 32000 * 6], key=key, model="nova-3", interim_results="true",
                             punctuate="true")  # fmt: skip
    assert type(received[-1]).__name__ == "ListenV1Metadata"
    return finals(received)


def test_the_sdk_through_the_tap_gets_what_it_gets_without_it(keyed_server):
    root = keyed_server.url.removesuffix("/v1/listen")
    direct = finals_via(root)
    with TapThread(root) as tap:
        through = finals_via(tap.root)
    assert through == direct and any(direct)


def test_a_wrong_key_fails_the_sdk_the_same_way_through_the_tap(keyed_server):
    root = keyed_server.url.removesuffix("/v1/listen")

    def failure(where: str) -> str:
        client = sdk_client(where, "wrong")
        with (
            pytest.raises(Exception) as caught,
            client.listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000"),
        ):
            pass
        return f"{type(caught.value).__name__}: {caught.value}"

    direct = failure(root)
    with TapThread(root) as tap:
        through = failure(tap.root)
    assert "401" in direct and through.replace(tap.root.split("//")[1], "HOST") == direct.replace(
        root.split("//")[1], "HOST"
    )


def flux_turns_via(root: str, tap: TapThread | None = None) -> list[str]:
    client = sdk_client(root, TEST_KEY)
    pcm = clip_pcm("weather")[: 32000 * 12]
    received: list = []
    with client.listen.v2.connect(model="flux-general-en", encoding="linear16", sample_rate="16000",
                                  tag="flux-agent") as connection:  # fmt: skip
        reader = threading.Thread(target=lambda: received.extend(connection), daemon=True)
        reader.start()
        for offset in range(0, len(pcm), 2560):
            connection.send_media(pcm[offset : offset + 2560])
        connection.send_force_end_turn()
        connection.send_close_stream()
        reader.join(60)
    return [f"{m.event}:{m.transcript}" for m in received if type(m).__name__ == "ListenV2TurnInfo"]


def test_the_sdk_on_flux_through_the_tap_gets_the_same_turns_and_the_tap_sees_them(keyed_server):
    root = keyed_server.url.removesuffix("/v1/listen")
    direct = flux_turns_via(root)
    with TapThread(root) as tap:
        through = flux_turns_via(tap.root)
        wait_until_closed(tap.runner.sessions)
        state = tap.runner.sessions[0].state
    assert through == direct and any(t.startswith("EndOfTurn:") for t in direct)
    assert state.name == "flux-agent" and state.flux and state.setup.api == "v2"
    ends = [t.removeprefix("EndOfTurn:") for t in through if t.startswith("EndOfTurn:")]
    assert state.turns.ended == len(ends) and state.transcript.text() == " ".join(e for e in ends if e)
    assert state.sending.controls["ForceEndTurn"] == 1 and state.sending.controls["CloseStream"] == 1
    assert state.turns.metrics.eot_wall.count >= 1  # end-of-turn latency, as the app saw it
    assert state.clean, (state.connection.close_code, state.connection.error, [e.text for e in state.log.entries][-6:])


def test_the_upstream_gone_mid_stream_fails_the_sdk_as_a_dropped_deepgram_does():
    """An upstream that takes some audio, then cuts the TCP connection: the SDK's listener ends the same way
    straight and through the tap."""
    import asyncio

    import websockets

    ready = threading.Event()
    port: list[int] = []

    async def drops(ws) -> None:  # type: ignore[no-untyped-def]
        await ws.recv()
        ws.transport.abort()

    def serve() -> None:
        async def main() -> None:
            async with websockets.serve(drops, "127.0.0.1", 0) as server:
                port.append(server.sockets[0].getsockname()[1])
                ready.set()
                await asyncio.sleep(60)

        asyncio.run(main())

    threading.Thread(target=serve, daemon=True).start()
    assert ready.wait(10)
    root = f"ws://127.0.0.1:{port[0]}"

    def outcome(where: str) -> str:
        client = sdk_client(where, TEST_KEY)
        with client.listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000") as connection:
            connection.send_media(b"\0" * 3200)
            try:
                received = list(connection)
            except Exception as exc:  # what the SDK raises for a dropped connection
                return f"{type(exc).__name__}: {exc}".replace(where.split("//")[1], "HOST")
        return f"ended after {len(received)} messages"

    direct = outcome(root)
    with TapThread(root) as tap:
        through = outcome(tap.root)
    assert through == direct == "ConnectionClosedError: no close frame received or sent"  # 1006, both ways
