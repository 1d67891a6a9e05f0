"""Helpline core: the pure, deterministic, clock-injected heart of the contact center.

Everything in this package imports the Python standard library only. Time is passed in
as ``float`` seconds since an epoch chosen by the caller (the live service uses the Unix
epoch, the simulator and the tests start at 0.0); randomness comes from an injected seed
or :class:`random.Random`.
"""
