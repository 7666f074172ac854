"""HTTP error responses in Deepgram's shape: JSON body, ``dg-error`` header, ``dg-request-id`` always."""

from __future__ import annotations

import json
from http import HTTPStatus

from websockets.datastructures import Headers
from websockets.http11 import Response


def error_response(status: int, err_code: str, err_msg: str, request_id: str) -> Response:
    body = json.dumps({"err_code": err_code, "err_msg": err_msg, "request_id": request_id}).encode()
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("dg-error", err_msg),
            ("dg-request-id", request_id),
            ("Connection", "close"),
        ]
    )
    return Response(status, HTTPStatus(status).phrase, headers, body)
