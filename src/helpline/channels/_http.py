"""What the provider adapters share about HTTP: their client, bounded media downloads and
which answers are worth retrying."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from helpline.channels.errors import MediaFetchError, ProviderPayloadError

DEFAULT_CONTENT_TYPE = "application/octet-stream"


def client_for(client: httpx.AsyncClient | None, timeout: float) -> tuple[httpx.AsyncClient, bool]:
    """The client to use and whether we own it (and so close it in ``aclose``)."""
    if client is not None:
        return client, False
    return httpx.AsyncClient(timeout=timeout), True


def retryable_status(status: int) -> bool:
    """429 and 5xx: the provider is busy or broken, not refusing the request itself."""
    return status == 429 or status >= 500


def origin(url: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` with the default port made explicit; None if not http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if port is None:
        port = 443 if scheme == "https" else 80
    return scheme, parts.hostname.lower(), port


def media_type(header: str | None) -> str:
    """``image/jpeg`` from ``image/jpeg; charset=binary``; the generic type when absent."""
    value = (header or "").split(";", 1)[0].strip().lower()
    return value or DEFAULT_CONTENT_TYPE


async def fetch_limited(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    auth: httpx.Auth | tuple[str, str] | None = None,
) -> tuple[bytes, str]:
    """GET ``url`` (following redirects) and return its content and media type.

    The body is streamed and counted: more than ``max_bytes`` (announced by
    ``Content-Length`` or found while reading) raises :class:`ProviderPayloadError` as soon
    as it is known, and the connection is closed without reading the rest. A transport
    error, 429 or 5xx raises a retryable :class:`MediaFetchError`; another non-2xx a
    non-retryable one."""
    if max_bytes < 0:
        raise ValueError("max_bytes must not be negative")
    if origin(url) is None:
        raise ProviderPayloadError("media url", "not an http(s) URL")
    try:
        async with client.stream(
            "GET",
            url,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            follow_redirects=True,
            headers={"Accept-Encoding": "identity"},
        ) as response:
            if not response.is_success:
                raise MediaFetchError(
                    f"media download answered HTTP {response.status_code}",
                    retryable=retryable_status(response.status_code),
                    http_status=response.status_code,
                )
            declared = response.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                raise ProviderPayloadError(
                    "media", f"{declared} bytes, more than the {max_bytes} allowed"
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderPayloadError("media", f"more than the {max_bytes} bytes allowed")
                chunks.append(chunk)
            return b"".join(chunks), media_type(response.headers.get("content-type"))
    except httpx.TooManyRedirects as exc:
        raise MediaFetchError(f"media download: {exc}", retryable=False) from exc
    except httpx.TransportError as exc:
        raise MediaFetchError(
            f"media download failed: {type(exc).__name__}: {exc}", retryable=True
        ) from exc
