"""Which :class:`MessageSender` sends for a channel and one of our addresses."""

from __future__ import annotations

from helpline.channels.messaging import Channel, MessageSender


class SenderRegistry:
    """Senders by channel, optionally for one of our addresses (a number, a page).

    ``register(Channel.SMS, twilio)`` sends every SMS conversation through ``twilio``;
    ``register(Channel.SMS, other, address="+3906…")`` overrides it for that number.
    """

    def __init__(self) -> None:
        self._by_address: dict[tuple[Channel, str], MessageSender] = {}
        self._by_channel: dict[Channel, MessageSender] = {}

    def register(
        self, channel: Channel, sender: MessageSender, *, address: str | None = None
    ) -> None:
        if address is None:
            self._by_channel[channel] = sender
        else:
            self._by_address[(channel, address)] = sender

    def unregister(self, channel: Channel, *, address: str | None = None) -> None:
        if address is None:
            self._by_channel.pop(channel, None)
        else:
            self._by_address.pop((channel, address), None)

    def get(self, channel: Channel, address: str) -> MessageSender | None:
        return self._by_address.get((channel, address)) or self._by_channel.get(channel)
