"""Prompts and hold music: the audio callers hear, shipped per language, replaceable by admins."""
