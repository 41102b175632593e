"""SrtpSession: round trips, tampering, replays, wrong keys, MKI, and byte-identity
with an RFC 3711 implementation written here with `cryptography` as an oracle."""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from sipdect.media import constants as c
from sipdect.media.errors import SrtpError
from sipdect.media.rtp import ReceiverReport, RtpPacket, SenderReport, encode_rtcp
from sipdect.media.sdes import CryptoAttribute, NegotiatedMedia
from sipdect.media.srtp import SrtpSession

SUITES = list(c.SUITES.values())
KEY_A, KEY_B = bytes(range(30)), bytes(range(100, 130))


def _pair(suite: c.CryptoSuite) -> tuple[SrtpSession, SrtpSession]:
    return SrtpSession(suite, KEY_A, KEY_B), SrtpSession(suite, KEY_B, KEY_A)


def _rtp(seq: int, payload: bytes = b"\xd5" * 160) -> bytes:
    return RtpPacket(8, seq & 0xFFFF, seq * 160 & 0xFFFFFFFF, 0xCAFE, payload).encode()


# -- the oracle: RFC 3711 §4 by hand --------------------------------------------------------------

def _aes_cm(key: bytes, iv: int, length: int, data: bytes | None = None) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv.to_bytes(16, "big"))).encryptor()
    return encryptor.update(data if data is not None else bytes(length))


def _kdf(master: bytes, label: int, length: int) -> bytes:
    """§4.3.1 with key derivation rate 0."""
    x = (label << 48) ^ int.from_bytes(master[16:], "big")
    return _aes_cm(master[:16], x << 16, length)


def oracle_protect(master: bytes, packet: bytes, roc: int, tag_len: int,
                   mki: bytes = b"") -> bytes:
    k_e, k_a, k_s = _kdf(master, 0, 16), _kdf(master, 1, 20), _kdf(master, 2, 14)
    seq, ssrc = struct.unpack_from("!H", packet, 2)[0], struct.unpack_from("!I", packet, 8)[0]
    header_len = len(packet) - len(RtpPacket.decode(packet).payload)  # no padding here
    index = (roc << 16) | seq
    iv = (int.from_bytes(k_s, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
    body = packet[:header_len] + _aes_cm(k_e, iv, 0, packet[header_len:])
    tag = hmac.new(k_a, body + roc.to_bytes(4, "big"), hashlib.sha1).digest()[:tag_len]
    return body + mki + tag


def oracle_protect_rtcp(master: bytes, packet: bytes, index: int) -> bytes:
    k_e, k_a, k_s = _kdf(master, 3, 16), _kdf(master, 4, 20), _kdf(master, 5, 14)
    ssrc = struct.unpack_from("!I", packet, 4)[0]
    iv = (int.from_bytes(k_s, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
    body = packet[:8] + _aes_cm(k_e, iv, 0, packet[8:]) + (0x80000000 | index).to_bytes(4, "big")
    return body + hmac.new(k_a, body, hashlib.sha1).digest()[:c.SRTCP_TAG_LEN]


def test_oracle_key_derivation_matches_rfc3711_b3() -> None:
    master = bytes.fromhex("E1F97A0D3E018BE0D64FA32C06DE4139" "0EC675AD498AFEEBB6960B3AABE6")
    assert _kdf(master, 0, 16).hex().upper() == "C61E7A93744F39EE10734AFE3FF7A087"
    assert _kdf(master, 2, 14).hex().upper() == "30CBBC08863D8C85D49DB34A9AE1"
    assert _kdf(master, 1, 20).hex().upper() == "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_byte_identical_with_the_oracle_across_a_rollover(suite: c.CryptoSuite) -> None:
    tx = SrtpSession(suite, KEY_A, KEY_B)
    for seq in (65534, 65535, 65536, 65537):
        packet = _rtp(seq)
        assert tx.protect(packet) == oracle_protect(KEY_A, packet, seq >> 16, suite.tag_len)
    assert len(tx.protect(_rtp(65538))) == 172 + suite.tag_len


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_srtcp_byte_identical_with_the_oracle(suite: c.CryptoSuite) -> None:
    tx = SrtpSession(suite, KEY_A, KEY_B)
    for index in range(1, 4):  # libsrtp numbers SRTCP packets from 1
        report = encode_rtcp([SenderReport(0xCAFE, 1 << 40, 160, index, 160 * index)])
        assert tx.protect_rtcp(report) == oracle_protect_rtcp(KEY_A, report, index)


# -- behaviour -------------------------------------------------------------------------------------

@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_round_trip_rtp_and_rtcp(suite: c.CryptoSuite) -> None:
    a, b = _pair(suite)
    for seq in range(5):
        packet = _rtp(seq)
        protected = a.protect(packet)
        assert protected != packet and len(protected) == len(packet) + suite.tag_len
        assert b.unprotect(protected) == packet
        assert a.unprotect(b.protect(packet)) == packet
    report = encode_rtcp([ReceiverReport(0xCAFE)])
    protected = a.protect_rtcp(report)
    assert len(protected) == len(report) + c.SRTCP_INDEX_LEN + c.SRTCP_TAG_LEN
    assert b.unprotect_rtcp(protected) == report
    assert (a.stats.protected, b.stats.unprotected) == (6, 6)


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
@pytest.mark.parametrize("where", [1, 5, 12, 100, -1])
def test_tampering_is_detected_counted_and_survived(suite: c.CryptoSuite, where: int) -> None:
    a, b = _pair(suite)
    tampered = bytearray(a.protect(_rtp(1)))
    tampered[where] ^= 0x01
    with pytest.raises(SrtpError, match="auth"):
        b.unprotect(bytes(tampered))
    assert b.stats.auth_failures == 1
    assert b.unprotect(a.protect(_rtp(2))) == _rtp(2)  # still works afterwards


def test_tampered_rtcp_is_detected() -> None:
    a, b = _pair(c.AES_CM_128_HMAC_SHA1_80)
    tampered = bytearray(a.protect_rtcp(encode_rtcp([ReceiverReport(1)])))
    tampered[5] ^= 0xFF
    with pytest.raises(SrtpError):
        b.unprotect_rtcp(bytes(tampered))
    assert b.stats.auth_failures == 1


def test_replays_are_counted() -> None:
    a, b = _pair(c.AES_CM_128_HMAC_SHA1_80)
    protected = a.protect(_rtp(1))
    b.unprotect(protected)
    with pytest.raises(SrtpError, match="replay"):
        b.unprotect(protected)
    for seq in range(2, 300):
        b.unprotect(a.protect(_rtp(seq)))
    old = SrtpSession(c.AES_CM_128_HMAC_SHA1_80, KEY_A, KEY_B)
    with pytest.raises(SrtpError):  # outside the 128-packet window
        b.unprotect(old.protect(_rtp(100)))
    assert b.stats.replays == 2


def test_wrong_key_fails_every_packet() -> None:
    sender = SrtpSession(c.AES_CM_128_HMAC_SHA1_80, KEY_A, KEY_B)
    eavesdropper = SrtpSession(c.AES_CM_128_HMAC_SHA1_80, KEY_B, os.urandom(30))
    for seq in range(10):
        with pytest.raises(SrtpError):
            eavesdropper.unprotect(sender.protect(_rtp(seq)))
    assert eavesdropper.stats.auth_failures == 10 and eavesdropper.stats.unprotected == 0


def test_suites_do_not_interwork() -> None:
    tx = SrtpSession(c.AES_CM_128_HMAC_SHA1_80, KEY_A, KEY_B)
    rx = SrtpSession(c.AES_CM_128_HMAC_SHA1_32, KEY_B, KEY_A)
    with pytest.raises(SrtpError):
        rx.unprotect(tx.protect(_rtp(1)))


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_mki_goes_before_the_tag(suite: c.CryptoSuite) -> None:
    local = CryptoAttribute(1, suite.name, KEY_A, mki=0x0102, mki_length=2)
    remote = CryptoAttribute(1, suite.name, KEY_B, mki=7, mki_length=1)
    a = SrtpSession.from_crypto(local, remote)
    b = SrtpSession.from_crypto(CryptoAttribute(1, suite.name, KEY_B, mki=7, mki_length=1),
                                CryptoAttribute(1, suite.name, KEY_A, mki=0x0102,
                                                mki_length=2))
    packet = _rtp(3)
    protected = a.protect(packet)
    assert protected == oracle_protect(KEY_A, packet, 0, suite.tag_len, mki=b"\x01\x02")
    assert b.unprotect(protected) == packet
    assert a.unprotect(b.protect(packet)) == packet
    report = encode_rtcp([ReceiverReport(1)])
    assert b.unprotect_rtcp(a.protect_rtcp(report)) == report
    wrong = bytearray(a.protect(_rtp(4)))
    wrong[-suite.tag_len - 1] ^= 0xFF
    with pytest.raises(SrtpError, match="MKI"):
        b.unprotect(bytes(wrong))
    assert b.stats.other_failures == 1


def test_construction_errors_and_negotiated_sessions() -> None:
    with pytest.raises(SrtpError):
        SrtpSession(c.AES_CM_128_HMAC_SHA1_80, bytes(29), bytes(30))
    with pytest.raises(SrtpError):
        SrtpSession.from_crypto(CryptoAttribute(1, "AES_CM_128_HMAC_SHA1_80", KEY_A),
                                CryptoAttribute(1, "AES_CM_128_HMAC_SHA1_32", KEY_B))
    plain = NegotiatedMedia("127.0.0.1", 1, c.PCMA, None, 20, "sendrecv", False)
    assert SrtpSession.from_negotiated(plain) is None
    with pytest.raises(SrtpError):
        SrtpSession.from_negotiated(NegotiatedMedia("127.0.0.1", 1, c.PCMA, None, 20,
                                                    "sendrecv", True))


def test_oversized_and_runt_packets_are_srtp_errors() -> None:
    a, b = _pair(c.AES_CM_128_HMAC_SHA1_80)
    with pytest.raises(SrtpError):
        a.protect(_rtp(1, bytes(1600)))
    with pytest.raises(SrtpError):
        b.unprotect(b"\x80")
    assert a.stats.other_failures == 1


@settings(max_examples=200)
@given(st.binary(max_size=1600), st.sampled_from(SUITES))
def test_unprotect_fuzz(data: bytes, suite: c.CryptoSuite) -> None:
    _, b = _pair(suite)
    for unprotect in (b.unprotect, b.unprotect_rtcp):
        try:
            unprotect(data)
        except SrtpError:
            pass
