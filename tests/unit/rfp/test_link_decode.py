"""decode_hex, the library behind `sipdect decode rfp HEX...` (omm-rfp.md §1, §2.2, §6)."""

from __future__ import annotations

import json

import pytest
from rfp_link_vectors import (
    C10_AUTH,
    C10_OMM,
    C10_RFP_FIRST,
    C10_RFPA,
    C10_SIGNATURE,
    C11_AUTH,
    C11_OMM,
    LINK_VECTORS,
    MAC,
    V7,
)

from sipdect.link import constants as c
from sipdect.link import crypto, decode_hex
from sipdect.link.dnm import Dnm, LcFrame, fragment_nwk
from sipdect.link.errors import LinkProtocolError


def test_plaintext_vectors_with_separators_and_several_messages_per_argument() -> None:
    out = decode_hex(LINK_VECTORS["V11"] + LINK_VECTORS["V13"], "01 05 00 04 0f 00 00 00",
                     "0x" + LINK_VECTORS["V85"])
    assert [e["name"] for e in out] == ["ACK", "SYS_HEARTBEAT_INTERVAL",
                                        "SYS_HEARTBEAT_INTERVAL", "DNM"]
    assert out[3]["primitive_name"] == "MAC_DIS_IND"
    json.dumps(out)


def test_c10_transcript_decrypts_with_the_key() -> None:
    key = crypto.decrypt_rfpa(C10_RFPA, MAC)
    omm = "".join(cipher for cipher, _ in C10_OMM)
    out = decode_hex(
        C10_AUTH.hex(), (V7[:-16] + C10_SIGNATURE).hex(), "000100080120ffff01000000",
        "rfp:" + C10_RFP_FIRST[0], "omm:" + omm, key=key,
    )
    names = [e["name"] for e in out]
    assert names == [
        "SYS_AUTHENTICATE", "SYS_INIT", "ACK", "SYS_ENCRYPTION_CONF", "SYS_OMM_CONTROL",
        "SYS_IP_OPTIONS", "SYS_HEARTBEAT_INTERVAL", "SYS_STREAM_INFO", "SYS_LED", "SYS_LED",
    ]
    assert out[3]["direction"] == "RFP->OMM" and out[4]["direction"] == "OMM->RFP"
    assert out[1]["sw_version"] == "SIP-DECT 8.1SP1-FA27"
    json.dumps(out)


def test_chain_runs_on_across_arguments_and_the_key_can_come_from_auth_key() -> None:
    key = crypto.decrypt_rfpa(C10_RFPA, MAC)
    auth_key = "01240040" + key.hex()
    parts = ["omm:" + cipher for cipher, _ in C11_OMM]
    out = decode_hex(C11_AUTH.hex(), auth_key, *parts)
    assert [e["name"] for e in out][2:] == [
        "SYS_OMM_CONTROL", "SYS_IP_OPTIONS", "SYS_HEARTBEAT_INTERVAL", "SYS_STREAM_INFO",
        "SYS_LED", "SYS_LED",
    ]
    assert out[-2]["colour_name"] == "GREEN_ORANGE_FLASH"


def test_fragments_are_reassembled_across_arguments() -> None:
    pytest.importorskip("dect.nwk")
    locate = bytes.fromhex(LINK_VECTORS["V53"])[12 : 12 + 35]  # MM LOCATE-REQUEST
    escape = bytes.fromhex("7b1f810031") + bytes(28)  # one more ESCAPE-TO-PROPRIETARY
    pieces = fragment_nwk(locate + escape)  # 68 bytes: two fragments
    frames = []
    for ns, (piece, more) in enumerate(pieces):
        frame = LcFrame.i_frame(piece, ns=ns, nr=0, lln=2, command=False, more=more)
        frames.append(Dnm.lc_data(c.DnmPrimitive.LC_DATA_IND, 9, frame).encode().hex())
    out = decode_hex(*frames)
    assert "nwk_fragment_hex" in out[0]
    assert out[1]["nwk_fragments"] == 2
    assert out[1]["nwk"]["type"] == "LOCATE-REQUEST"


def test_errors_become_entries() -> None:
    out = decode_hex("omm:0011223344556677", LINK_VECTORS["V11"] + "0001")
    assert "needs the RFP key" in out[0]["error"]
    assert out[1]["name"] == "ACK"
    assert "trailing" in out[2]["error"]
    with pytest.raises(LinkProtocolError, match="argument 1 is not hex"):
        decode_hex("xyz")
