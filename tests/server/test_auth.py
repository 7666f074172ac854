"""The local server's credential checks, in every form Deepgram accepts, compared in constant time."""

from __future__ import annotations

import pytest
from websockets.datastructures import Headers

from dgtui.server.auth import is_authorized, offered_credential, select_subprotocol


@pytest.mark.parametrize(
    ("headers", "offered"),
    [
        ([("Authorization", "Token k-1234")], "k-1234"),
        ([("Authorization", "bearer  t-5678 ")], "t-5678"),
        ([("Authorization", "Basic abc")], None),  # a scheme Deepgram does not take
        ([("Sec-WebSocket-Protocol", "token, k-1234")], "k-1234"),  # browsers cannot set Authorization
        ([("Sec-WebSocket-Protocol", "chat"), ("Sec-WebSocket-Protocol", "bearer, t-5678")], "t-5678"),
        ([("Sec-WebSocket-Protocol", "token")], None),  # the scheme without a key
        ([], None),
    ],
)
def test_the_credential_a_client_offered(headers, offered):
    assert offered_credential(Headers(headers)) == offered


def test_only_the_right_key_is_authorized_and_the_key_is_never_echoed():
    assert is_authorized(Headers([("Authorization", "Token right-key")]), "right-key")
    assert not is_authorized(Headers([("Authorization", "Token wrong-key")]), "right-key")
    assert not is_authorized(Headers([]), "right-key")
    assert select_subprotocol(["token", "right-key"]) == "token" and select_subprotocol(["chat"]) is None
