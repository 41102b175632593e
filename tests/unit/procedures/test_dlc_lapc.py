"""dect.dlc: the frame codec against omm-rfp.md's captures, round trips and fuzz, and the LAPC
link (fragmentation, acknowledgement, retransmission in virtual time, go-back-N)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dect import dlc
from dect.dlc import (
    DlcConnection,
    DlcFrame,
    IControl,
    LinkFailed,
    NwkAcknowledged,
    NwkReceived,
    SControl,
    Side,
    Supervisory,
    UControl,
    Unnumbered,
    decode_frame,
)
from dect.errors import DectDecodeError

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- codec: captures (omm-rfp.md §7.3, the DLC part after LC offset 8) ------------------------


def test_reject_frame_v25() -> None:
    frame = decode_frame(bytes.fromhex("23b901"))
    assert (frame.lln, frame.cr, frame.nlf, frame.sapi) == (2, True, False, 0)
    assert frame.control == SControl(Supervisory.REJ, 5, True)
    assert frame.payload == b"" and frame.encode().hex() == "23b901"


def test_disconnect_frame_v27() -> None:
    frame = decode_frame(bytes.fromhex("a15301"))
    assert frame.nlf and frame.lln == 2 and not frame.cr
    assert frame.control == UControl(Unnumbered.DISC, True)


def test_page_response_opens_a_class_b_link_v49() -> None:
    data = bytes.fromhex("a110510071050880b01002869965170606a0a0102af12c")
    frame = decode_frame(data)
    assert frame.nlf and frame.lln == 2 and frame.control == IControl(0, 0, True)
    assert len(frame.payload) == 20 and frame.payload[:2] == b"\x00\x71"
    assert frame.encode() == data


def test_fill_after_the_frame_is_accepted_v41() -> None:
    frame = decode_frame(bytes.fromhex("21c42185410d04948d45b0f0f0"))
    assert frame.control == IControl(2, 6, False)
    assert frame.payload.hex() == "85410d04948d45b0"
    assert frame.encode(pad_to=13).hex().endswith("f0f0")


def test_fragment_with_more_bit_v39() -> None:
    frame = decode_frame(bytes.fromhex("2342ff") + bytes(63))
    assert frame.more and len(frame.payload) == 63 and frame.control == IControl(1, 2)


def test_class_a_key_allocate_v75() -> None:
    frame = decode_frame(bytes.fromhex("130069") + bytes(26))
    assert frame.lln == dlc.LLN_CLASS_A and frame.cr and frame.control == IControl(0, 0)


def test_bad_frames_raise_the_decode_error() -> None:
    for data in ("", "2100", "200001", "210000", "2101ff00", "2100050102", "21eb01", "210d01"):
        try:
            decode_frame(bytes.fromhex(data))
        except DectDecodeError:
            continue
        raise AssertionError(f"{data} decoded")


@st.composite
def frames(draw: st.DrawFn) -> DlcFrame:
    kind = draw(st.sampled_from("ISU"))
    control: dlc.Control
    if kind == "I":
        control = IControl(draw(st.integers(0, 7)), draw(st.integers(0, 7)), draw(st.booleans()))
    elif kind == "S":
        control = SControl(
            draw(st.sampled_from(list(Supervisory))), draw(st.integers(0, 7)), draw(st.booleans())
        )
    else:
        control = UControl(draw(st.sampled_from(list(Unnumbered))), draw(st.booleans()))
    return DlcFrame(
        draw(st.integers(0, 7)),
        draw(st.booleans()),
        control,
        draw(st.binary(max_size=63)),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.integers(0, 3)),
    )


@FAST
@given(frames(), st.integers(0, 8))
def test_frames_round_trip(frame: DlcFrame, fill: int) -> None:
    data = frame.encode()
    assert decode_frame(data) == frame
    assert decode_frame(data + bytes([dlc.FILL]) * fill) == frame


@FAST
@given(st.binary(max_size=80))
def test_any_octets_decode_or_raise_the_decode_error(data: bytes) -> None:
    try:
        frame = decode_frame(data)
    except DectDecodeError:
        return
    assert frame.encode() == data.rstrip(bytes([dlc.FILL]))[: len(frame.encode())]


@FAST
@given(st.lists(st.binary(max_size=70), max_size=6))
def test_a_connection_fed_garbage_raises_only_the_decode_error(chunks: list[bytes]) -> None:
    conn = DlcConnection(Side.FT)
    for chunk in chunks:
        try:
            conn.receive(chunk, 0.0)
        except DectDecodeError:
            pass
        conn.data_to_send(0.0)
        list(conn.events())


# --- the link -----------------------------------------------------------------------------------


def _pump(a: DlcConnection, b: DlcConnection, now: float, drop: set[int] | None = None) -> int:
    """Exchange frames until quiet; `drop` holds indexes (in sending order) to lose."""
    sent = 0
    while True:
        moved = False
        for src, dst in ((a, b), (b, a)):
            for data in src.data_to_send(now):
                moved = True
                if drop is None or sent not in drop:
                    dst.receive(data, now)
                sent += 1
        if not moved:
            return sent


def test_long_message_is_fragmented_and_reassembled() -> None:
    pt, ft = DlcConnection(Side.PT), DlcConnection(Side.FT)
    message = bytes(range(200))
    mid = pt.send(message, 2)
    frames_out = pt.frames_to_send(0.0)
    assert len(frames_out) == 1 and frames_out[0].more and frames_out[0].nlf  # window 1
    ft.receive(frames_out[0].encode(), 0.0)
    _pump(pt, ft, 0.0)
    assert list(ft.events()) == [NwkReceived(2, message)]
    assert list(pt.events()) == [NwkAcknowledged(2, mid)]
    assert ft.links[2].vr == 4 and pt.links[2].vs == 4  # 63+63+63+11, modulo 8


def test_class_a_counts_modulo_2_and_the_answer_has_no_new_link_flag() -> None:
    pt, ft = DlcConnection(Side.PT), DlcConnection(Side.FT)
    for n in range(3):
        pt.send(bytes([n]) * 5, dlc.LLN_CLASS_A)
    ft.send(b"\x05\x42", dlc.LLN_CLASS_A)
    seen: list[DlcFrame] = []
    for _ in range(10):
        for data in pt.data_to_send(0.0):
            seen.append(ft.receive(data, 0.0))
        for data in ft.data_to_send(0.0):
            f = pt.receive(data, 0.0)
            if isinstance(f.control, IControl):
                assert not f.nlf and f.cr  # FT command, the PT opened the link
    ns = [f.control.ns for f in seen if isinstance(f.control, IControl)]
    assert ns == [0, 1, 0]
    assert [e.nwk for e in ft.events() if isinstance(e, NwkReceived)] == [
        bytes([n]) * 5 for n in range(3)
    ]


def test_lost_frame_is_retransmitted_when_dl04_expires() -> None:
    pt, ft = DlcConnection(Side.PT), DlcConnection(Side.FT)
    pt.send(b"\x05\x54hello", 2)
    _pump(pt, ft, 0.0, drop={0})
    assert list(ft.events()) == []
    assert pt.get_timer() == dlc.RETRANSMISSION_TIMEOUT_S
    pt.handle_timer(1.0)  # not yet
    assert pt.data_to_send(1.0) == []
    pt.handle_timer(2.0)
    _pump(pt, ft, 2.0)
    assert [e.nwk for e in ft.events()] == [b"\x05\x54hello"]
    assert isinstance(pt.next_event(), NwkAcknowledged) and pt.get_timer() is None


def test_lost_acknowledgement_leads_to_a_detected_retransmission() -> None:
    pt, ft = DlcConnection(Side.PT), DlcConnection(Side.FT)
    pt.send(b"\x05\x54once", 2)
    _pump(pt, ft, 0.0, drop={1})  # frame 0 arrives, its RR is lost
    assert [e.nwk for e in ft.events()] == [b"\x05\x54once"]
    pt.handle_timer(2.0)
    _pump(pt, ft, 2.0)
    assert list(ft.events()) == []  # delivered once only
    assert ft.links[2].retransmissions_detected == 1
    assert isinstance(pt.next_event(), NwkAcknowledged)


def test_link_fails_after_n250_retransmissions() -> None:
    pt = DlcConnection(Side.PT)
    pt.send(b"\x05\x56", 2)
    now = 0.0
    assert len(pt.data_to_send(now)) == 1
    for _ in range(dlc.MAX_RETRANSMISSIONS):
        now += dlc.RETRANSMISSION_TIMEOUT_S
        pt.handle_timer(now)
        assert len(pt.data_to_send(now)) == 1
    pt.handle_timer(now + dlc.RETRANSMISSION_TIMEOUT_S)
    assert isinstance(pt.next_event(), LinkFailed)


def test_window_of_three_goes_back_n_after_a_reject() -> None:
    pt, ft = DlcConnection(Side.PT, window=3), DlcConnection(Side.FT, window=3)
    for n in range(4):
        pt.send(bytes([0x05, n]), 2)
    burst = pt.data_to_send(0.0)
    assert len(burst) == 3
    ft.receive(burst[0], 0.0)
    ft.receive(burst[2], 0.0)  # burst[1] lost: out of sequence -> REJ(N(R)=1)
    answer = [decode_frame(d) for d in ft.data_to_send(0.0)]
    assert any(
        isinstance(f.control, SControl) and f.control.function is Supervisory.REJ for f in answer
    )
    for f in answer:
        pt.receive(f.encode(), 0.0)
    _pump(pt, ft, 0.0)
    got = [e.nwk for e in ft.events() if isinstance(e, NwkReceived)]
    assert got == [bytes([0x05, n]) for n in range(4)]


def test_disc_is_answered_with_ua_and_releases() -> None:
    pt, ft = DlcConnection(Side.PT), DlcConnection(Side.FT)
    pt.link(2).send_unnumbered(Unnumbered.DISC, poll=True)
    _pump(pt, ft, 0.0)
    assert list(ft.events()) == [dlc.LinkReleased(2)]
