"""Real-time: the event bus that feeds WebSocket clients and in-process listeners."""
