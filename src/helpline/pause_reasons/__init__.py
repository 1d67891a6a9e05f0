"""Pause reasons agents choose when they pause."""
