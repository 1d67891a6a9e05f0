"""Paths that take uploads larger than the general body limit (``HELPLINE_MAX_BODY_BYTES``).

The body-size middleware refuses a request before routing, so it cannot ask the endpoint;
a domain whose endpoints take files declares their paths here when its router is imported.
The endpoint still checks the file's own size, with a message for the person uploading.
"""

from __future__ import annotations

_LIMITS: dict[str, int] = {}

# Room for the multipart framing and the form's other fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


def allow_uploads(path_prefix: str, max_file_bytes: int) -> None:
    """Let requests under ``path_prefix`` carry a file of up to ``max_file_bytes``."""
    limit = max_file_bytes + MULTIPART_OVERHEAD
    _LIMITS[path_prefix.rstrip("/")] = max(limit, _LIMITS.get(path_prefix.rstrip("/"), 0))


def body_limit(path: str, default: int) -> int:
    """The largest body a request to ``path`` may send."""
    limit = default
    for prefix, allowed in _LIMITS.items():
        if path == prefix or path.startswith(f"{prefix}/"):
            limit = max(limit, allowed)
    return limit
