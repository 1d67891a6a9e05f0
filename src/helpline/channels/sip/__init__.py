"""Helpline's SIP stack: messages, transport, transactions, dialogs, digest auth, SDP."""
