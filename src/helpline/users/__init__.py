"""Users, their roles and their lines (extensions)."""
