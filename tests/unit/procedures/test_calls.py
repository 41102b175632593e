"""Calls between a virtual handset and the OMM's FixedPart, back to back in virtual time: what
the user sees on the handset and what the SIP side gets from the fixed part (docs/calls.md §1).

Outgoing (en bloc, overlap with '#' and by timeout, busy, rejected, released by either side),
incoming (paging, ringing, answer, reject, cancel, unreachable, auto-answer), DTMF, a link lost
mid-call, handover mid-call, and the transaction identifiers on the air.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fp_pp_world import World

from dect import conventions as cv
from dect.dlc import DlcConnection
from dect.nwk import NwkMessage, cc, decode_message
from dect.nwk.ie import CallingPartyName, CallingPartyNumber, ReleaseReason, Signal
from dect.nwk.tables import (
    SIGNAL_ALERTING_PATTERN_0,
    CcMessageType,
    ProtocolDiscriminator,
    ReleaseReasonCode,
)
from omm.dect import events as ev
from omm.dect.primitives import MacDisconnectInd, MacPageReq
from omm.model import OmmModel, OmmSetup
from sim import handset as hs
from sim.handset import CallState, Handset, HandsetStateError, State
from sim.primitives import AirRelease
from tests.unit.clocks import ManualClock

IPEI = "03074 0220259 3"
OTHER_IPEI = "00100 0000001 4"


@pytest.fixture
def model(tmp_path: Path) -> OmmModel:
    m = OmmModel(tmp_path, OmmSetup("Test"), ManualClock())
    m.settings.update("DECTAuthCode", {"ac": "1234"})
    m.settings.update("DevAutoCreate", {"enable": True})
    m.subscription.set("Wildcard")
    return m


def subscribed(world: World, ipei: str = IPEI) -> Handset:
    handset = world.add_handset(ipei)
    handset.subscribe(world.now, ac="1234")
    world.run(30)  # subscribed, registered, and the link released again
    assert handset.subscription is not None and handset.subscription.tpui is not None
    assert handset.state is State.LOCKED
    world.requests.clear()
    world.fp_events.clear()
    world.handset_events.clear()
    return handset


def ended(world: World, handset: Handset) -> list[str]:
    return [e.reason for e in world.handset_events_of(handset, hs.CallEnded)]


def released(world: World) -> list[ev.CallReleased]:
    return world.events_of(ev.CallReleased)


def outgoing(world: World, handset: Handset, number: str = "202") -> ev.CallDialled:
    handset.dial(number, world.now)
    world.run(1)
    (dialled,) = world.events_of(ev.CallDialled)
    assert isinstance(dialled, ev.CallDialled)
    return dialled


def connected_out(world: World, handset: Handset) -> ev.CallDialled:
    dialled = outgoing(world, handset)
    world.fp.call_proceeding(1, world.now)
    world.fp.call_alerting(1, world.now)
    world.fp.call_connect(1, world.now)
    world.run(1)
    assert handset.call_state is CallState.CONNECTED
    return dialled


def recorder(dlc: DlcConnection) -> list[NwkMessage]:
    """The NWK messages `dlc` is asked to send from now on."""
    sent: list[NwkMessage] = []
    original: Callable[[bytes, int], int] = dlc.send

    def send(data: bytes, lln: int) -> int:
        sent.append(decode_message(data))
        return original(data, lln)

    dlc.send = send  # type: ignore[method-assign, assignment]
    return sent


def cc_types(messages: list[NwkMessage]) -> list[CcMessageType]:
    return [
        CcMessageType(m.message_type) for m in messages if m.pd is ProtocolDiscriminator.CC
    ]


# --- outgoing ---------------------------------------------------------------------------------


def test_an_outgoing_call_rings_is_answered_and_the_handset_hangs_up(world: World) -> None:
    handset = subscribed(world)
    dialled = outgoing(world, handset)
    assert dialled == ev.CallDialled(1, "202", 1, dialled.mcei)
    assert handset.call_state is CallState.DIALLING and handset.display == ["Calling 202"]
    world.fp.call_proceeding(1, world.now)
    world.run(1)
    assert handset.call_state is CallState.PROCEEDING and handset.display == ["Calling 202"]
    world.fp.call_alerting(1, world.now)
    world.run(1)
    assert handset.call_state is CallState.RINGBACK and handset.display == ["Ringing"]
    world.fp.call_connect(1, world.now)
    world.run(1)
    assert handset.call_state is CallState.CONNECTED and handset.display == ["Connected"]
    assert world.handset_events_of(handset, hs.CallConnected) == [hs.CallConnected()]
    assert handset.cipher_key is not None  # encryption is on by default
    world.run(5 * cv.LINK_RELEASE_S)  # a call keeps its connection however long it lasts
    assert handset.state is State.CONNECTED and handset.call_state is CallState.CONNECTED
    handset.hang_up(world.now)
    world.run(1)
    assert released(world) == [ev.CallReleased(1, "Normal")]
    assert handset.call_state is CallState.IDLE and handset.display == ["Call ended"]
    assert ended(world, handset) == ["HungUp"]
    world.run(30)  # then the idle link goes
    assert handset.state is State.LOCKED
    assert ev.PpTransaction("Release", 1, 1) in world.fp_events
    states = [e.call_state for e in world.events_of(ev.PpCallState)]
    assert states == ["calling", "connected", "idle"]


def test_the_far_end_busy_shows_busy(world: World) -> None:
    handset = subscribed(world)
    outgoing(world, handset)
    world.fp.call_proceeding(1, world.now)
    world.fp.call_release(1, ReleaseReasonCode.USER_BUSY, world.now)
    world.run(1)
    assert handset.call_state is CallState.IDLE and handset.display == ["Busy"]
    assert ended(world, handset) == ["Busy"]
    assert released(world) == []  # the SIP side ended it; nothing comes back


def test_a_far_end_rejection_shows_the_fp_text(world: World) -> None:
    handset = subscribed(world)
    outgoing(world, handset)
    world.fp.call_release(1, ReleaseReasonCode.USER_REJECTION, world.now, display="Declined")
    world.run(1)
    assert handset.display == ["Declined"] and ended(world, handset) == ["Rejected"]


def test_the_far_end_hangs_up_a_connected_call(world: World) -> None:
    handset = subscribed(world)
    connected_out(world, handset)
    world.fp.call_release(1, ReleaseReasonCode.NORMAL, world.now)
    world.run(1)
    assert handset.call_state is CallState.IDLE and handset.display == ["Call ended"]
    assert ended(world, handset) == ["Normal"] and released(world) == []
    world.run(30)
    assert handset.state is State.LOCKED and not world.fp.connections


def test_the_sip_side_out_of_turn_changes_nothing(world: World) -> None:
    handset = subscribed(world)
    world.fp.call_connect(1, world.now)  # no call
    world.fp.call_release(1, ReleaseReasonCode.NORMAL, world.now)
    outgoing(world, handset)
    world.fp.call_alerting(1, world.now)
    world.fp.call_proceeding(1, world.now)  # too late for CALL-PROC: ignored
    world.run(1)
    assert handset.call_state is CallState.RINGBACK


# --- overlap dialling ---------------------------------------------------------------------------


def test_overlap_dialling_ends_with_hash(world: World) -> None:
    handset = subscribed(world)
    handset.press("{CALL}", world.now)
    world.run(1)
    assert handset.call_state is CallState.DIALLING and handset.display == ["Calling"]
    handset.press("2", world.now)
    world.run(1)
    handset.press("02", world.now)
    world.run(1)
    assert not world.events_of(ev.CallDialled)
    assert handset.display == ["Calling 202"]
    handset.press("#", world.now)
    world.run(0.1)
    (dialled,) = world.events_of(ev.CallDialled)
    assert (dialled.ppn, dialled.number, dialled.rfp_id) == (1, "202", 1)


def test_overlap_dialling_ends_after_the_inter_digit_timeout(world: World) -> None:
    handset = subscribed(world)
    handset.press("{CALL}20", world.now)  # typed before the connection is up: sent after SETUP
    world.run(1)
    handset.press("1", world.now)
    world.run(cv.INTER_DIGIT_S - 0.5)
    assert not world.events_of(ev.CallDialled)
    world.run(1)
    assert [e.number for e in world.events_of(ev.CallDialled)] == ["201"]
    assert handset.call_state is CallState.DIALLING


def test_off_hook_without_dialling_is_released(world: World) -> None:
    handset = subscribed(world)
    handset.press("{CALL}", world.now)
    world.run(cv.FIRST_DIGIT_S + 1)
    assert handset.call_state is CallState.IDLE and ended(world, handset) == ["Failed"]
    assert not world.events_of(ev.CallDialled) and released(world) == []


def test_hanging_up_while_dialling_tells_the_sip_side_nothing(world: World) -> None:
    handset = subscribed(world)
    handset.press("{CALL}20", world.now)
    world.run(1)
    handset.hang_up(world.now)
    world.run(cv.INTER_DIGIT_S + 1)
    assert not world.events_of(ev.CallDialled) and released(world) == []
    assert ended(world, handset) == ["HungUp"]


def test_a_feature_code_still_logs_in(world: World, model: OmmModel) -> None:
    handset = subscribed(world)
    model.users.create({"num": "100", "pin": "4711"})
    handset.dial(cv.login_digits("100", "4711"), world.now)
    world.run(2)
    assert handset.display == [cv.TEXT_LOGGED_IN] and handset.call_state is CallState.IDLE
    assert not world.events_of(ev.CallDialled) and model.devices.get(1)["relType"] == "Dynamic"


# --- incoming -----------------------------------------------------------------------------------


def test_an_incoming_call_pages_rings_and_is_answered(world: World) -> None:
    handset = subscribed(world)
    assert world.fp.call_in(1, world.now, calling_number="201", calling_name="Alice")
    world.run(1)
    assert ev.PpTransaction("PagingStarted", 1, -1) in world.fp_events
    assert handset.call_state is CallState.INCOMING
    assert handset.display == ["Call from 201 Alice"]
    assert world.handset_events_of(handset, hs.CallIncoming) == [hs.CallIncoming("201", "Alice")]
    assert world.events_of(ev.CallAlerting) == [ev.CallAlerting(1)]
    assert handset.cipher_key is not None  # the SETUP came after ciphering
    world.run(30)  # it rings as long as the caller waits
    assert handset.call_state is CallState.INCOMING
    handset.answer(world.now)
    world.run(1)
    (answered,) = world.events_of(ev.CallAnswered)
    assert (answered.ppn, answered.rfp_id) == (1, 1)
    assert handset.call_state is CallState.CONNECTED and handset.display == ["Connected"]
    assert world.handset_events_of(handset, hs.CallConnected) == [hs.CallConnected()]
    handset.hang_up(world.now)
    world.run(1)
    assert released(world) == [ev.CallReleased(1, "Normal")]
    states = [e.call_state for e in world.events_of(ev.PpCallState)]
    assert states == ["paging", "ringing", "connected", "idle"]


def test_incoming_setup_and_answers_carry_the_fp_transaction(world: World) -> None:
    handset = subscribed(world)
    handset.authenticate_fp(world.now)  # a connection that is up when the call comes
    world.run(1)
    world.fp_events.clear()
    (conn,) = world.fp.connections.values()
    assert handset._dlc is not None
    fp_sent, pp_sent = recorder(conn.dlc), recorder(handset._dlc)
    world.fp.call_in(1, world.now, calling_number="201")
    world.run(1)
    assert not world.events_of(ev.PpTransaction)  # no paging: the link was there
    handset.answer(world.now)
    world.run(1)
    fp_cc = [m for m in fp_sent if m.pd is ProtocolDiscriminator.CC]
    pp_cc = [m for m in pp_sent if m.pd is ProtocolDiscriminator.CC]
    assert cc_types(fp_cc) == [CcMessageType.CC_SETUP, CcMessageType.CC_CONNECT_ACK]
    assert cc_types(pp_cc) == [CcMessageType.CC_ALERTING, CcMessageType.CC_CONNECT]
    assert all(m.ti == cv.FP_CALL_TI and not m.ti_flag for m in fp_cc)
    assert all(m.ti == cv.FP_CALL_TI and m.ti_flag for m in pp_cc)
    setup = fp_cc[0]
    assert setup.require(CallingPartyNumber).number == "201"
    assert setup.find(CallingPartyName) is None
    assert setup.require(Signal).code == SIGNAL_ALERTING_PATTERN_0
    assert handset.display == ["Connected"]


def test_outgoing_call_messages_carry_the_pp_transaction(world: World) -> None:
    handset = subscribed(world)
    handset.authenticate_fp(world.now)
    world.run(1)
    (conn,) = world.fp.connections.values()
    assert handset._dlc is not None
    fp_sent, pp_sent = recorder(conn.dlc), recorder(handset._dlc)
    handset.dial("202", world.now)
    world.run(1)
    world.fp.call_proceeding(1, world.now)
    world.fp.call_connect(1, world.now)
    world.run(1)
    handset.press("1", world.now)
    handset.hang_up(world.now)
    world.run(1)
    assert cc_types(pp_sent) == [
        CcMessageType.CC_SETUP,
        CcMessageType.CC_INFO,
        CcMessageType.CC_RELEASE,
    ]
    assert cc_types(fp_sent) == [
        CcMessageType.CC_CALL_PROC,
        CcMessageType.CC_CONNECT,
        CcMessageType.CC_RELEASE_COM,
    ]
    cc_pp = [m for m in pp_sent if m.pd is ProtocolDiscriminator.CC]
    cc_fp = [m for m in fp_sent if m.pd is ProtocolDiscriminator.CC]
    assert all(not m.ti_flag for m in cc_pp) and all(m.ti_flag for m in cc_fp)
    assert world.events_of(ev.CallKey) == [ev.CallKey(1, "1")]


def test_the_handset_rejects_a_ringing_call(world: World) -> None:
    handset = subscribed(world)
    world.fp.call_in(1, world.now, calling_number="201")
    world.run(1)
    assert handset.display == ["Call from 201"]
    handset.hang_up(world.now)
    world.run(1)
    assert released(world) == [ev.CallReleased(1, "Rejected")]
    assert handset.call_state is CallState.IDLE and ended(world, handset) == ["Rejected"]
    world.run(30)
    assert handset.state is State.LOCKED and not world.fp.connections


def test_the_caller_cancels_before_the_answer(world: World) -> None:
    handset = subscribed(world)
    world.fp.call_in(1, world.now)
    world.run(1)
    assert handset.display == ["Call from"]
    world.fp.call_release(1, ReleaseReasonCode.NORMAL, world.now)
    world.run(1)
    assert handset.call_state is CallState.IDLE and ended(world, handset) == ["Normal"]
    assert released(world) == []
    with pytest.raises(HandsetStateError):
        handset.answer(world.now)


def test_an_unreachable_handset_is_not_reachable_after_paging(world: World) -> None:
    handset = subscribed(world)
    handset.unlock()  # out of range
    world.fp.call_in(1, world.now, calling_number="201")
    world.run(cv.PAGE_ATTEMPTS * cv.PAGE_TIMEOUT_S + 1)
    pages = [r for r in world.requests if isinstance(r, MacPageReq)]
    assert len(pages) == cv.PAGE_ATTEMPTS
    assert released(world) == [ev.CallReleased(1, "NotReachable")]
    assert ev.PpTransaction("PPNotFound", 1, -1) in world.fp_events


def test_the_caller_cancels_while_paging(world: World) -> None:
    handset = subscribed(world)
    handset.unlock()
    world.fp.call_in(1, world.now)
    world.run(1)
    world.fp.call_release(1, ReleaseReasonCode.NORMAL, world.now)
    world.run(30)
    assert len([r for r in world.requests if isinstance(r, MacPageReq)]) == 1
    assert released(world) == []


def test_unknown_devices_and_busy_handsets(world: World) -> None:
    handset = subscribed(world)
    assert not world.fp.call_in(7, world.now)
    connected_out(world, handset)
    assert world.fp.call_in(1, world.now, calling_number="203")
    world.pump()
    assert released(world) == [ev.CallReleased(1, "Busy")]
    world.run(1)
    assert handset.call_state is CallState.CONNECTED  # the running call is untouched


def test_auto_answer_answers_after_its_delay(world: World) -> None:
    handset = subscribed(world)
    handset.auto_answer = 2.0
    world.fp.call_in(1, world.now, calling_number="201")
    world.run(1)
    assert handset.call_state is CallState.INCOMING
    world.run(2)
    assert handset.call_state is CallState.CONNECTED
    assert len(world.events_of(ev.CallAnswered)) == 1


def test_a_handset_that_never_answers_the_setup_fails_the_call(world: World) -> None:
    handset = subscribed(world)
    handset.authenticate_fp(world.now)
    world.run(1)
    # The handset's answers get lost: CC messages from it never arrive.
    assert handset._dlc is not None
    handset._on_cc_setup = lambda msg, now: None  # type: ignore[method-assign]
    hs._HANDLERS[(ProtocolDiscriminator.CC, CcMessageType.CC_SETUP)] = (
        lambda h, msg, now: None
    )
    try:
        world.fp.call_in(1, world.now)
        world.run(cv.PROCEDURE_TIMEOUT_S + 1)
    finally:
        hs._HANDLERS[(ProtocolDiscriminator.CC, CcMessageType.CC_SETUP)] = (
            Handset._on_cc_setup
        )
    assert released(world) == [ev.CallReleased(1, "Failed")]


# --- during a call ------------------------------------------------------------------------------


def test_keys_in_a_connected_call_are_dtmf(world: World) -> None:
    handset = subscribed(world)
    connected_out(world, handset)
    handset.press("5#*", world.now)
    world.run(1)
    keys = [e.key for e in world.events_of(ev.CallKey)]
    assert keys == ["5", "#", "*"] and handset.display == ["Connected"]


def test_a_link_lost_mid_call_ends_it_on_both_sides(world: World) -> None:
    handset = subscribed(world)
    dialled = connected_out(world, handset)
    relay = world.relays[1]
    relay.conns.pop(dialled.mcei)  # the radio link breaks
    world.to_fp(MacDisconnectInd(1, dialled.mcei))
    world.to_handset(handset, 1, AirRelease(handset.link_pmid))
    world.run(1)
    assert released(world) == [ev.CallReleased(1, "LinkLost")]
    assert ended(world, handset) == ["LinkLost"] and handset.call_state is CallState.IDLE
    assert handset.state is State.LOCKED


def test_going_out_of_range_mid_call_ends_it_and_the_handset_searches(world: World) -> None:
    handset = subscribed(world)
    dialled = connected_out(world, handset)
    pmid = handset.link_pmid
    handset.unlock()  # the air: no RFP in reach any more
    world.pump()
    assert handset.state is State.SEARCHING and handset.rfp_id is None
    assert handset.call_state is CallState.IDLE and handset.display == ["Searching"]
    assert ended(world, handset) == ["LinkLost"]
    # The RFP loses the link as well (the air releases it there); the late release the air
    # sends towards the handset changes nothing.
    world.relays[1].conns.pop(dialled.mcei)
    world.to_fp(MacDisconnectInd(1, dialled.mcei))
    world.to_handset(handset, 1, AirRelease(pmid, 2))
    world.run(1)
    assert released(world) == [ev.CallReleased(1, "LinkLost")]
    assert handset.state is State.SEARCHING and ended(world, handset) == ["LinkLost"]
    handset.lock(1, world.rfpi(1), world.now)  # back in range
    world.run(30)
    assert handset.state is State.LOCKED and handset.display == ["Registered"]
    world.fp_events.clear()
    assert outgoing(world, handset, "203").number == "203"


def test_dialling_out_of_range_ends_at_once_with_the_reason(world: World) -> None:
    handset = subscribed(world)
    handset.unlock()
    with pytest.raises(hs.CallNotPossible, match=hs.TEXT_OUT_OF_RANGE):
        handset.dial("202", world.now)
    assert handset.call_state is CallState.IDLE and handset.display == [hs.TEXT_OUT_OF_RANGE]
    world.run(30)
    assert ended(world, handset) == ["OutOfRange"] and not world.events_of(ev.CallDialled)
    assert handset.state is State.SEARCHING and not handset.call_active
    handset.press("203{CALL}", world.now)  # keys only show it
    assert handset.display == [hs.TEXT_OUT_OF_RANGE] and not handset.call_active


def test_dialling_without_a_subscription_ends_at_once(world: World) -> None:
    handset = world.add_handset(IPEI)
    with pytest.raises(hs.CallNotPossible, match=hs.TEXT_NOT_SUBSCRIBED):
        handset.dial("202", world.now)
    world.run(30)
    assert handset.call_state is CallState.IDLE and handset.display == [hs.TEXT_NOT_SUBSCRIBED]
    assert handset.state is State.LOCKED and not world.fp.connections


def test_a_handover_mid_call_moves_the_media_and_the_call_goes_on(world: World) -> None:
    handset = subscribed(world)
    dialled = connected_out(world, handset)
    handset.connect_to(2, world.now)
    world.run(1)
    (moved,) = world.events_of(ev.CallHandover)
    assert (moved.ppn, moved.old_rfp_id, moved.rfp_id) == (1, 1, 2)
    assert ev.PpTransaction("ConnHandover", 1, 2) in world.fp_events
    assert (2, moved.mcei) in world.fp.connections and dialled.rfp_id == 1
    handset.press("9", world.now)
    world.run(1)
    assert world.events_of(ev.CallKey) == [ev.CallKey(1, "9")]
    assert handset.call_state is CallState.CONNECTED and handset.undecodable == 0
    handset.hang_up(world.now)
    world.run(1)
    assert released(world) == [ev.CallReleased(1, "Normal")]


def test_a_second_call_after_the_first(world: World) -> None:
    handset = subscribed(world)
    connected_out(world, handset)
    handset.hang_up(world.now)
    world.run(1)
    world.fp_events.clear()
    world.fp.call_in(1, world.now, calling_number="201")
    world.run(1)
    assert handset.call_state is CallState.INCOMING  # on the same connection, TI flag set
    handset.answer(world.now)
    world.run(1)
    assert len(world.events_of(ev.CallAnswered)) == 1


# --- two handsets through a tiny call router ------------------------------------------------------


def test_one_handset_calls_another(world: World) -> None:
    alice = subscribed(world)
    bob = subscribed(world, OTHER_IPEI)
    bob_ppn = 2
    alice.dial("2", world.now)
    talked = False
    for _ in range(20):  # what the SIP side would do, by number = ppn
        world.run(0.5)
        for event in list(world.fp_events):
            world.fp_events.remove(event)
            if isinstance(event, ev.CallDialled):
                world.fp.call_proceeding(event.ppn, world.now)
                world.fp.call_in(int(event.number), world.now, calling_number="1")
            elif isinstance(event, ev.CallAlerting):
                world.fp.call_alerting(1, world.now)
            elif isinstance(event, ev.CallAnswered):
                world.fp.call_connect(1, world.now)
            elif isinstance(event, ev.CallReleased):
                other = bob_ppn if event.ppn == 1 else 1
                world.fp.call_release(other, ReleaseReasonCode.NORMAL, world.now)
        world.pump()
        if bob.call_state is CallState.INCOMING and alice.call_state is CallState.RINGBACK:
            assert alice.display == ["Ringing"] and bob.display == ["Call from 1"]
            bob.answer(world.now)
        if alice.call_state is CallState.CONNECTED and bob.call_state is CallState.CONNECTED:
            talked = True
            alice.hang_up(world.now)
    assert talked
    assert alice.call_state is CallState.IDLE and bob.call_state is CallState.IDLE
    assert ended(world, alice) == ["HungUp"] and ended(world, bob) == ["Normal"]


def test_a_handset_in_a_call_answers_another_setup_busy(world: World) -> None:
    handset = subscribed(world)
    connected_out(world, handset)
    (conn,) = world.fp.connections.values()
    assert handset._dlc is not None and handset.subscription is not None
    pp_sent = recorder(handset._dlc)
    offer = cc.setup(handset.subscription.ipui, world.park, ti=cv.FP_CALL_TI, ti_flag=False)
    conn.dlc.send(offer.encode(), cv.LLN_DEFAULT)  # a colliding SETUP, past the FP's own check
    world.fp._flush(conn, world.now)
    world.run(1)
    (busy,) = pp_sent
    assert CcMessageType(busy.message_type) is CcMessageType.CC_RELEASE_COM and busy.ti_flag
    assert busy.require(ReleaseReason).code == ReleaseReasonCode.USER_BUSY
    assert handset.call_state is CallState.CONNECTED and released(world) == []


def test_the_caller_cancels_while_the_link_is_being_secured(world: World) -> None:
    handset = subscribed(world)
    handset.authenticate_fp(world.now)  # a link without ciphering yet
    world.run(1)
    (conn,) = world.fp.connections.values()
    world.fp.call_in(1, world.now)  # ciphering and authentication first
    world.fp.call_release(1, ReleaseReasonCode.NORMAL, world.now)
    world.run(30)
    assert handset.call_state is CallState.IDLE and not world.handset_events_of(
        handset, hs.CallIncoming
    )
    assert released(world) == [] and not world.fp.connections and conn.closed
