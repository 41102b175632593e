"""G.722 sub-band ADPCM at 64 kbit/s (ITU-T G.722 (09/2012) §3-4, mode 1).

16 kHz PCM in, one octet per two samples out: a 24-tap QMF splits the signal into
a low band coded with 6-bit ADPCM and a high band with 2-bit ADPCM (blocks 1L-6L,
1H-6H of §3.4 and §4.4, the integer arithmetic of the ITU reference). Pure Python,
one sample pair at a time: about 1/5 of real time per direction on one core, which
suits test tools, not hundreds of wideband calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sipdect.media import constants as c
from sipdect.media.errors import CodecError

# -- tables of G.722 §3-4 ----------------------------------------------------------------------

QMF_COEFFS = (3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11)
#: QUANTL decision levels (x det >> 12) and the codes for negative/positive differences.
Q6 = (0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858,
      940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0)
ILN = (0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
       12, 11, 10, 9, 8, 7, 6, 5, 4, 0)
ILP = (0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41,
       40, 39, 38, 37, 36, 35, 34, 33, 32, 0)
WL = (-60, -30, 58, 172, 334, 538, 1198, 3042)
RL42 = (0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0)
ILB = (2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714,
       2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676,
       3756, 3838, 3922, 4008)
QM4 = (0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240,
       2584, 1200, 0)
QM6 = (-136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192,
       -10232, -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
       -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704,
       14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464,
       4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136)
QM2 = (-7408, -1616, 7408, 1616)
IHN = (0, 1, 0)
IHP = (0, 3, 2)
WH = (0, -214, 798)
RH2 = (2, 1, 2, 1)


def _sat(x: int) -> int:
    return 32767 if x > 32767 else -32768 if x < -32768 else x


@dataclass(slots=True)
class _Band:
    """ADPCM predictor state of one sub-band (the variables of blocks 3 and 4)."""

    det: int
    s: int = 0
    sp: int = 0
    sz: int = 0
    nb: int = 0
    r: list[int] = field(default_factory=lambda: [0] * 3)
    a: list[int] = field(default_factory=lambda: [0] * 3)
    p: list[int] = field(default_factory=lambda: [0] * 3)
    d: list[int] = field(default_factory=lambda: [0] * 7)
    b: list[int] = field(default_factory=lambda: [0] * 7)

    def block4(self, dx: int) -> None:
        """RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC."""
        r, a, p, d, b = self.r, self.a, self.p, self.d, self.b
        d[0] = dx
        r[0] = _sat(self.s + dx)
        p[0] = _sat(self.sz + dx)
        sg0, sg1, sg2 = p[0] >> 15, p[1] >> 15, p[2] >> 15
        # UPPOL2
        wd1 = _sat(a[1] << 2)
        wd2 = -wd1 if sg0 == sg1 else wd1
        if wd2 > 32767:
            wd2 = 32767
        wd3 = (wd2 >> 7) + (128 if sg0 == sg2 else -128) + ((a[2] * 32512) >> 15)
        ap2 = 12288 if wd3 > 12288 else -12288 if wd3 < -12288 else wd3
        # UPPOL1
        ap1 = _sat((192 if sg0 == sg1 else -192) + ((a[1] * 32640) >> 15))
        lim = _sat(15360 - ap2)
        ap1 = lim if ap1 > lim else -lim if ap1 < -lim else ap1
        # UPZERO
        wd1 = 0 if dx == 0 else 128
        sgd = dx >> 15
        bp = [0] * 7
        for i in range(1, 7):
            bp[i] = _sat((wd1 if (d[i] >> 15) == sgd else -wd1) + ((b[i] * 32640) >> 15))
        # DELAYA
        for i in range(6, 0, -1):
            d[i] = d[i - 1]
            b[i] = bp[i]
        r[2], r[1] = r[1], r[0]
        p[2], p[1] = p[1], p[0]
        a[2], a[1] = ap2, ap1
        # FILTEP, FILTEZ, PREDIC
        self.sp = _sat(((a[1] * _sat(r[1] + r[1])) >> 15) + ((a[2] * _sat(r[2] + r[2])) >> 15))
        sz = 0
        for i in range(6, 0, -1):
            sz += (b[i] * _sat(d[i] + d[i])) >> 15
        self.sz = _sat(sz)
        self.s = _sat(self.sp + self.sz)

    def scale(self, nb: int, shift: int) -> None:
        """SCALEL / SCALEH: the quantiser scale factor from the log scale factor."""
        self.nb = nb
        wd2 = shift - (nb >> 11)
        wd3 = ILB[(nb >> 6) & 31] << -wd2 if wd2 < 0 else ILB[(nb >> 6) & 31] >> wd2
        self.det = wd3 << 2


def _log_low(band: _Band, ril: int) -> None:
    """LOGSCL and SCALEL of the low band."""
    nb = ((band.nb * 127) >> 7) + WL[RL42[ril]]
    band.scale(0 if nb < 0 else 18432 if nb > 18432 else nb, 8)


def _log_high(band: _Band, ihigh: int) -> None:
    """LOGSCH and SCALEH of the high band."""
    nb = ((band.nb * 127) >> 7) + WH[RH2[ihigh]]
    band.scale(0 if nb < 0 else 22528 if nb > 22528 else nb, 10)


class G722Encoder:
    """16 kHz int16 PCM -> G.722 octets (64 kbit/s)."""

    def __init__(self) -> None:
        self._low = _Band(det=32)
        self._high = _Band(det=8)
        self._x = [0] * 24

    def encode(self, pcm: np.ndarray) -> bytes:
        samples = np.asarray(pcm)
        if samples.dtype != np.int16 or samples.ndim != 1 or len(samples) % 2:
            raise CodecError("G.722 takes a 1-D int16 array of an even number of samples")
        low, high, x = self._low, self._high, self._x
        out = bytearray(len(samples) // 2)
        values = samples.tolist()
        for j in range(0, len(values), 2):
            # Transmit QMF: shift two samples in, keep every other output.
            del x[:2]
            x.append(values[j])
            x.append(values[j + 1])
            sumodd = sum(x[2 * i] * QMF_COEFFS[i] for i in range(12))
            sumeven = sum(x[2 * i + 1] * QMF_COEFFS[11 - i] for i in range(12))
            xlow = (sumeven + sumodd) >> 14
            xhigh = (sumeven - sumodd) >> 14
            # Low band: SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, block 4.
            el = _sat(xlow - low.s)
            wd = el if el >= 0 else -(el + 1)
            i = 1
            while i < 30 and wd >= (Q6[i] * low.det) >> 12:
                i += 1
            ilow = ILN[i] if el < 0 else ILP[i]
            ril = ilow >> 2
            dlow = (low.det * QM4[ril]) >> 15
            _log_low(low, ril)
            low.block4(dlow)
            # High band: SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH, block 4.
            eh = _sat(xhigh - high.s)
            wd = eh if eh >= 0 else -(eh + 1)
            mih = 2 if wd >= (564 * high.det) >> 12 else 1
            ihigh = IHN[mih] if eh < 0 else IHP[mih]
            dhigh = (high.det * QM2[ihigh]) >> 15
            _log_high(high, ihigh)
            high.block4(dhigh)
            out[j // 2] = (ihigh << 6) | ilow
        return bytes(out)


class G722Decoder:
    """G.722 octets (64 kbit/s) -> 16 kHz int16 PCM."""

    def __init__(self) -> None:
        self._low = _Band(det=32)
        self._high = _Band(det=8)
        self._x = [0] * 24

    def decode(self, data: bytes) -> np.ndarray:
        low, high, x = self._low, self._high, self._x
        out = [0] * (2 * len(data))
        for j, code in enumerate(data):
            ilow, ihigh = code & 0x3F, code >> 6
            # Low band: INVQBL, RECONS, LIMIT, then INVQAL/LOGSCL/SCALEL/block 4.
            rlow = low.s + ((low.det * QM6[ilow]) >> 15)
            rlow = 16383 if rlow > 16383 else -16384 if rlow < -16384 else rlow
            ril = ilow >> 2
            dlow = (low.det * QM4[ril]) >> 15
            _log_low(low, ril)
            low.block4(dlow)
            # High band: INVQAH, RECONS, LIMIT, LOGSCH, SCALEH, block 4.
            dhigh = (high.det * QM2[ihigh]) >> 15
            rhigh = dhigh + high.s
            rhigh = 16383 if rhigh > 16383 else -16384 if rhigh < -16384 else rhigh
            _log_high(high, ihigh)
            high.block4(dhigh)
            # Receive QMF.
            del x[:2]
            x.append(rlow + rhigh)
            x.append(rlow - rhigh)
            xout2 = sum(x[2 * i] * QMF_COEFFS[i] for i in range(12))
            xout1 = sum(x[2 * i + 1] * QMF_COEFFS[11 - i] for i in range(12))
            out[2 * j] = _sat(xout1 >> 11)
            out[2 * j + 1] = _sat(xout2 >> 11)
        return np.array(out, dtype=np.int16)


class G722Codec:
    """G.722 for a stream: an encoder and a decoder, each with its own state."""

    def __init__(self, payload: c.PayloadFormat = c.G722) -> None:
        self.payload = payload
        self._encoder = G722Encoder()
        self._decoder = G722Decoder()

    def encode(self, pcm: np.ndarray) -> bytes:
        return self._encoder.encode(pcm)

    def decode(self, payload: bytes) -> np.ndarray:
        return self._decoder.decode(payload)
