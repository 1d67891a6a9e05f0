"""The ``audioop`` functions the media engine uses, without the deprecation noise.

``audioop`` is in the standard library up to Python 3.12 (deprecated since 3.11, so the
import warns) and gone from 3.13, where the ``audioop-lts`` package provides a module of
the same name and API. Importing it here, once, keeps the warning out of every log and
every test run, and is the one place to change if the source of these functions changes.

audioop works on samples in the host's byte order; the engine's linear PCM is 16-bit
little-endian (the order of WAV files and of every machine we ship for), so a big-endian
host is refused here rather than producing noise on the line.
"""

from __future__ import annotations

import sys
import warnings

if sys.byteorder != "little":  # pragma: no cover - no such host in CI
    raise ImportError("the media engine needs a little-endian host (audioop uses host order)")

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop as _audioop

error = _audioop.error
add = _audioop.add
alaw2lin = _audioop.alaw2lin
bias = _audioop.bias
lin2alaw = _audioop.lin2alaw
lin2lin = _audioop.lin2lin
lin2ulaw = _audioop.lin2ulaw
mul = _audioop.mul
peak = _audioop.max  # renamed: the largest absolute sample, not the builtin
ratecv = _audioop.ratecv
rms = _audioop.rms
tomono = _audioop.tomono
ulaw2lin = _audioop.ulaw2lin

__all__ = [
    "add",
    "alaw2lin",
    "bias",
    "error",
    "lin2alaw",
    "lin2lin",
    "lin2ulaw",
    "mul",
    "peak",
    "ratecv",
    "rms",
    "tomono",
    "ulaw2lin",
]
