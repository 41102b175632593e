"""Key allocation and PT/FT authentication as sans-I/O objects for the FP (OMM) and the PP.

shared/specs/dect-security.md sections 4.2-4.4 (DSAA) and 7.2 (DSAA2 type 2 procedures).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from hmac import compare_digest

from dect.errors import DectValueError

from .dsaa import a11, a12, a21, a22, b1
from .dsaa2 import dsaa2_a11, dsaa2_a12, dsaa2_a21, dsaa2_a22
from .errors import AuthenticationFailed, ProtocolStateError
from .tables import K_SIZE, RAND_SIZE, RES_SIZE, RS128_SIZE, RS_SIZE

#: Returns n random bytes. Inject a deterministic one in tests and simulations.
RandomSource = Callable[[int], bytes]


class Algorithm(Enum):
    """The authentication algorithm of a flow (<<AUTH-TYPE>>/<<ALLOCATION-TYPE>> octet 3)."""

    DSAA = "DSAA"
    """Type 1 procedures, 64-bit RS, 64-bit DCK (for DSC)."""
    DSAA2 = "DSAA2"
    """Type 2 procedures: RS128, both peers add randomness, 128-bit DCK (for DSC2)."""


@dataclass(frozen=True)
class _Processes:
    rs_size: int
    a11: Callable[[bytes, bytes], bytes]
    a21: Callable[[bytes, bytes], bytes]
    a12: Callable[[bytes, bytes, bytes | None], tuple[bytes, bytes]]
    """(KS, RAND_F, RAND_P) -> (DCK, RES1)."""
    a22: Callable[[bytes, bytes, bytes | None], bytes]
    """(KS', RAND_P, RAND_F) -> RES2."""
    both_random: bool
    """Type 2: the PT adds RAND_P to PT authentication, the FT RAND_F and RS128 to FT's."""


def _required(name: str, value: bytes | None) -> bytes:
    if value is None:
        raise ProtocolStateError(f"{name} is required with DSAA2")
    return value


_PROCESSES = {
    Algorithm.DSAA: _Processes(
        rs_size=RS_SIZE,
        a11=a11,
        a21=a21,
        a12=lambda ks, rand_f, rand_p: a12(ks, rand_f),
        a22=lambda ks, rand_p, rand_f: a22(ks, rand_p),
        both_random=False,
    ),
    Algorithm.DSAA2: _Processes(
        rs_size=RS128_SIZE,
        a11=dsaa2_a11,
        a21=dsaa2_a21,
        a12=lambda ks, rand_f, rand_p: dsaa2_a12(ks, rand_f, _required("RAND_P", rand_p)),
        a22=lambda ks, rand_p, rand_f: dsaa2_a22(ks, rand_p, _required("RAND_F", rand_f)),
        both_random=True,
    ),
}


# --- values exchanged --------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    """FP -> PP: {KEY-ALLOCATE}, or {AUTHENTICATION-REQUEST} authenticating the PT."""

    rs: bytes
    """<<RS>>: 8 bytes with DSAA, RS128 (16 bytes) with DSAA2."""
    rand_f: bytes
    """<<RAND>>: the FP's 8-byte challenge RAND_F."""


@dataclass(frozen=True)
class PtResponse:
    """PP -> FP: the PT's answer, {AUTHENTICATION-REPLY} (or, in key allocation, -REQUEST)."""

    res1: bytes
    """<<RES>>: RES1, 4 bytes."""
    rand_p: bytes | None = None
    """<<RAND>>: RAND_P, sent in key allocation and in DSAA2 PT authentication."""


@dataclass(frozen=True)
class FtResponse:
    """FP -> PP: {AUTHENTICATION-REPLY} authenticating the FT."""

    res2: bytes
    """<<RES>>: RES2, 4 bytes."""
    rs: bytes | None
    """<<RS>> used for A21; DSAA key allocation may omit it (the KEY-ALLOCATE RS applies)."""
    rand_f: bytes | None = None
    """<<RAND>>: RAND_F, DSAA2 only."""


# --- shared state handling -----------------------------------------------------


class _Flow:
    """A one-shot exchange: each method may be called once, in order."""

    _steps: tuple[str, ...] = ()

    def __init__(self, algorithm: Algorithm, random: RandomSource) -> None:
        self.algorithm = algorithm
        self._processes = _PROCESSES[algorithm]
        self._random = random
        self._done = 0
        self.failed = False
        """True once a check failed; the flow accepts nothing more."""

    def _advance(self, step: str) -> None:
        if self.failed or self._done >= len(self._steps) or self._steps[self._done] != step:
            expected = self._steps[self._done] if self._done < len(self._steps) else "nothing"
            state = "failed" if self.failed else f"expects {expected}"
            raise ProtocolStateError(f"{type(self).__name__}: {step} not allowed, flow {state}")
        self._done += 1

    @property
    def complete(self) -> bool:
        """All steps done and every check passed."""
        return not self.failed and self._done == len(self._steps)

    def _verify(self, what: str, received: bytes, expected: bytes) -> None:
        if len(received) != RES_SIZE or not compare_digest(received, expected):
            self.failed = True
            raise AuthenticationFailed(f"{what} mismatch ({self.algorithm.value})")

    def _missing(self, what: str) -> ProtocolStateError:
        """A peer left out a value this procedure needs: the flow fails for good."""
        self.failed = True
        return ProtocolStateError(f"{type(self).__name__}: {what} missing ({self.algorithm.value})")

    def _rand(self) -> bytes:
        return self._check_random(self._random(RAND_SIZE), RAND_SIZE)

    def _fresh_rs(self) -> bytes:
        return self._check_random(self._random(self._processes.rs_size), self._processes.rs_size)

    #: An RS the caller fixed (tests, replays); None draws a fresh one per challenge.
    _fixed_rs: bytes | None = None

    def _next_rs(self) -> bytes:
        return self._fixed_rs if self._fixed_rs is not None else self._fresh_rs()

    def _new_challenge(self) -> Challenge:
        """RS and RAND_F for the FT's challenge (KEY-ALLOCATE or AUTHENTICATION-REQUEST)."""
        return Challenge(rs=self._next_rs(), rand_f=self._rand())

    @staticmethod
    def _check_random(value: bytes, size: int) -> bytes:
        if len(value) != size:
            raise DectValueError(f"random source returned {len(value)} bytes, asked for {size}")
        return value

    @staticmethod
    def _check_key(k: bytes) -> bytes:
        if len(k) != K_SIZE:
            raise DectValueError(f"K must be {K_SIZE} bytes (B1 or B2 output), got {len(k)}")
        return k

    def _check_rs(self, rs: bytes) -> bytes:
        if len(rs) != self._processes.rs_size:
            raise DectValueError(
                f"RS must be {self._processes.rs_size} bytes with {self.algorithm.value}, "
                f"got {len(rs)}"
            )
        return rs


# --- key allocation (section 4.2; 7.2 for DSAA2) ---------------------------------


class FpKeyAllocation(_Flow):
    """FP side of key allocation: turns the AC both sides know into a new UAK.

    `start()` gives {KEY-ALLOCATE}; `receive(response)` checks the PT's RES1 and
    returns {AUTHENTICATION-REPLY} (RES2, authenticating the FT). The UAK is then
    in `uak`; the FP should treat it as unconfirmed until the first successful
    PT authentication with it, and keep the AC until then.
    """

    _steps = ("start", "receive")

    def __init__(
        self,
        ac: bytes,
        *,
        algorithm: Algorithm = Algorithm.DSAA,
        random: RandomSource = secrets.token_bytes,
        rs: bytes | None = None,
    ) -> None:
        super().__init__(algorithm, random)
        self._k = b1(ac)
        self._fixed_rs = self._check_rs(rs) if rs is not None else None
        self._challenge: Challenge | None = None
        self._uak: bytes | None = None

    def start(self) -> Challenge:
        """The RS and RAND_F to send in {KEY-ALLOCATE}."""
        self._advance("start")
        self._challenge = self._new_challenge()
        return self._challenge

    def receive(self, response: PtResponse) -> FtResponse:
        """Check the PT's RES1 (raises `AuthenticationFailed`) and answer with RES2."""
        self._advance("receive")
        assert self._challenge is not None
        p, challenge = self._processes, self._challenge
        if response.rand_p is None:
            raise self._missing("the PT's RAND_P")
        rand_p = _check_rand("RAND_P", response.rand_p)
        _, xres1 = p.a12(p.a11(self._k, challenge.rs), challenge.rand_f, rand_p)
        self._verify("RES1", response.res1, xres1)
        # DSAA2 derives the UAK from a fresh RS128 (spec 7.2); DSAA reuses the RS.
        rs = self._fresh_rs() if p.both_random else challenge.rs
        self._uak = p.a21(self._k, rs)
        res2 = p.a22(self._uak, rand_p, challenge.rand_f)
        return FtResponse(res2=res2, rs=rs)

    @property
    def uak(self) -> bytes:
        """The new (unconfirmed) UAK, once the PT is authenticated."""
        if self._uak is None or not self.complete:
            raise ProtocolStateError("key allocation has not completed")
        return self._uak


def _check_rand(name: str, value: bytes) -> bytes:
    if len(value) != RAND_SIZE:
        raise DectValueError(f"{name} must be {RAND_SIZE} bytes, got {len(value)}")
    return value


class PpKeyAllocation(_Flow):
    """PP side of key allocation: the user keyed in the PIN that gives `ac`.

    `receive_challenge(challenge)` answers {KEY-ALLOCATE} with RES1 and a fresh
    RAND_P; `receive_reply(reply)` authenticates the FT from RES2 and returns
    the new UAK (store it, erase the AC). A wrong PIN shows at the FP as an
    `AuthenticationFailed` on RES1.
    """

    _steps = ("challenge", "reply")

    def __init__(
        self,
        ac: bytes,
        *,
        algorithm: Algorithm = Algorithm.DSAA,
        random: RandomSource = secrets.token_bytes,
    ) -> None:
        super().__init__(algorithm, random)
        self._k = b1(ac)
        self._challenge: Challenge | None = None
        self._rand_p: bytes | None = None
        self._uak: bytes | None = None

    def receive_challenge(self, challenge: Challenge) -> PtResponse:
        """RES1 and RAND_P for the {AUTHENTICATION-REQUEST} answering {KEY-ALLOCATE}."""
        self._advance("challenge")
        p = self._processes
        self._check_rs(challenge.rs)
        _check_rand("RAND_F", challenge.rand_f)
        self._challenge = challenge
        self._rand_p = self._rand()
        _, res1 = p.a12(p.a11(self._k, challenge.rs), challenge.rand_f, self._rand_p)
        return PtResponse(res1=res1, rand_p=self._rand_p)

    def receive_reply(self, reply: FtResponse) -> bytes:
        """Check RES2 (raises `AuthenticationFailed`) and return the new UAK."""
        self._advance("reply")
        assert self._challenge is not None and self._rand_p is not None
        p = self._processes
        if reply.rs is None and p.both_random:
            raise self._missing("the FT's new RS128")
        rs = self._check_rs(reply.rs) if reply.rs is not None else self._challenge.rs
        uak = p.a21(self._k, rs)
        self._verify("RES2", reply.res2, p.a22(uak, self._rand_p, self._challenge.rand_f))
        self._uak = uak
        return uak

    @property
    def uak(self) -> bytes:
        """The new UAK, once the FT is authenticated."""
        if self._uak is None or not self.complete:
            raise ProtocolStateError("key allocation has not completed")
        return self._uak


# --- authentication of the PT (section 4.3) ------------------------------------


class FpPtAuthentication(_Flow):
    """FP authenticates the PT and derives a new DCK.

    `k` is B1(UAK) (= the UAK), B1(AC) or B2(UAK, UPI) as <<AUTH-TYPE>> says.
    `rs` may be reused across authentications with DSAA (Annex K uses zeros);
    by default, and always sensibly with DSAA2, a fresh one is drawn.
    """

    _steps = ("start", "receive")

    def __init__(
        self,
        k: bytes,
        *,
        algorithm: Algorithm = Algorithm.DSAA,
        random: RandomSource = secrets.token_bytes,
        rs: bytes | None = None,
    ) -> None:
        super().__init__(algorithm, random)
        self._k = self._check_key(k)
        self._fixed_rs = self._check_rs(rs) if rs is not None else None
        self._challenge: Challenge | None = None
        self._dck: bytes | None = None

    def start(self) -> Challenge:
        """The RS and RAND_F for {AUTHENTICATION-REQUEST}."""
        self._advance("start")
        self._challenge = self._new_challenge()
        return self._challenge

    def receive(self, response: PtResponse) -> bytes:
        """Check RES1 (raises `AuthenticationFailed`); return the new DCK."""
        self._advance("receive")
        assert self._challenge is not None
        p, challenge = self._processes, self._challenge
        if p.both_random and response.rand_p is None:
            raise self._missing("the PT's RAND_P")
        dck, xres1 = p.a12(p.a11(self._k, challenge.rs), challenge.rand_f, response.rand_p)
        self._verify("RES1", response.res1, xres1)
        self._dck = dck
        return dck

    @property
    def dck(self) -> bytes:
        """The DCK of this authentication, once it succeeded."""
        if self._dck is None or not self.complete:
            raise ProtocolStateError("PT authentication has not completed")
        return self._dck


class PpPtAuthentication(_Flow):
    """PP answers the FP's authentication request; also yields the new DCK.

    The PP learns whether the FP accepted only from what follows (no
    {AUTHENTICATION-REJECT}); it stores `dck` as <<AUTH-TYPE>> asks (see
    `dect.security.CipherKeys`).
    """

    _steps = ("challenge",)

    def __init__(
        self,
        k: bytes,
        *,
        algorithm: Algorithm = Algorithm.DSAA,
        random: RandomSource = secrets.token_bytes,
    ) -> None:
        super().__init__(algorithm, random)
        self._k = self._check_key(k)
        self._dck: bytes | None = None

    def receive_challenge(self, challenge: Challenge) -> PtResponse:
        """RES1 (and RAND_P with DSAA2) for {AUTHENTICATION-REPLY}."""
        self._advance("challenge")
        p = self._processes
        self._check_rs(challenge.rs)
        rand_p = self._rand() if p.both_random else None
        self._dck, res1 = p.a12(p.a11(self._k, challenge.rs), challenge.rand_f, rand_p)
        return PtResponse(res1=res1, rand_p=rand_p)

    @property
    def dck(self) -> bytes:
        """The DCK derived while answering."""
        if self._dck is None:
            raise ProtocolStateError("no authentication request answered yet")
        return self._dck


# --- authentication of the FT (section 4.4) ------------------------------------


class PpFtAuthentication(_Flow):
    """PP authenticates the FT: sends RAND_P, checks the FT's RES2. Never yields a key."""

    _steps = ("start", "receive")

    def __init__(
        self,
        k: bytes,
        *,
        algorithm: Algorithm = Algorithm.DSAA,
        random: RandomSource = secrets.token_bytes,
    ) -> None:
        super().__init__(algorithm, random)
        self._k = self._check_key(k)
        self._rand_p: bytes | None = None

    def start(self) -> bytes:
        """RAND_P for {AUTHENTICATION-REQUEST}."""
        self._advance("start")
        self._rand_p = self._rand()
        return self._rand_p

    def receive(self, reply: FtResponse) -> None:
        """Check RES2; raises `AuthenticationFailed` if the FT does not hold K."""
        self._advance("receive")
        assert self._rand_p is not None
        p = self._processes
        if reply.rs is None:
            raise self._missing("the FT's RS")
        if p.both_random and reply.rand_f is None:
            raise self._missing("the FT's RAND_F")
        ks_prime = p.a21(self._k, self._check_rs(reply.rs))
        self._verify("RES2", reply.res2, p.a22(ks_prime, self._rand_p, reply.rand_f))


class FpFtAuthentication(_Flow):
    """FP answers the PT's challenge with RS and RES2 (plus RAND_F with DSAA2)."""

    _steps = ("request",)

    def __init__(
        self,
        k: bytes,
        *,
        algorithm: Algorithm = Algorithm.DSAA,
        random: RandomSource = secrets.token_bytes,
        rs: bytes | None = None,
    ) -> None:
        super().__init__(algorithm, random)
        self._k = self._check_key(k)
        self._fixed_rs = self._check_rs(rs) if rs is not None else None

    def receive_request(self, rand_p: bytes) -> FtResponse:
        """The {AUTHENTICATION-REPLY} values for the PT's RAND_P."""
        self._advance("request")
        _check_rand("RAND_P", rand_p)
        p = self._processes
        rs = self._next_rs()
        rand_f = self._rand() if p.both_random else None
        res2 = p.a22(p.a21(self._k, rs), rand_p, rand_f)
        return FtResponse(res2=res2, rs=rs, rand_f=rand_f)
