"""The assumed over-the-air carriage of locating and message priority (dect.conventions
"locating", "text messages"): POSITION_REQUEST / POSITION_REPORT and the MESSAGE_PRIORITY
element round-trip through the NWK codec, and malformed ones are refused, never raised on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dect import conventions as cv
from dect.nwk import coms, decode_message
from dect.nwk.ie import IwuToIwu
from dect.nwk.proprietary import DeTeWeContent, DeTeWeRaw

u32 = st.integers(0, 0xFFFFFFFF)
heard = st.lists(st.tuples(st.integers(0, 255), st.integers(-255, 0)),
                 max_size=cv.POSITION_MAX_RFPS).map(tuple)


def _over_the_air(ie: IwuToIwu) -> IwuToIwu:
    """The element as the other end decodes it from a COMS-ACK."""
    found = decode_message(coms.ack(ie).encode()).find(IwuToIwu)
    assert found is not None
    return found


@given(u32, heard)
def test_a_position_report_round_trips(request_id: int, rfps: tuple[tuple[int, int], ...]
                                       ) -> None:
    report = cv.PositionReport(request_id, rfps)
    assert cv.parse_position_report_iwu(_over_the_air(cv.position_report_iwu(report))) == report


@given(u32)
def test_a_position_request_round_trips(request_id: int) -> None:
    ie = _over_the_air(cv.position_request_iwu(request_id))
    assert cv.parse_position_request_iwu(ie) == request_id
    assert cv.parse_position_report_iwu(ie) is None
    assert cv.parse_message_iwu(ie) is None


def test_a_report_names_at_most_the_strongest_rfps() -> None:
    many = tuple((n, -40 - n) for n in range(cv.POSITION_MAX_RFPS + 5))
    report = cv.parse_position_report_iwu(cv.position_report_iwu(cv.PositionReport(1, many)))
    assert report is not None and report.heard == many[:cv.POSITION_MAX_RFPS]


def test_a_report_frame_by_hand() -> None:
    # id 0x01020304, two RFPs: RPN 7 at -52 dBm, RPN 9 at -80 dBm
    data = bytes.fromhex("01020304" "02" "0734" "0950")
    ie = IwuToIwu.user_specific(cv.MESSAGE_EMC,
                                DeTeWeContent((DeTeWeRaw(cv.POSITION_REPORT, data),)))
    assert cv.position_report_iwu(cv.PositionReport(0x01020304, ((7, -52), (9, -80)))) == ie
    assert cv.parse_position_report_iwu(ie) == cv.PositionReport(0x01020304,
                                                                 ((7, -52), (9, -80)))


@given(st.binary(max_size=40))
def test_a_garbled_report_is_no_report(data: bytes) -> None:
    ie = IwuToIwu.user_specific(cv.MESSAGE_EMC,
                                DeTeWeContent((DeTeWeRaw(cv.POSITION_REPORT, data),)))
    report = cv.parse_position_report_iwu(ie)
    assert report is None or len(data) == 5 + 2 * data[4]


@given(u32, st.text(max_size=20), st.text(max_size=40),
       st.lists(st.sampled_from(cv.MESSAGE_CONFIRMATIONS), max_size=3).map(tuple),
       st.sampled_from(cv.MESSAGE_PRIORITIES))
def test_a_message_keeps_its_priority(message_id: int, title: str, text: str,
                                      confirmations: tuple[str, ...], priority: str) -> None:
    body = cv.MessageBody(message_id, title, text, confirmations, priority)
    assert cv.parse_message_iwu(cv.message_iwu(body)) == body


def test_a_message_without_the_priority_element_is_normal_and_an_unknown_one_is_refused(
        ) -> None:
    plain = cv.message_iwu(cv.MessageBody(1, "t", "x"))
    assert cv.parse_message_iwu(plain) == cv.MessageBody(1, "t", "x", (), "Normal")
    content = plain.proprietary
    assert content is not None and isinstance(content[1], DeTeWeContent)
    bad = IwuToIwu.user_specific(cv.MESSAGE_EMC, DeTeWeContent(
        (*content[1].elements, DeTeWeRaw(cv.MESSAGE_PRIORITY, bytes([99])))))
    assert cv.parse_message_iwu(bad) is None
