"""What crosses the simulated DECT air between a portable part (PP) and an RFP's radio.

The air carries MAC-level primitives; the DLC frames inside `AirData` are real
EN 300 175-4 frames (address, control, length indicator, NWK octets) so that the
RFP relays them unchanged in DNM LC_DATA_IND/REQ (omm-rfp.md §4.9), exactly as a
real RFP does. When a connection is ciphered, `AirData.payload` is XOR-ed with the
DSC keystream of its frame (dect-security.md §5.4); a receiver with another key
gets garbage it cannot decode.
"""

from __future__ import annotations

from dataclasses import dataclass

AIR_VOICE_OCTETS = 80
"""Octets of one AirVoice B-field: 10 ms at 64 kbit/s (see AirVoice)."""


@dataclass(frozen=True, slots=True)
class AirConnect:
    """PP -> RFP: set up a MAC connection (bearer) for this PMID."""

    pmid: int  #: 20-bit portable MAC identity
    handover: bool = False  #: the connection moves here from another RFP of the cluster


@dataclass(frozen=True, slots=True)
class AirConnected:
    """RFP -> PP: the MAC connection is up."""

    pmid: int


@dataclass(frozen=True, slots=True)
class AirData:
    """Either way: one DLC frame on an established MAC connection."""

    pmid: int
    payload: bytes  #: DLC frame octets, ciphered when the connection is
    mfn: int  #: multiframe number of the frame (24 bits)
    fn: int  #: frame number 0..15
    ciphered: bool = False


@dataclass(frozen=True, slots=True)
class AirCipherStart:
    """RFP -> PP: ciphering starts now with the key the OMM handed the RFP."""

    pmid: int


@dataclass(frozen=True, slots=True)
class AirRelease:
    """Either way: the MAC connection is gone."""

    pmid: int
    reason: int = 1  #: 1 normal, 2 abnormal (MAC_DIS_IND reason)


@dataclass(frozen=True, slots=True)
class AirPage:
    """RFP -> every PP locked to it: paging for a 16-bit identity (MAC_PAGE_REQ)."""

    id16: int


@dataclass(frozen=True, slots=True)
class AirVoice:
    """Either way: one 10 ms voice frame (U-plane B-field) on an established MAC connection.

    `payload` holds 80 octets: G.711 A-law for a narrowband call, G.722 at 64 kbit/s for a
    wideband one (sim.voice decides; a real PP carries G.726 in a 40-octet B-field). Ciphered
    connections XOR it with the DSC keystream of its frame like `AirData`.
    """

    pmid: int
    payload: bytes  #: 80 octets per 10 ms frame, ciphered when the connection is
    mfn: int  #: multiframe number of the frame (24 bits)
    fn: int  #: frame number 0..15
    ciphered: bool = False


AirPrimitive = (
    AirConnect | AirConnected | AirData | AirCipherStart | AirRelease | AirPage | AirVoice
)
