"""Chats: conversations on every digital channel, routed by the ACD like calls."""
