"""TLS against a real TLS server on loopback (a TLS front for the local server): certificates are verified."""

from __future__ import annotations

import asyncio
import ssl

import pytest
import trustme

from dgtui.audio.local import FileSource
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.state.events import State
from tests.conftest import TEST_KEY
from tests.support.proxy import FaultProxy


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_front(ca: trustme.CA, target: str, *names: str) -> FaultProxy:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return FaultProxy(target, tls=context).start()


async def stream(url: str, wav, key: str | None = None) -> LiveSession:
    config = SessionConfig("tls", url, {"punctuate": True}, api_key=key, reconnect_attempts=0)
    session = LiveSession(config, FileSource(wav, realtime=False))
    await asyncio.wait_for(session.run(), 60)
    return session


async def test_a_certificate_from_an_unknown_authority_is_refused(server, ca, clip_file):
    proxy = tls_front(ca, server.url, "127.0.0.1")
    try:
        session = await stream(proxy.url, clip_file(seconds=2.0))
    finally:
        proxy.stop()
    assert (
        session.state.connection.phase is State.ERROR and proxy.connections == 0
    )  # no byte of HTTP reached the server
    assert session.state.connection.error.startswith(
        "TLS failure with 127.0.0.1: unable to get local issuer certificate"
    )
    assert "could not be verified" in session.state.connection.error and not session.state.transcript.finals


async def test_a_certificate_for_another_host_is_refused_even_from_a_trusted_authority(
    keyed_server, ca, clip_file, monkeypatch, tmp_path
):
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # how a user trusts a private authority
    proxy = tls_front(ca, keyed_server.url, "deepgram.example")
    try:
        session = await stream(proxy.url_for("localhost"), clip_file(seconds=2.0), key=TEST_KEY)
    finally:
        proxy.stop()
    assert session.state.connection.phase is State.ERROR
    assert session.state.connection.error.startswith(
        "TLS failure with localhost: Hostname mismatch, certificate is not valid for"
    )
    assert "nothing was sent" in session.state.connection.error and "SSL_CERT_FILE" in session.state.connection.error
    assert (
        TEST_KEY not in session.state.connection.error and proxy.connections == 0
    )  # the handshake failed: the key never left


async def test_a_verified_server_streams(server, ca, clip_file, monkeypatch, tmp_path):
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    proxy = tls_front(ca, server.url, "localhost")
    try:
        session = await stream(proxy.url_for("localhost"), clip_file(seconds=4.0))
    finally:
        proxy.stop()
    assert session.state.clean, session.state.connection.error
    assert session.state.connection.url.startswith("wss://localhost:") and session.state.connection.timings.tls > 0
    assert "council" in session.state.transcript.text().lower()
