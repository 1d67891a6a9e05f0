"""Webchat: the embeddable widget and the customer's side of a webchat conversation."""
