"""Redaction: the one function every output path uses so an API key is never shown.

Secrets are registered when read (the key from the environment, a flag or a file); ``redact`` replaces every
registered secret, and anything that looks like a credential in a URL's query, with ``***``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_secrets: set[str] = set()
_CREDENTIAL_PARAMS = {"token", "key", "api_key", "apikey", "access_token"}


def register_secret(value: str | None) -> None:
    if value and len(value) >= 4:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def is_credential(parameter: str) -> bool:
    """Whether a query parameter carries a credential (its value is never shown)."""
    return parameter.lower() in _CREDENTIAL_PARAMS


def redact_url(url: str) -> str:
    """A URL fit to show: no user:password, no credential query parameters, no registered secret."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, MASK if k.lower() in _CREDENTIAL_PARAMS else v) for k, v in pairs], safe="*")
    return redact(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))
