"""Media engine benchmark: ``uv run python -m benchmarks.media [--quick]``.

Measures, on one core, the per-20 ms-frame cost of the media engine's building blocks on
the two paths every call takes:

- relay (one leg, one frame): parse the RTP packet, put it in the jitter buffer, take the
  frame due at this tick out, transcode PCMU to PCMA for the other leg, build and
  serialise the outgoing packet;
- mix and record (one call, one tick, two legs): decode both legs to linear, mix them,
  write the mixed frame to a WAV recording.

The baseline is the cheapest relay imaginable, measured in the same run: copy the packet's
bytes and unpack its fixed header with one ``struct`` call. Figures are frames per second
of one core, and the equivalent number of concurrent two-leg calls (a call is 50 frames a
second on each of its 2 legs). Sockets and the event loop are not included: those are
measured with the engine, which adds their cost on top of these.
"""

from __future__ import annotations

import argparse
import gc
import io
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from helpline.channels.media.g711 import PCMA, PCMU, transcode
from helpline.channels.media.jitter import JitterBuffer
from helpline.channels.media.mixer import mix
from helpline.channels.media.rtp import RtpPacket, RtpSender
from helpline.channels.media.tone import sine
from helpline.channels.media.wav import Recorder

FRAMES_PER_SECOND = 50  # 20 ms frames
LEGS_PER_CALL = 2


@dataclass
class Sizes:
    frames: int
    repeats: int


FULL = Sizes(100_000, 3)
QUICK = Sizes(2_000, 1)


def make_stream(frames: int) -> list[bytes]:
    """A caller's PCMU stream: a 440 Hz tone, 20 ms a packet, some packets reordered."""
    tone = PCMU.encode(sine(440, 1000, 0.3))
    sender = RtpSender(0x5EED, PCMU.payload_type, sequence=65000, timestamp=0)
    payloads = [tone[i : i + 160] for i in range(0, len(tone), 160)]
    packets = [sender.frame(payloads[n % len(payloads)]).encode() for n in range(frames)]
    # swap one pair in eight, as a real network reorders now and then
    for n in range(0, frames - 1, 8):
        packets[n], packets[n + 1] = packets[n + 1], packets[n]
    return packets


def best_of(repeats: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        gc.enable()
    return best


def baseline(packets: list[bytes]) -> Callable[[], None]:
    header = struct.Struct("!BBHII")

    def run() -> None:
        unpack = header.unpack_from
        for data in packets:
            unpack(memoryview(data).tobytes())

    return run


def relay(packets: list[bytes]) -> Callable[[], None]:
    def run() -> None:
        jitter = JitterBuffer(depth_frames=3)
        sender = RtpSender(0xA6E47, PCMA.payload_type, sequence=1, timestamp=0)
        parse = RtpPacket.parse
        silence = PCMU.silence()
        put = jitter.put
        pop = jitter.pop
        frame = sender.frame
        for data in packets:
            put(parse(data))
            payload = pop()
            if payload is None:
                payload = silence
            frame(transcode(payload, PCMU, PCMA)).encode()

    return run


def mix_and_record(payloads: list[tuple[bytes, bytes]]) -> Callable[[], None]:
    def run() -> None:
        recorder = Recorder(io.BytesIO())
        decode_caller = PCMU.decode
        decode_agent = PCMA.decode
        write = recorder.write
        for caller, agent in payloads:
            write(mix([decode_caller(caller), decode_agent(agent)]))
        recorder.close()

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    out = sys.stdout.write

    packets = make_stream(sizes.frames)
    caller_tone = PCMU.encode(sine(440, 1000, 0.3))
    agent_tone = PCMA.encode(sine(1000, 1000, 0.3))
    ticks = sizes.frames // LEGS_PER_CALL
    payloads = [
        (caller_tone[(n % 50) * 160 : (n % 50 + 1) * 160], agent_tone[(n % 50) * 160 :][:160])
        for n in range(ticks)
    ]

    out(
        f"Media benchmark: {sizes.frames} frames of 20 ms per path, best of {sizes.repeats}, "
        "one core\n"
    )
    base = sizes.frames / best_of(sizes.repeats, baseline(packets))
    relayed = sizes.frames / best_of(sizes.repeats, relay(packets))
    # one tick of a call handles both legs' frames
    recorded = LEGS_PER_CALL * ticks / best_of(sizes.repeats, mix_and_record(payloads))
    both = 1.0 / (1.0 / relayed + 1.0 / recorded)

    def calls(frames_per_second: float) -> float:
        return frames_per_second / FRAMES_PER_SECOND / LEGS_PER_CALL

    rows = [
        ("baseline (copy + header unpack)", base),
        ("relay: parse, jitter, PCMU->PCMA, send", relayed),
        ("mix and record (2 legs, WAV)", recorded),
        ("relay + mix and record", both),
    ]
    out(f"  {'path':<42} {'frames/s':>12} {'us/frame':>9} {'calls/core':>11} {'x base':>7}\n")
    for label, rate in rows:
        out(
            f"  {label:<42} {rate:>12,.0f} {1e6 / rate:>9.2f} {calls(rate):>11,.0f} "
            f"{base / rate:>7.1f}\n"
        )
    out(
        f"\n  equivalent concurrent calls per core (frames/s / {FRAMES_PER_SECOND} / "
        f"{LEGS_PER_CALL} legs): relay {calls(relayed):,.0f}, relay and record "
        f"{calls(both):,.0f}\n"
    )
    # the design's target is 400 relayed calls on one core, sockets and event loop included:
    # these blocks should take at most a quarter of that core, the rest is left to I/O
    goals = [
        ("relay blocks >= 1,600 calls per core (1/4 core at 400 calls)", calls(relayed) >= 1600),
        ("relay + record blocks >= 1,600 calls per core", calls(both) >= 1600),
    ]
    out("\nGoals" + (" (quick mode: sizes too small to judge)" if args.quick else "") + ":\n")
    for label, ok in goals:
        out(f"  [{'x' if ok else ' '}] {label}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
