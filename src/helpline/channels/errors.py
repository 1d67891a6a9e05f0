"""Errors the messaging provider adapters (``channels.sms``, ``channels.meta``) raise.

- :class:`ProviderPayloadError`: what a provider sent us (a webhook, a media file) is not
  what its documentation promises. Intake answers it with a 4xx and stores nothing.
- :class:`ProviderSendError`: a :class:`~helpline.channels.messaging.SendError` that also
  carries the provider's own error code and the HTTP status, for the conversation's
  history and for the logs. Catch ``SendError``; read ``code`` when you want it.
- :class:`MediaFetchError`: downloading an attachment the provider hosts failed;
  ``retryable`` as for sends.
"""

from __future__ import annotations

from helpline.channels.messaging import SendError


class ProviderPayloadError(ValueError):
    """A provider's payload is malformed. ``field`` names what is wrong (``MessageSid``,
    ``entry[0].messaging[1].message.mid``, ``payload`` for the whole thing)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class ProviderSendError(SendError):
    """A send the provider refused or could not take. ``code`` is the provider's error code
    (Twilio's ``21211``, the Graph API's ``100``…) when it gave one, ``http_status`` the
    HTTP status when there was an answer at all."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.code = code
        self.http_status = http_status


class MediaFetchError(Exception):
    """Downloading a provider-hosted attachment failed. ``retryable``: a network error, 429
    or 5xx, worth trying again later; otherwise the media is gone or forbidden."""

    def __init__(self, message: str, *, retryable: bool, http_status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.http_status = http_status
