"""Facebook Messenger and Instagram messaging through Meta's webhooks and Send API.

:mod:`.webhooks` verifies and parses what Meta posts (:func:`~.webhooks.handshake`,
:func:`~.webhooks.valid_signature`, :func:`~.webhooks.parse_webhook`); :mod:`.send` replies
(:class:`~.send.MetaSender`).
"""

from helpline.channels.meta.send import MetaSender
from helpline.channels.meta.webhooks import handshake, parse_webhook, valid_signature

__all__ = ["MetaSender", "handshake", "parse_webhook", "valid_signature"]
