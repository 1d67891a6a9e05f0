"""Voice: Helpline's SIP user agent (registrar, calls) on top of ``channels.sip``."""
