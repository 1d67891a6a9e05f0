"""Tags agents put on conversations and calls."""
