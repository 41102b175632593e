"""SRTP and SRTCP sessions over pylibsrtp (RFC 3711 §3-4; keys from SDES, RFC 4568 §6.1).

One SrtpSession is one end of a call: it protects what we send with our key and
unprotects what the peer sends with theirs. Each failure raises SrtpError, counted
in `stats` by kind, and leaves the session usable. pylibsrtp has no MKI support,
so an MKI is inserted before the tag on output and checked and removed on input
here (RFC 3711 §3.1: the MKI is not covered by the authentication tag).
"""

from __future__ import annotations

from dataclasses import dataclass

import pylibsrtp

from sipdect.media import constants as c
from sipdect.media.constants import CryptoSuite
from sipdect.media.errors import SrtpError
from sipdect.media.sdes import CryptoAttribute, NegotiatedMedia


@dataclass(slots=True)
class SrtpStats:
    """Counters of one session."""

    protected: int = 0
    unprotected: int = 0
    auth_failures: int = 0
    """Packets whose tag did not verify (wrong key, tampering)."""
    replays: int = 0
    """Packets rejected by the replay window (repeats, or too old)."""
    other_failures: int = 0
    """Anything else: too short, too long, unknown MKI."""


#: pylibsrtp's error text -> the counter it goes to.
_FAILURE_KINDS = {
    "authentication failure": "auth_failures",
    "replay check failed (bad index)": "replays",
    "replay check failed (index too old)": "replays",
}


def _mki_bytes(attr: CryptoAttribute | None) -> bytes:
    if attr is None or attr.mki is None or attr.mki_length is None:
        return b""
    return attr.mki.to_bytes(attr.mki_length, "big")


class SrtpSession:
    """Protect our RTP/RTCP with `local_key`, unprotect the peer's with `remote_key`."""

    def __init__(self, suite: CryptoSuite, local_key: bytes, remote_key: bytes, *,
                 local_mki: bytes = b"", remote_mki: bytes = b"",
                 replay_window: int = 128) -> None:
        needed = suite.key_len + suite.salt_len
        if len(local_key) != needed or len(remote_key) != needed:
            raise SrtpError(f"{suite.name} needs {needed}-octet master key || salt")
        self.suite = suite
        self.stats = SrtpStats()
        self._local_mki = local_mki
        self._remote_mki = remote_mki
        outbound = pylibsrtp.Policy(key=local_key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                                    srtp_profile=suite.profile)
        inbound = pylibsrtp.Policy(key=remote_key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
                                   srtp_profile=suite.profile)
        inbound.window_size = replay_window
        self._tx = pylibsrtp.Session(policy=outbound)
        self._rx = pylibsrtp.Session(policy=inbound)

    @classmethod
    def from_crypto(cls, local: CryptoAttribute, remote: CryptoAttribute) -> SrtpSession:
        """A session from our a=crypto and the peer's (the same suite)."""
        suite = local.known_suite
        if suite is None or remote.suite != local.suite:
            raise SrtpError(f"cannot pair crypto suites {local.suite} and {remote.suite}")
        return cls(suite, local.key, remote.key, local_mki=_mki_bytes(local),
                   remote_mki=_mki_bytes(remote))

    @classmethod
    def from_negotiated(cls, media: NegotiatedMedia) -> SrtpSession | None:
        """The session an offer/answer asked for, or None for plain RTP."""
        if not media.srtp:
            return None
        if media.local_key is None or media.remote_key is None:
            raise SrtpError("SRTP was negotiated without both keys")
        return cls.from_crypto(media.local_key, media.remote_key)

    # -- RTP --

    def protect(self, rtp: bytes) -> bytes:
        """SRTP packet of an RTP packet."""
        out = self._call(self._tx.protect, rtp)
        self.stats.protected += 1
        return self._add_mki(out, self._local_mki, self.suite.tag_len)

    def unprotect(self, srtp: bytes) -> bytes:
        """RTP packet of an SRTP packet; SrtpError (counted) if it does not verify."""
        packet = self._strip_mki(srtp, self._remote_mki, self.suite.tag_len)
        out = self._call(self._rx.unprotect, packet)
        self.stats.unprotected += 1
        return out

    # -- RTCP --

    def protect_rtcp(self, rtcp: bytes) -> bytes:
        """SRTCP packet of an RTCP packet."""
        out = self._call(self._tx.protect_rtcp, rtcp)
        self.stats.protected += 1
        return self._add_mki(out, self._local_mki, c.SRTCP_TAG_LEN)

    def unprotect_rtcp(self, srtcp: bytes) -> bytes:
        """RTCP packet of an SRTCP packet; SrtpError (counted) if it does not verify."""
        packet = self._strip_mki(srtcp, self._remote_mki, c.SRTCP_TAG_LEN)
        out = self._call(self._rx.unprotect_rtcp, packet)
        self.stats.unprotected += 1
        return out

    # -- internals --

    def _call(self, func: object, packet: bytes) -> bytes:
        try:
            result: bytes = func(bytes(packet))  # type: ignore[operator]
        except pylibsrtp.Error as exc:
            kind = _FAILURE_KINDS.get(str(exc), "other_failures")
            setattr(self.stats, kind, getattr(self.stats, kind) + 1)
            raise SrtpError(f"SRTP {kind.replace('_', ' ').rstrip('s')}: {exc}") from exc
        except (ValueError, TypeError) as exc:
            self.stats.other_failures += 1
            raise SrtpError(f"SRTP packet rejected: {exc}") from exc
        return result

    @staticmethod
    def _add_mki(packet: bytes, mki: bytes, tag_len: int) -> bytes:
        if not mki:
            return packet
        cut = len(packet) - tag_len
        return packet[:cut] + mki + packet[cut:]

    def _strip_mki(self, packet: bytes, mki: bytes, tag_len: int) -> bytes:
        if not mki:
            return packet
        start = len(packet) - tag_len - len(mki)
        if start < c.RTP_HEADER_LEN or packet[start:start + len(mki)] != mki:
            self.stats.other_failures += 1
            raise SrtpError("SRTP packet does not carry the MKI the key was given with")
        return packet[:start] + packet[start + len(mki):]
