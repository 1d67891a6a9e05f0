"""Help: the user guide of each role, served from docs/guides, and sharing it."""
