"""Authentication: passwords, browser sessions, API tokens, login throttling."""
