"""Sending email over SMTP (a plain relay on the site's network, STARTTLS when offered)."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpRelay:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 15.0

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as client:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls()
                client.ehlo()
            if self.username and self.password:
                client.login(self.username, self.password)
            client.send_message(message)

    async def send(self, *, recipients: list[str], subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message.set_content(body)
        await asyncio.to_thread(self._send, message)
