"""What the fixed part exchanges with the RFPs, at the level of the DNM primitives.

omm-rfp.md §3.5 and §4.9: each dataclass mirrors one DNM primitive (layer 0x79 LC or 0x7A MAC)
with the RFP it travels to or from; the link edge translates them to and from sipdect.link's
`Dnm` messages one to one. DLC frames are plain octets (dect.dlc codes them).
"""

from __future__ import annotations

from dataclasses import dataclass

# --- RFP -> OMM ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MacConnectInd:
    """MAC_CON_IND: a PP set up a MAC connection on an RFP."""

    rfp_id: int
    """The RFP the PP connected to."""
    mcei: int
    """MAC connection endpoint id the RFP chose; later primitives of the connection carry it."""
    pmid: int
    """20-bit portable MAC identity."""
    handover: bool = False
    """The connection moves here from another RFP (flags bit 1)."""


@dataclass(frozen=True, slots=True)
class LcDataInd:
    """LC_DATA_IND: one DLC frame from the PP."""

    rfp_id: int
    """The RFP."""
    mcei: int
    """The connection."""
    frame: bytes
    """DLC frame octets (address, control, LI, NWK), fill removed or not."""


@dataclass(frozen=True, slots=True)
class MacDisconnectInd:
    """MAC_DIS_IND: the MAC connection is gone."""

    rfp_id: int
    """The RFP."""
    mcei: int
    """The connection."""
    reason: int = 1
    """0 unspecified, 1 normal, 2 abnormal."""


@dataclass(frozen=True, slots=True)
class MacEncEksInd:
    """MAC_ENC_EKS_IND: the RFP's MAC now ciphers the connection."""

    rfp_id: int
    """The RFP."""
    mcei: int
    """The connection."""
    key_id: int | None = None
    """The key id when the RFP reports one (flag 2)."""


@dataclass(frozen=True, slots=True)
class HoInProgressInd:
    """HO_IN_PROGRESS_IND: a PP hands a connection over onto this RFP."""

    rfp_id: int
    """The new RFP."""
    mcei: int
    """The connection endpoint on the new RFP."""
    pmid: int
    """The PP."""


FpIndication = MacConnectInd | LcDataInd | MacDisconnectInd | MacEncEksInd | HoInProgressInd

# --- OMM -> RFP ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LcDataReq:
    """LC_DATA_REQ: one DLC frame to the PP."""

    rfp_id: int
    """The RFP."""
    mcei: int
    """The connection."""
    frame: bytes
    """DLC frame octets, unpadded."""


@dataclass(frozen=True, slots=True)
class MacEncKeyReq:
    """MAC_ENC_KEY_REQ: start (or change) DSC ciphering of the connection with this key."""

    rfp_id: int
    """The RFP."""
    mcei: int
    """The connection."""
    key: bytes
    """The 8-byte cipher key (DCK or DefCK) in Annex K order."""
    key_id: int
    """Key id (conventions.MAC_KEY_ID)."""


@dataclass(frozen=True, slots=True)
class MacPageReq:
    """MAC_PAGE_REQ: page a PP by the low 16 bits of its TPUI."""

    id16: int
    """The 16-bit page identity."""
    rfp_id: int | None = None
    """None: every RFP of the paging area."""


@dataclass(frozen=True, slots=True)
class MacDisconnectReq:
    """MAC_DIS_REQ: release the MAC connection."""

    rfp_id: int
    """The RFP."""
    mcei: int
    """The connection."""


@dataclass(frozen=True, slots=True)
class HoInProgressRes:
    """HO_IN_PROGRESS_RES: the cipher key the new RFP continues the connection with."""

    rfp_id: int
    """The new RFP."""
    mcei: int
    """The connection endpoint there."""
    key: bytes
    """8-byte cipher key, zeros when the connection is not ciphered."""
    key_id: int
    """Key id, 0xff when not ciphered."""


FpRequest = LcDataReq | MacEncKeyReq | MacPageReq | MacDisconnectReq | HoInProgressRes
