"""The media engine's building blocks: RTP, G.711, DTMF, jitter buffer, WAV, players,
mixer, tones and the 20 ms frame clock.

Pure and synchronous (no sockets, no event loop, no wall clock): the asyncio engine that
runs in its own process drives them once per tick, and tests drive them directly. The
exceptions are that engine (``engine``, run as ``python -m helpline.channels.media.engine``),
its JSON-lines control protocol (``protocol``) and the asyncio client that starts and
drives it, the ``MediaEngine`` port of the SIP side (``client.MediaEngineClient``).
"""
