"""The browser softphone: WebRTC sessions of agents, attached to the voice service."""
