"""Media benchmark (`sipdect bench media`): SRTP packets per second, protected and then
unprotected, through the kit's paths against pylibsrtp alone in the same run.

Packets are 12-octet RTP headers with 160 octets of G.711 (20 ms), for both SDES
suites. Paths, slowest first:

- leg: the RTP leg every call end uses (sipdect.media.leg): two 10 ms A-law frames ->
  RTP -> SRTP on one leg, then SRTP -> RTP -> jitter buffer -> two frames played on the
  other;
- session: SrtpSession.protect/unprotect on ready-made RTP packets;
- ceiling: pylibsrtp Session.protect/unprotect on the same packets.

Only the work on packets is timed; making frames and RTP inputs is not.
"""

from __future__ import annotations

import os
import platform
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pylibsrtp

from sipdect.media import constants as c
from sipdect.media.codecs import alaw_encode
from sipdect.media.leg import RtpLeg
from sipdect.media.signals import ToneGenerator
from sipdect.media.srtp import SrtpSession

CHUNK = 2000  # packets prepared (untimed) per timed batch
_HEADER = struct.Struct("!BBHII")


def _rtp_batch(first_seq: int, count: int, payload: bytes) -> list[bytes]:
    return [_HEADER.pack(0x80, c.PCMA.payload_type, (first_seq + i) & 0xFFFF,
                         (first_seq + i) * 160 & 0xFFFFFFFF, 0x5EED) + payload
            for i in range(count)]


def _measure(seconds: float, batch: Callable[[int], Callable[[], None]]) -> float:
    """Packets/s: `batch(i)` prepares batch i (untimed) and returns the timed work."""
    done = 0
    spent = 0.0
    i = 0
    while spent < seconds:
        work = batch(i)
        start = time.perf_counter()
        work()
        spent += time.perf_counter() - start
        done += CHUNK
        i += 1
    return done / spent


def _ceiling(suite: c.CryptoSuite, seconds: float) -> float:
    key = os.urandom(30)
    tx = pylibsrtp.Session(pylibsrtp.Policy(key=key, srtp_profile=suite.profile,
                                            ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    rx = pylibsrtp.Session(pylibsrtp.Policy(key=key, srtp_profile=suite.profile,
                                            ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))
    payload = os.urandom(160)

    def batch(i: int) -> Callable[[], None]:
        packets = _rtp_batch(i * CHUNK, CHUNK, payload)

        def work() -> None:
            protect, unprotect = tx.protect, rx.unprotect
            for p in packets:
                unprotect(protect(p))
        return work
    return _measure(seconds, batch)


def _session(suite: c.CryptoSuite, seconds: float) -> float:
    key = os.urandom(30)
    tx, rx = SrtpSession(suite, key, key), SrtpSession(suite, key, key)
    payload = os.urandom(160)

    def batch(i: int) -> Callable[[], None]:
        packets = _rtp_batch(i * CHUNK, CHUNK, payload)

        def work() -> None:
            for p in packets:
                rx.unprotect(tx.protect(p))
        return work
    return _measure(seconds, batch)


def _leg(suite: c.CryptoSuite, seconds: float) -> float:
    key = os.urandom(30)
    sender = RtpLeg(c.PCMA, srtp=SrtpSession(suite, key, key))
    receiver = RtpLeg(c.PCMA, srtp=SrtpSession(suite, key, key))
    tone = ToneGenerator()
    frames = [alaw_encode(tone.next_frame()) for _ in range(2 * CHUNK)]
    clock = [0.0]

    def batch(i: int) -> Callable[[], None]:
        def work() -> None:
            push, receive, play = sender.push_frame, receiver.receive_datagram, \
                receiver.next_frame
            now = clock[0]
            for frame in frames:
                datagram = push(frame)
                if datagram is not None:
                    now += 0.02
                    receive(datagram, now)
                    play()
                    play()
            clock[0] = now
        return work
    rate = _measure(seconds, batch)
    stats = receiver.stats
    if stats.srtp_failures or stats.malformed or stats.late or stats.overflows \
            or stats.rx_packets != sender.stats.tx_packets:
        raise RuntimeError(f"benchmark leg lost packets: {stats}")
    return rate


def run(quick: bool = False) -> dict[str, Any]:
    """Packets/s protected+unprotected per suite and path, each path's share of the
    ceiling (1.0 = as fast as pylibsrtp alone), and how many call ends (an RFP's side
    of a 20 ms call) the leg path carries on one core."""
    seconds = 0.15 if quick else 2.0
    suites: dict[str, Any] = {}
    for suite in c.SUITES.values():
        ceiling = _ceiling(suite, seconds)
        session = _session(suite, seconds)
        leg = _leg(suite, seconds)
        suites[suite.name] = {
            "ceiling_pkt_per_s": round(ceiling),
            "session_pkt_per_s": round(session),
            "leg_pkt_per_s": round(leg),
            "session_ratio": round(session / ceiling, 3),
            "leg_ratio": round(leg / ceiling, 3),
            # One end of a 20 ms call sends 50 and receives 50 packets a second.
            "leg_call_ends_per_core": int(leg / (1000 / c.DEFAULT_PTIME_MS)),
        }
    return {
        "what": "SRTP protect+unprotect, 172-octet RTP (160 octets G.711), one core",
        "seconds_per_measurement": seconds,
        "python": platform.python_version(),
        "pylibsrtp": pylibsrtp.__version__,
        "numpy": np.__version__,
        "suites": suites,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
