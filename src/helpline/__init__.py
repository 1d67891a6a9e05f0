"""Helpline: an open-source, self-hosted contact center."""

__version__ = "0.1.0"
