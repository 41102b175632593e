"""Key allocation, authentication and cipher-key flows of dect.security, FP and PP together."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dect import security as sec
from dect.security import Algorithm

PINS = st.text(alphabet="0123456789", min_size=1, max_size=8)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
ALGORITHMS = st.sampled_from(Algorithm)


def seeded(seed: int) -> sec.RandomSource:
    return random.Random(seed).randbytes


def scripted(*values: str) -> sec.RandomSource:
    """A random source returning the given hex values in order."""
    queue: Iterator[str] = iter(values)

    def next_value(n: int) -> bytes:
        value = bytes.fromhex(next(queue))
        assert len(value) == n
        return value

    return next_value


def allocate(
    fp_pin: str, pp_pin: str, algorithm: Algorithm, seed: int
) -> tuple[sec.FpKeyAllocation, sec.PpKeyAllocation, sec.FtResponse]:
    fp = sec.FpKeyAllocation(sec.pin_to_ac(fp_pin), algorithm=algorithm, random=seeded(seed))
    pp = sec.PpKeyAllocation(sec.pin_to_ac(pp_pin), algorithm=algorithm, random=seeded(~seed))
    reply = fp.receive(pp.receive_challenge(fp.start()))
    return fp, pp, reply


# --- the Annex K.1 example through the flow objects ------------------------------


def test_annex_k1_through_the_flows() -> None:
    ac = sec.pin_to_ac("9124")
    fp = sec.FpKeyAllocation(ac, rs=bytes(8), random=scripted("d01ff9e211680421"))
    pp = sec.PpKeyAllocation(ac, random=scripted("a03ff2c523d00842"))
    challenge = fp.start()
    assert challenge == sec.Challenge(rs=bytes(8), rand_f=bytes.fromhex("d01ff9e211680421"))
    request = pp.receive_challenge(challenge)
    assert request.res1 == bytes.fromhex("f28cf911")
    reply = fp.receive(request)
    assert reply.res2 == bytes.fromhex("eeba4db9")
    uak = pp.receive_reply(sec.FtResponse(res2=reply.res2, rs=None))  # RS may be omitted
    assert uak == fp.uak == bytes.fromhex("93638b457afd40fa585feb6030d572a2")

    k = sec.b1(uak)
    fp_auth = sec.FpPtAuthentication(k, rs=bytes(8), random=scripted("9b114f2554518859"))
    pp_auth = sec.PpPtAuthentication(k)
    response = pp_auth.receive_challenge(fp_auth.start())
    assert response == sec.PtResponse(res1=bytes.fromhex("961b3a9f"))
    dck = fp_auth.receive(response)
    assert dck == pp_auth.dck == fp_auth.dck == bytes.fromhex("8560dc324ea49f37")

    pp_ft = sec.PpFtAuthentication(k, random=scripted("a03ff2c523d00842"))
    fp_ft = sec.FpFtAuthentication(k, rs=bytes(8))
    ft_reply = fp_ft.receive_request(pp_ft.start())
    assert ft_reply.res2 == bytes.fromhex("9d0d232b")
    pp_ft.receive(ft_reply)
    assert pp_ft.complete and fp_ft.complete


# --- properties linking both sides --------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(PINS, SEEDS, ALGORITHMS)
def test_same_pin_gives_same_uak_and_dck(pin: str, seed: int, algorithm: Algorithm) -> None:
    fp, pp, reply = allocate(pin, pin, algorithm, seed)
    uak = pp.receive_reply(reply)
    assert uak == fp.uak == pp.uak
    assert len(uak) == 16

    k = sec.b1(uak)
    fp_auth = sec.FpPtAuthentication(k, algorithm=algorithm, random=seeded(seed + 1))
    pp_auth = sec.PpPtAuthentication(k, algorithm=algorithm, random=seeded(seed + 2))
    dck = fp_auth.receive(pp_auth.receive_challenge(fp_auth.start()))
    assert dck == pp_auth.dck
    assert len(dck) == (8 if algorithm is Algorithm.DSAA else 16)

    pp_ft = sec.PpFtAuthentication(k, algorithm=algorithm, random=seeded(seed + 3))
    fp_ft = sec.FpFtAuthentication(k, algorithm=algorithm, random=seeded(seed + 4))
    pp_ft.receive(fp_ft.receive_request(pp_ft.start()))
    assert pp_ft.complete


@settings(max_examples=30, deadline=None)
@given(PINS, PINS, SEEDS, ALGORITHMS)
def test_wrong_pin_fails_key_allocation(
    fp_pin: str, pp_pin: str, seed: int, algorithm: Algorithm
) -> None:
    assume(fp_pin != pp_pin)
    fp = sec.FpKeyAllocation(sec.pin_to_ac(fp_pin), algorithm=algorithm, random=seeded(seed))
    pp = sec.PpKeyAllocation(sec.pin_to_ac(pp_pin), algorithm=algorithm, random=seeded(seed))
    request = pp.receive_challenge(fp.start())
    with pytest.raises(sec.AuthenticationFailed):
        fp.receive(request)
    assert fp.failed and not fp.complete
    with pytest.raises(sec.ProtocolStateError):
        _ = fp.uak


@settings(max_examples=20, deadline=None)
@given(SEEDS, ALGORITHMS)
def test_fake_fp_fails_ft_authentication(seed: int, algorithm: Algorithm) -> None:
    """A PP that finds RES2 wrong (FP without the AC) refuses the UAK."""
    fp, pp, reply = allocate("1234", "1234", algorithm, seed)
    forged = sec.FtResponse(res2=bytes(b ^ 1 for b in reply.res2), rs=reply.rs, rand_f=None)
    with pytest.raises(sec.AuthenticationFailed):
        pp.receive_reply(forged)
    with pytest.raises(sec.ProtocolStateError):
        _ = pp.uak


@settings(max_examples=20, deadline=None)
@given(SEEDS, ALGORITHMS)
def test_wrong_uak_fails_both_authentications(seed: int, algorithm: Algorithm) -> None:
    rng = random.Random(seed)
    right, wrong = rng.randbytes(16), rng.randbytes(16)
    assume(right != wrong)
    fp_auth = sec.FpPtAuthentication(right, algorithm=algorithm, random=seeded(seed))
    pp_auth = sec.PpPtAuthentication(wrong, algorithm=algorithm, random=seeded(seed))
    with pytest.raises(sec.AuthenticationFailed):
        fp_auth.receive(pp_auth.receive_challenge(fp_auth.start()))

    pp_ft = sec.PpFtAuthentication(right, algorithm=algorithm, random=seeded(seed))
    fp_ft = sec.FpFtAuthentication(wrong, algorithm=algorithm, random=seeded(seed))
    with pytest.raises(sec.AuthenticationFailed):
        pp_ft.receive(fp_ft.receive_request(pp_ft.start()))


def test_user_authentication_key_b2_differs_from_b1() -> None:
    uak = bytes(range(16))
    k_user = sec.b2(uak, bytes.fromhex("1234"))
    fp_auth = sec.FpPtAuthentication(k_user, random=seeded(1))
    pp_auth = sec.PpPtAuthentication(sec.b1(uak))
    with pytest.raises(sec.AuthenticationFailed):
        fp_auth.receive(pp_auth.receive_challenge(fp_auth.start()))


# --- protocol discipline --------------------------------------------------------------


def test_steps_must_come_in_order_and_once() -> None:
    fp = sec.FpKeyAllocation(sec.pin_to_ac("0000"), random=seeded(1))
    with pytest.raises(sec.ProtocolStateError, match="expects start"):
        fp.receive(sec.PtResponse(res1=bytes(4), rand_p=bytes(8)))
    challenge = fp.start()
    with pytest.raises(sec.ProtocolStateError):
        fp.start()
    pp = sec.PpKeyAllocation(sec.pin_to_ac("0000"), random=seeded(2))
    fp.receive(pp.receive_challenge(challenge))
    with pytest.raises(sec.ProtocolStateError, match="expects nothing"):
        fp.receive(sec.PtResponse(res1=bytes(4), rand_p=bytes(8)))


def test_failed_flow_accepts_nothing_more() -> None:
    fp = sec.FpPtAuthentication(bytes(16), random=seeded(1))
    fp.start()
    with pytest.raises(sec.AuthenticationFailed):
        fp.receive(sec.PtResponse(res1=b"\0\0\0"))  # short RES is a mismatch too
    with pytest.raises(sec.ProtocolStateError, match="failed"):
        fp.receive(sec.PtResponse(res1=bytes(4)))


def test_missing_values_fail_the_flow() -> None:
    fp = sec.FpKeyAllocation(sec.pin_to_ac("0000"), random=seeded(1))
    fp.start()
    with pytest.raises(sec.ProtocolStateError, match="RAND_P"):
        fp.receive(sec.PtResponse(res1=bytes(4)))
    assert fp.failed

    fp2 = sec.FpPtAuthentication(bytes(16), algorithm=Algorithm.DSAA2, random=seeded(1))
    fp2.start()
    with pytest.raises(sec.ProtocolStateError, match="RAND_P"):
        fp2.receive(sec.PtResponse(res1=bytes(4)))

    pp = sec.PpFtAuthentication(bytes(16), algorithm=Algorithm.DSAA2, random=seeded(1))
    pp.start()
    with pytest.raises(sec.ProtocolStateError, match="RAND_F"):
        pp.receive(sec.FtResponse(res2=bytes(4), rs=bytes(16)))


def test_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="K must be 16 bytes"):
        sec.FpPtAuthentication(bytes(4))
    with pytest.raises(ValueError, match="RS must be 16 bytes"):
        sec.FpPtAuthentication(bytes(16), algorithm=Algorithm.DSAA2, rs=bytes(8))
    pp = sec.PpPtAuthentication(bytes(16))
    with pytest.raises(ValueError, match="RS must be 8 bytes"):
        pp.receive_challenge(sec.Challenge(rs=bytes(16), rand_f=bytes(8)))
    with pytest.raises(ValueError, match="random source"):
        sec.FpPtAuthentication(bytes(16), random=lambda n: bytes(n - 1)).start()
    with pytest.raises(ValueError, match="D1 must be 16 bytes"):
        sec.a11(bytes(15), bytes(8))
    with pytest.raises(ValueError, match="RAND_F must be 8 bytes"):
        sec.a12(bytes(16), bytes(4))


@pytest.mark.parametrize("pin", ["", "123456789", "12a4", "\u0661\u0662", " 123"])
def test_bad_pins_are_refused(pin: str) -> None:
    with pytest.raises(ValueError, match="1 to 8 decimal digits"):
        sec.pin_to_ac(pin)


def test_pin_and_key_coding() -> None:
    assert sec.pin_to_ac("123456") == bytes.fromhex("ff123456")
    assert sec.pin_to_ac("12345678") == bytes.fromhex("12345678")
    assert sec.pin_to_ac("0") == bytes.fromhex("fffffff0")
    assert sec.b1(bytes(range(16))) == bytes(range(16))
    assert sec.a21(bytes(16), bytes(8)) == bytes(b ^ 0xAA for b in sec.a11(bytes(16), bytes(8)))


# B1 as libdect computes it: the value repeated octet by octet from its first octet, cut at
# 16 octets. Written out by hand for the lengths that do not divide 16.
B1_BY_HAND = {
    "a5": "a5" * 16,
    "abcdef": "abcdef" * 5 + "ab",
    "0102030405": "0102030405" * 3 + "01",
    "00112233445566": "00112233445566" * 2 + "0011",
    "f0e1d2c3b4a59687": "f0e1d2c3b4a59687" * 2,
    "0102030405060708090a0b": "0102030405060708090a0b0102030405",
    "ffeeddccbbaa998877665544332211": "ffeeddccbbaa998877665544332211ff",
}


@pytest.mark.parametrize("value", list(B1_BY_HAND))
def test_b1_repeats_the_value_from_its_first_octet(value: str) -> None:
    assert sec.b1(bytes.fromhex(value)).hex() == B1_BY_HAND[value]


@pytest.mark.parametrize("length", range(1, 17))
def test_b1_for_every_length(length: int) -> None:
    value = bytes(range(0xA0, 0xA0 + length))
    k = sec.b1(value)
    assert len(k) == 16
    assert k.startswith(value)
    assert all(k[i] == value[i % length] for i in range(16))


@pytest.mark.parametrize("length", [0, 17])
def test_b1_refuses_values_it_cannot_repeat(length: int) -> None:
    with pytest.raises(ValueError, match="UAK or AC"):
        sec.b1(bytes(length))


def test_b2_repeats_both_values_from_their_first_octet() -> None:
    uak = bytes.fromhex("00112233445566778899aabbccddeeff")
    upi = bytes.fromhex("0f1e2d")  # 20 bits of UPI in 3 octets
    expected = bytes(u ^ upi[i % 3] for i, u in enumerate(uak))
    assert sec.b2(uak, upi) == expected
    assert sec.b2(uak, upi)[:3] == bytes.fromhex("0f0f0f")


# --- cipher keys, early encryption, re-keying ----------------------------------------


def test_dsc_cipher_key_size_adaptation() -> None:
    assert sec.dsc_cipher_key(bytes(range(8))) == bytes(range(8))
    assert sec.dsc_cipher_key(bytes(range(16))) == bytes(range(8, 16))
    with pytest.raises(ValueError):
        sec.dsc_cipher_key(bytes(4))


def test_cipher_keys_follow_upc_and_def() -> None:
    keys = sec.CipherKeys()
    keys.store(b"A" * 8, sec.KeyUse(cipher_key_number=8))
    keys.store(b"B" * 8, sec.KeyUse(store=False, cipher_key_number=9))
    keys.store(b"C" * 8, sec.KeyUse(default_index=0x1234))
    assert keys.dck(8) == b"A" * 8
    with pytest.raises(sec.UnknownCipherKey):
        keys.dck(9)
    assert keys.default_key(0x1234) == b"C" * 8
    assert keys.latest_default_index == 0x1234
    keys.forget_default(0x1234)
    assert keys.latest_default_index is None
    with pytest.raises(sec.UnknownCipherKey, match="index 4660"):
        keys.default_key(0x1234)
    with pytest.raises(ValueError):
        sec.KeyUse(cipher_key_number=16)
    with pytest.raises(ValueError):
        sec.KeyUse(default_index=0x10000)


def _pt_auth(k: bytes, seed: int) -> tuple[bytes, bytes]:
    fp = sec.FpPtAuthentication(k, random=seeded(seed))
    pp = sec.PpPtAuthentication(k)
    return fp.receive(pp.receive_challenge(fp.start())), pp.dck


def test_enhanced_security_early_encryption_and_rekeying() -> None:
    k = sec.b1(bytes(range(16)))
    fp_keys, pp_keys = sec.CipherKeys(), sec.CipherKeys()

    # Previous connection: a PT authentication with DEF = 1 gives both sides a DefCK.
    use = sec.KeyUse(default_index=7)
    fp_dck, pp_dck = _pt_auth(k, seed=1)
    fp_keys.store(fp_dck, use)
    pp_keys.store(pp_dck, use)

    # New connection: START.REQ with the DefCK index, no NWK exchange before ciphering.
    fp_link, pp_link = sec.EncryptedLink(fp_keys), sec.EncryptedLink(pp_keys)
    index = pp_keys.latest_default_index
    assert index == 7
    assert fp_link.start_default(index, now=100.0) == pp_link.start_default(index, now=100.0)
    iv = sec.dsc_iv(42, 3)
    fp_stream = sec.dsc_keystream(sec.dsc_cipher_key(fp_link.cipher_key), iv)
    assert fp_stream == sec.dsc_keystream(sec.dsc_cipher_key(pp_link.cipher_key), iv)

    # Every minute the FP re-keys with a fresh PT authentication.
    assert fp_link.get_timer() == 160.0
    assert fp_link.handle_timer(159.9) is None
    due = fp_link.handle_timer(160.0)
    assert due == sec.RekeyDue(key_age=60.0)
    assert fp_link.get_timer() is None and fp_link.handle_timer(170.0) is None
    fp_dck, pp_dck = _pt_auth(k, seed=2)
    old = fp_link.cipher_key
    assert fp_link.rekeyed(fp_dck, now=161.0) == pp_link.rekeyed(pp_dck, now=161.0) != old
    assert fp_link.rekey_count == 1
    assert fp_link.get_timer() == 221.0

    fp_link.stop()
    assert not fp_link.encrypted and fp_link.get_timer() is None
    with pytest.raises(sec.ProtocolStateError):
        _ = fp_link.cipher_key


def test_early_encryption_with_unknown_index_is_refused() -> None:
    link = sec.EncryptedLink(sec.CipherKeys())
    with pytest.raises(sec.UnknownCipherKey):
        link.start_default(3, now=0.0)  # -> START.REJECT, the link stays clear
    assert not link.encrypted
    with pytest.raises(sec.ProtocolStateError):
        link.rekeyed(bytes(8), now=0.0)


def test_plain_ciphering_without_rekeying() -> None:
    keys = sec.CipherKeys()
    keys.store(bytes(8), sec.KeyUse(cipher_key_number=8))
    link = sec.EncryptedLink(keys, rekey_interval=None)
    assert link.start(8, now=0.0) == bytes(8)
    assert link.get_timer() is None and link.handle_timer(1e9) is None
    with pytest.raises(ValueError):
        sec.EncryptedLink(keys, rekey_interval=0)
