"""The browser softphone's media: WebRTC (aiortc) on one side, plain RTP to the engine on
the other (``gateway``)."""
