"""Storage: engine, declarative base, unit of work, the event log and migrations."""
