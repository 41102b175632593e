"""sipdect's capture records (sipdect.capture.records): their bytes, round trips and fuzzing,
and the summaries Wireshark's Info column and `sipdect decode` show."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dect.dlc import DlcFrame, IControl
from dect.nwk import cc
from sipdect.capture import AirRecord, CaptureFormatError, LinkRecord
from sipdect.capture.records import AirNamer, LinkNamer
from sipdect.link import constants as c
from sipdect.link.dnm import Dnm, LcFrame, fragment_nwk
from sipdect.link.messages import LinkMessage

CONNECT = cc.connect().encode()


def test_link_record_bytes() -> None:
    record = LinkRecord(c.Direction.RFP_TO_OMM, ("127.0.0.1", 16321), ("127.10.0.2", 40000),
                        b"\x01\x05\x00\x00", "S")
    assert record.encode() == (b"\x01\x01" + bytes([127, 0, 0, 1]) + struct.pack(">H", 16321)
                               + bytes([127, 10, 0, 2]) + struct.pack(">H", 40000)
                               + b"\x00\x01S" + b"\x01\x05\x00\x00")


def test_air_record_bytes() -> None:
    record = AirRecord(True, True, 7, 0xE5C63, "03074 0220259 3", "AirData", b"\x11", 3, 4)
    assert record.encode() == (b"\x01\x00\x01" + struct.pack(">III", 7, 0xE5C63, 3) + b"\x04"
                               + b"\x0f03074 0220259 3" + b"\x07AirData" + b"\x00\x00"
                               + b"\x11")


addresses = st.tuples(st.ip_addresses(v=4).map(str), st.integers(0, 65535))


@given(st.sampled_from(list(c.Direction)), addresses, addresses, st.binary(max_size=80),
       st.text(max_size=40))
def test_link_record_round_trip(direction: c.Direction, omm: tuple[str, int],
                                rfp: tuple[str, int], message: bytes, summary: str) -> None:
    record = LinkRecord(direction, omm, rfp, message, summary)
    assert LinkRecord.decode(record.encode()) == record


@given(st.booleans(), st.booleans(), st.integers(0, 2**32 - 1), st.integers(0, 2**20 - 1),
       st.text(st.characters(codec="ascii"), max_size=20), st.sampled_from(
           ["AirData", "AirConnect", "AirRelease"]), st.binary(max_size=64),
       st.integers(0, 2**24 - 1), st.integers(0, 15), st.text(max_size=40))
def test_air_record_round_trip(uplink: bool, ciphered: bool, rfp: int, pmid: int, ipei: str,
                               primitive: str, payload: bytes, mfn: int, fn: int,
                               summary: str) -> None:
    record = AirRecord(uplink, ciphered, rfp, pmid, ipei, primitive, payload, mfn, fn, summary)
    assert AirRecord.decode(record.encode()) == record


@given(st.binary(max_size=120))
def test_records_that_do_not_decode_raise_only_the_capture_error(data: bytes) -> None:
    for kind in (LinkRecord, AirRecord):
        try:
            kind.decode(data)
        except CaptureFormatError:
            pass


def test_a_record_of_another_version_is_refused() -> None:
    data = bytearray(LinkRecord(c.Direction.OMM_TO_RFP, ("1.2.3.4", 1), ("1.2.3.5", 2),
                                b"").encode())
    data[0] = 2
    with pytest.raises(CaptureFormatError, match="version 2"):
        LinkRecord.decode(bytes(data))


def _lc(nwk: bytes, more: bool, ns: int) -> bytes:
    frame = LcFrame(address=0x21, control=ns << 1, nwk=nwk, more=more)
    return LinkMessage(c.MessageType.DNM, Dnm.lc_data(c.DnmPrimitive.LC_DATA_IND, 1,
                                                      frame).encode()[4:]).encode()


def test_link_summary_names_the_message_the_dnm_primitive_and_the_nwk() -> None:
    namer = LinkNamer()
    record = LinkRecord(c.Direction.RFP_TO_OMM, ("1.2.3.4", 1), ("1.2.3.5", 2),
                        _lc(CONNECT, False, 0))
    assert namer.summary(record) == "DNM LC LC_DATA_IND CC CC-CONNECT"
    ack = LinkRecord(c.Direction.OMM_TO_RFP, ("1.2.3.4", 1), ("1.2.3.5", 2),
                     bytes.fromhex("0001000801200000ffff0100"))
    assert namer.summary(ack) == "ACK SYS_INIT"


def test_link_summary_puts_a_fragmented_nwk_message_together() -> None:
    long = cc.connect(display="x" * 90).encode()
    pieces = fragment_nwk(long)
    assert len(pieces) == 2
    namer = LinkNamer()
    summaries = [namer.summary(LinkRecord(c.Direction.RFP_TO_OMM, ("1.2.3.4", 1),
                                          ("1.2.3.5", 2), _lc(piece, more, ns)))
                 for ns, (piece, more) in enumerate(pieces)]
    assert summaries[-1].endswith("CC CC-CONNECT")
    assert "CC-CONNECT" not in summaries[0]


def test_a_link_record_that_is_no_message_says_so() -> None:
    record = LinkRecord(c.Direction.RFP_TO_OMM, ("1.2.3.4", 1), ("1.2.3.5", 2), b"\x01")
    assert LinkNamer().summary(record).startswith("undecodable")


def test_air_summary_names_the_dlc_frame_and_the_nwk_message() -> None:
    frame = DlcFrame(lln=1, cr=False, control=IControl(0, 0), payload=CONNECT).encode()
    record = AirRecord(False, True, 7, 1, "x", "AirData", frame, 1, 2)
    assert AirNamer().summary(record) == "AirData LLN=1 C/R=0 I N(S)=0 N(R)=0 L=2 CC CC-CONNECT"
    assert AirNamer().summary(AirRecord(True, False, 7, 1, "x", "AirConnect")) == "AirConnect"
    bad = AirNamer().describe(AirRecord(True, False, 7, 1, "x", "AirData", b"\x00"))
    assert "error" in bad
