"""The local server's HTTP errors in Deepgram's shape: a JSON body, dg-error and dg-request-id."""

from __future__ import annotations

import json

from dgtui.server.errors import error_response


def test_an_error_response_carries_the_code_the_message_and_the_request_id():
    response = error_response(429, "TOO_MANY_REQUESTS", "Too many concurrent requests.", "r-1")
    assert response.status_code == 429 and response.reason_phrase == "Too Many Requests"
    assert json.loads(response.body) == {"err_code": "TOO_MANY_REQUESTS", "err_msg": "Too many concurrent requests.",
                                         "request_id": "r-1"}  # fmt: skip
    headers = response.headers
    assert headers["dg-error"] == "Too many concurrent requests." and headers["dg-request-id"] == "r-1"
    assert headers["Content-Type"] == "application/json" and int(headers["Content-Length"]) == len(response.body)
