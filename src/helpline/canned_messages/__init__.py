"""Canned messages: personal ones per agent and public ones for everybody."""
