"""Adapters at the edge: they implement ports that the services declare."""
