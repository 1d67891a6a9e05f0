"""Agents' SIP devices: the registrar's bindings of a line to the phones that answer it."""
