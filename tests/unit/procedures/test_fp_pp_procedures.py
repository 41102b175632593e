"""A virtual handset and the OMM's FixedPart back to back through fake RFP relays, in virtual
time: subscription in every mode, location registration, authentication and ciphering in both
orders, wrong keys, user login/logout, text messages, handover and re-keying."""

from __future__ import annotations

import pytest
from fp_pp_world import World

from dect import conventions as cv
from dect.identities import Ari, Rfpi
from dect.security import KeyUse
from omm.dect import events as ev
from omm.dect.primitives import (
    FpIndication,
    LcDataInd,
    MacConnectInd,
    MacDisconnectReq,
    MacEncKeyReq,
    MacPageReq,
)
from omm.model import OmmModel
from sim import handset as hs
from sim.handset import Handset, State

IPEI = "03074 0220259 3"
OTHER_IPEI = "00100 0000001 4"


def log_lines(model: OmmModel) -> list[str]:
    return [e.msg for e in model.event_log.entries(0, 100)]


def subscribe(world: World, handset: Handset, ac: str = "1234") -> None:
    handset.subscribe(world.now, ac=ac)
    world.run(30)


def wildcard(model: OmmModel, auto_create: bool = True) -> None:
    model.settings.update("DevAutoCreate", {"enable": auto_create})
    model.subscription.set("Wildcard")


def subscribed(world: World, ipei: str = IPEI, **kw: object) -> Handset:
    wildcard(world.model)
    handset = world.add_handset(ipei, **kw)
    subscribe(world, handset)
    assert handset.subscription is not None and handset.subscription.tpui is not None
    world.requests.clear()
    world.fp_events.clear()
    world.indications.clear()
    return handset


# --- subscription -----------------------------------------------------------------------------


def test_subscription_off_is_refused_and_logged(world: World, model: OmmModel) -> None:
    handset = world.add_handset(IPEI)
    subscribe(world, handset)
    assert handset.subscriptions == {}
    assert handset.display[0] == "Subscription failed"
    refused = ev.SubscriptionFailed(IPEI, "subscription is off")
    assert world.events_of(ev.SubscriptionFailed) == [refused]
    assert f"AccessRightsFailed(ipei={IPEI}, subscription is off)" in log_lines(model)
    assert len(model.devices) == 0


def test_configured_mode_accepts_only_a_configured_ipei(world: World, model: OmmModel) -> None:
    model.subscription.set("Configured")
    rec = model.devices.create({"ipei": IPEI, "ac": "9876"})
    known, stranger = world.add_handset(IPEI), world.add_handset(OTHER_IPEI)
    subscribe(world, known, ac="9876")  # the device's own AC beats the system's
    subscribe(world, stranger)
    assert known.subscription is not None and stranger.subscriptions == {}
    device = model.devices.get(rec["ppn"])
    assert device["s"] == "Yes" and device["hwType"] == "622d" and not device["autoCreate"]
    assert len(device["uak"]) == 32 and device["uak"] != known.subscription.uak.hex().upper()
    assert model.devices.uak(device) == known.subscription.uak  # sealed, not lost
    assert world.events_of(ev.DeviceSubscribed) == [ev.DeviceSubscribed(rec["ppn"], IPEI, False)]
    assert any(
        "no configured device or no wildcard subscription" in line and OTHER_IPEI in line
        for line in log_lines(model)
    )


def test_wildcard_accepts_any_ipei_auto_creates_and_extends_the_window(
    world: World, model: OmmModel
) -> None:
    wildcard(model)
    model.subscription.set("Wildcard", 3)
    until = model.settings.value("DECTSubscriptionMode", "until")
    handset = world.add_handset(IPEI, model="632d")
    subscribe(world, handset)
    device = model.devices.find_by_ipei(IPEI)
    assert device["autoCreate"] and device["s"] == "Yes" and device["hwType"] == "632d"
    assert model.settings.value("DECTSubscriptionMode", "until") >= until
    assert handset.display == ["Registered"]


def test_wildcard_fills_a_record_without_ipei_chosen_by_its_ac(
    world: World, model: OmmModel
) -> None:
    wildcard(model, auto_create=False)
    model.devices.create({"ac": "1111"})
    wanted = model.devices.create({"ac": "2222"})
    handset = world.add_handset(IPEI)
    subscribe(world, handset, ac="2222")
    assert model.devices.get(wanted["ppn"])["ipei"] == IPEI
    assert len(model.devices) == 2


def test_wrong_authentication_code_fails_and_is_logged(world: World, model: OmmModel) -> None:
    wildcard(model)
    handset = world.add_handset(IPEI)
    subscribe(world, handset, ac="9999")
    assert handset.subscriptions == {} and handset.display[0] == "Subscription failed"
    assert len(model.devices) == 0
    assert any(
        line.startswith(f"AccessRightsFailed(ipei={IPEI}, authentication failed")
        for line in log_lines(model)
    )



def test_a_subscription_whose_confirmation_was_lost_is_confirmed_by_the_next_registration(
    world: World, model: OmmModel
) -> None:
    """The OMM keeps the new UAK unconfirmed until the first authentication with it
    (dect-security.md §4.2): when the subscription's link was lost before that (a busy OMM
    timing it out), the PP's next location registration (its own retry of the one lost with
    the link) authenticates, confirms and registers it instead of being refused as unknown."""
    wildcard(model)
    handset = world.add_handset(IPEI)
    deliver = world.to_fp

    def lose_uplink_once_accepted(ind: FpIndication) -> None:
        if not (handset.subscriptions and isinstance(ind, LcDataInd)):
            deliver(ind)

    world.to_fp = lose_uplink_once_accepted  # type: ignore[method-assign]
    handset.subscribe(world.now, ac="1234")
    world.run(cv.PROCEDURE_TIMEOUT_S + 1)
    device = model.devices.find_by_ipei(IPEI)
    assert handset.subscriptions and device["s"] == "Unconfirmed"
    assert not world.fp.connections and world.events_of(ev.DeviceSubscribed) == []
    assert handset.subscription is not None and handset.subscription.tpui is None
    world.to_fp = deliver  # type: ignore[method-assign]
    world.run(hs.LOCATE_RETRY_MAX_S)
    assert handset.subscription.tpui is not None and handset.display == ["Registered"]
    assert model.devices.get(device["ppn"])["s"] == "Yes"
    assert world.events_of(ev.DeviceSubscribed) == [ev.DeviceSubscribed(device["ppn"], IPEI, True)]
    assert ev.DeviceAttached(device["ppn"], 1) in world.fp_events


# --- location registration, authentication, ciphering -----------------------------------------


def test_location_registration_assigns_the_tpui(world: World, model: OmmModel) -> None:
    handset = subscribed(world)
    ppn = model.devices.find_by_ipei(IPEI)["ppn"]
    assert handset.subscription is not None
    assert handset.subscription.tpui == cv.assigned_tpui(ppn) and handset.pmid == ppn
    handset.power_off(world.now)
    world.run(10)
    assert handset.state is State.OFF
    assert ev.DeviceDetached(ppn) in world.fp_events
    handset.power_on(world.now)
    handset.lock(2, world.rfpi(2), world.now)
    world.run(30)
    assert ev.DeviceAttached(ppn, 2) in world.fp_events
    assert isinstance(world.indications[0], MacConnectInd) and world.indications[0].pmid == ppn


def lose_the_first_locating_link(world: World, handset: Handset, how: str) -> None:
    """The link on which the PP goes on to register right after the FP granted it access
    rights is lost before LOCATE-ACCEPT: the OMM releases it at the PP's next frame
    ("released"), or the PP's frames go unheard until it gives the link up ("link failed")."""
    deliver = world.to_fp
    doomed: list[int] = []

    def to_fp(ind: FpIndication) -> None:
        if isinstance(ind, LcDataInd) and handset.subscriptions:
            doomed[:] = doomed or [ind.mcei]
            if ind.mcei == doomed[0]:
                if how == "released":
                    world.relays[ind.rfp_id].from_fp(
                        MacDisconnectReq(ind.rfp_id, ind.mcei), world.now)
                return
        deliver(ind)

    world.to_fp = to_fp  # type: ignore[method-assign]


def connections(world: World) -> int:
    """Links the handsets set up so far."""
    return sum(isinstance(i, MacConnectInd) for i in world.indications)


@pytest.mark.parametrize("how", ["released", "link failed"])
def test_a_registration_lost_with_its_link_is_tried_again_and_ends_registered(
    world: World, model: OmmModel, how: str
) -> None:
    wildcard(model)
    handset = world.add_handset(IPEI)
    lose_the_first_locating_link(world, handset, how)
    handset.subscribe(world.now, ac="1234")
    world.run_until(lambda: handset.location is hs.Location.BACKING_OFF, 30)
    assert world.handset_events_of(handset, hs.ConnectionEnded) == [hs.ConnectionEnded(how)]
    assert handset.display == ["Subscribed"] and handset.state is State.LOCKED
    retry_at = handset.get_timer()  # the retry is the handset's own deadline
    assert retry_at is not None
    assert hs.LOCATE_RETRY_FIRST_S / 2 <= retry_at - world.now <= hs.LOCATE_RETRY_FIRST_S
    world.run_until(lambda: handset.location is hs.Location.REGISTERED, 30)
    assert world.now >= retry_at and handset.display == ["Registered"]
    device = model.devices.find_by_ipei(IPEI)
    assert device["s"] == "Yes" and ev.DeviceAttached(device["ppn"], 1) in world.fp_events
    world.run(2 * hs.LOCATE_RETRY_MAX_S)
    assert connections(world) == 2  # the subscription's link and the retry's, no more


@pytest.mark.parametrize("stop", ["power off", "out of range", "other system"])
def test_registration_retries_back_off_and_stop_with_the_network(
    world: World, model: OmmModel, stop: str
) -> None:
    wildcard(model)
    handset = world.add_handset(IPEI)
    deliver = world.to_fp
    world.to_fp = lambda ind: (  # type: ignore[method-assign]
        None if handset.subscriptions and isinstance(ind, LcDataInd) else deliver(ind))
    handset.subscribe(world.now, ac="1234")
    for attempt in range(1, 7):
        world.run_until(lambda: handset.location is hs.Location.BACKING_OFF, 60)
        retry_at = handset.get_timer()
        assert retry_at is not None
        window = min(hs.LOCATE_RETRY_FIRST_S * 2 ** (attempt - 1), hs.LOCATE_RETRY_MAX_S)
        assert window / 2 <= retry_at - world.now <= window
        world.run_until(lambda: handset.location is hs.Location.LOCATING, window)
    world.run_until(lambda: handset.location is hs.Location.BACKING_OFF, 60)
    tried = connections(world)
    if stop == "power off":
        handset.power_off(world.now)
    elif stop == "out of range":
        handset.unlock()
    else:
        other = Ari(world.park.ari.arc, world.park.ari.ard ^ (1 << 20))
        assert not world.park.includes(other)
        handset.lock(2, Rfpi(other, 2), world.now)
    assert handset.location is hs.Location.IDLE and handset.get_timer() is None
    world.run(4 * hs.LOCATE_RETRY_MAX_S)
    assert connections(world) == tried


def test_a_refused_registration_is_not_retried(world: World, model: OmmModel) -> None:
    handset = subscribed(world, enhanced_security=False)
    model.devices.delete(model.devices.find_by_ipei(IPEI)["ppn"])
    handset.unlock()  # out of range and back: it registers again
    handset.lock(1, world.rfpi(1), world.now)
    world.run(4 * hs.LOCATE_RETRY_MAX_S)
    assert handset.location is hs.Location.REJECTED
    assert handset.display == ["Not registered", "ipui unknown"]
    assert connections(world) == 1


def test_the_registration_back_off_doubles_up_to_its_cap() -> None:
    first, cap = hs.LOCATE_RETRY_FIRST_S, hs.LOCATE_RETRY_MAX_S
    windows = [min(first * 2**n, cap) for n in range(8)]
    assert [hs.locate_retry_delay(n, 1.0) for n in range(1, 9)] == windows
    assert [hs.locate_retry_delay(n, 0.0) for n in range(1, 9)] == [w / 2 for w in windows]
    assert hs.locate_retry_delay(10_000, 0.5) == 0.75 * cap


def login(world: World, handset: Handset, number: str = "100", pin: str = "4711") -> None:
    handset.press(cv.login_digits(number, pin) + "{CALL}", world.now)
    world.run(30)


def test_default_ciphers_first_with_the_previous_dck_then_authenticates(
    world: World, model: OmmModel
) -> None:
    handset = subscribed(world)
    model.users.create({"num": "100", "pin": "4711"})
    sub = handset.subscription
    assert sub is not None
    first_dck = sub.keys.dck(cv.CIPHER_KEY_NUMBER)  # from the subscription's authentication
    login(world, handset)
    assert world.keys_sent() == [first_dck]
    second_dck = sub.keys.dck(cv.CIPHER_KEY_NUMBER)
    assert second_dck != first_dck  # the in-call authentication made the next key
    kinds = [type(r).__name__ for r in world.requests]
    assert kinds.index("MacEncKeyReq") < 4  # ciphered before the authentication ran
    assert world.relays[1].ciphered_up > 0 and world.relays[1].ciphered_down > 0
    assert ev.LinkCiphered(1, 1, False) in world.fp_events
    world.requests.clear()
    handset.press(cv.logout_digits() + "{CALL}", world.now)
    world.run(30)
    assert world.keys_sent() == [second_dck]


def test_authentication_before_ciphering_uses_the_fresh_dck(world: World, model: OmmModel) -> None:
    model.settings.update(cv.SECURITY_SETTINGS, {cv.AUTH_BEFORE_CIPHER: True})
    handset = subscribed(world)
    model.users.create({"num": "100", "pin": "4711"})
    sub = handset.subscription
    assert sub is not None
    before = sub.keys.dck(cv.CIPHER_KEY_NUMBER)
    login(world, handset)
    fresh = sub.keys.dck(cv.CIPHER_KEY_NUMBER)
    assert fresh != before and world.keys_sent() == [fresh]
    assert model.devices.get(1)["relType"] == "Dynamic"


def test_no_ciphering_when_the_device_must_not_encrypt(world: World, model: OmmModel) -> None:
    handset = subscribed(world)
    model.devices.update(1, {"encrypt": False})
    model.users.create({"num": "100", "pin": "4711"})
    login(world, handset)
    assert world.keys_sent() == [] and model.devices.get(1)["relType"] == "Dynamic"


def test_a_wrong_dck_makes_the_traffic_undecodable(world: World, model: OmmModel) -> None:
    handset = subscribed(world)
    model.users.create({"num": "100", "pin": "4711"})
    sub = handset.subscription
    assert sub is not None
    sub.keys.store(bytes(8), KeyUse(True, cv.CIPHER_KEY_NUMBER))  # not what the OMM holds
    login(world, handset)
    assert handset.undecodable > 0
    ended = world.handset_events_of(handset, hs.ConnectionEnded)
    assert ended and handset.state is State.LOCKED
    assert model.devices.get(1)["relType"] == "Unbound"


def test_authentication_with_a_wrong_uak_is_rejected_and_logged(
    world: World, model: OmmModel
) -> None:
    handset = subscribed(world)
    model.users.create({"num": "100", "pin": "4711"})
    sub = handset.subscription
    assert sub is not None
    sub.uak = bytes(16)
    handset.authenticate_fp(world.now)
    world.run(30)
    assert world.handset_events_of(handset, hs.FpAuthenticated) == [hs.FpAuthenticated(False)]
    login(world, handset)
    assert world.events_of(ev.AuthenticationFailed) == [ev.AuthenticationFailed(1, IPEI)]
    assert f"AuthenticationFailed(ipei={IPEI}, ppn=1)" in log_lines(model)
    assert model.devices.get(1)["relType"] == "Unbound"


def test_the_handset_can_authenticate_the_fixed_part(world: World) -> None:
    handset = subscribed(world)
    handset.authenticate_fp(world.now)
    world.run(30)
    assert world.handset_events_of(handset, hs.FpAuthenticated) == [hs.FpAuthenticated(True)]


# --- user login and logout --------------------------------------------------------------------


def test_login_with_the_right_pin_binds_and_logout_unbinds(world: World, model: OmmModel) -> None:
    handset = subscribed(world)
    user = model.users.create({"num": "100", "pin": "4711"})
    login(world, handset)
    assert handset.display == [cv.TEXT_LOGGED_IN]
    assert model.users.get(user["uid"])["ppn"] == 1
    assert model.devices.get(1)["uid"] == user["uid"]
    assert ev.UserLoggedIn(user["uid"], 1) in world.fp_events
    handset.press(cv.logout_digits() + "{CALL}", world.now)
    world.run(30)
    assert handset.display == [cv.TEXT_LOGGED_OUT]
    assert model.users.get(user["uid"])["relType"] == "Unbound"
    assert ev.UserLoggedOut(user["uid"], 1) in world.fp_events


def test_login_with_a_wrong_pin_does_not_bind(world: World, model: OmmModel) -> None:
    handset = subscribed(world)
    user = model.users.create({"num": "100", "pin": "4711"})
    login(world, handset, pin="0000")
    assert handset.display == [cv.TEXT_LOGIN_FAILED]
    assert model.users.get(user["uid"])["relType"] == "Unbound"
    assert world.events_of(ev.UserLoginFailed) == [ev.UserLoginFailed(1, "100")]


# --- messages ---------------------------------------------------------------------------------


def test_a_message_is_paged_displayed_and_its_confirmation_comes_back(world: World) -> None:
    handset = subscribed(world)
    world.run(30)
    assert handset.state is State.LOCKED
    mid = world.fp.send_message(
        1, "Meeting at 3", world.now, title="Boss", confirmations=("OrderOk", "OrderNok")
    )
    world.run(30)
    assert handset.display == ["Boss", "Meeting at 3", "1:OrderOk 2:OrderNok"]
    assert ev.PpTransaction("PagingStarted", 1, -1) in world.fp_events
    assert world.events_of(ev.MessageProgress) == [ev.MessageProgress(mid, 1, "Delivered")]
    handset.press("2", world.now)
    world.run(30)
    confirmed = world.events_of(ev.MessageConfirmed)
    assert [(c.message_id, c.ppn, c.confirmation) for c in confirmed] == [(mid, 1, "OrderNok")]
    assert handset.messages[0].answer == "OrderNok"


def test_a_message_to_a_silent_handset_times_out(world: World) -> None:
    handset = subscribed(world)
    world.run(30)
    handset.unlock()
    mid = world.fp.send_message(1, "Anyone?", world.now)
    world.run(30)
    assert world.events_of(ev.MessageProgress) == [ev.MessageProgress(mid, 1, "PagingTimeout")]
    assert ev.PpTransaction("PPNotFound", 1, -1) in world.fp_events


def test_a_message_delivered_on_the_handsets_own_connection_ends_the_paging(
        world: World) -> None:
    handset = subscribed(world)
    world.run(30)
    handset.power_off(world.now)  # detaches
    world.run(30)
    world.requests.clear()
    world.fp_events.clear()
    handset.power_on(world.now)  # it registers at once ...
    handset.lock(1, world.rfpi(1), world.now)
    mid = world.fp.send_message(1, "Back again?", world.now)  # ... before it could be found
    world.run(1)
    assert world.events_of(ev.MessageProgress) == [ev.MessageProgress(mid, 1, "Delivered")]
    assert ev.PpTransaction("PagingStarted", 1, -1) in world.fp_events
    assert handset.display[1:2] == ["Back again?"]
    handset.unlock()  # then it walks out of range: nobody is looking for it any more
    world.run(cv.PAGE_ATTEMPTS * cv.PAGE_TIMEOUT_S + 30)
    assert ev.PpTransaction("PPNotFound", 1, -1) not in world.fp_events
    assert len([r for r in world.requests if isinstance(r, MacPageReq)]) == 1
    assert world.events_of(ev.MessageProgress) == [ev.MessageProgress(mid, 1, "Delivered")]
    assert world.fp.get_timer() is None


# --- handover and enhanced security -----------------------------------------------------------


def test_handover_to_a_second_relay_keeps_the_link(world: World) -> None:
    handset = subscribed(world)
    handset.press("{CALL}", world.now)  # off-hook: a call keeps the connection
    world.run(1)
    assert handset.call_state is hs.CallState.DIALLING and not world.events_of(ev.CallDialled)
    assert world.relays[1].ciphered_down > 0
    world.indications.clear()
    handset.connect_to(2, world.now)
    world.run(1)
    handset.press("42#", world.now)
    world.run(1)
    assert ev.PpTransaction("ConnHandover", 1, 2) in world.fp_events
    (dialled,) = world.events_of(ev.CallDialled)
    assert (dialled.number, dialled.rfp_id) == ("42", 2)
    frames = [i.frame for i in world.indications if isinstance(i, LcDataInd)]
    assert frames and all(i.rfp_id == 2 for i in world.indications if isinstance(i, LcDataInd))
    assert not any(f[0] & 0x80 for f in frames)  # no new link: sequence numbers carried on
    assert world.relays[2].ciphered_up > 0  # the cipher key moved with HO_IN_PROGRESS_RES
    handset.press("{END}", world.now)
    world.run(30)
    assert not handset.call_active and handset.state is State.LOCKED


def test_enhanced_security_encrypts_early_and_rekeys_every_minute(
    world: World, model: OmmModel
) -> None:
    model.settings.update(cv.SECURITY_SETTINGS, {cv.ENHANCED_SECURITY: True})
    handset = subscribed(world)
    sub = handset.subscription
    assert sub is not None and sub.keys.latest_default_index == cv.default_cipher_key_index(1)
    handset.dial("202", world.now)
    world.run(1)
    world.fp.call_connect(1, world.now)
    first_data = next(i for i, r in enumerate(world.requests) if not isinstance(r, MacEncKeyReq))
    assert isinstance(world.requests[0], MacEncKeyReq) and first_data > 0  # nothing in clear
    assert world.requests[0].key == sub.keys.default_key(cv.default_cipher_key_index(1))
    keys_before = len(world.keys_sent())
    assert keys_before == 2  # the DefCK, then a fresh DCK
    world.run(cv.REKEY_INTERVAL_S + 1)
    keys = world.keys_sent()
    assert len(keys) == 3 and len(set(keys)) == 3
    assert [e.rekey for e in world.events_of(ev.LinkCiphered)] == [False, True, True]
    handset.press("7", world.now)
    world.run(1)
    assert handset.call_state is hs.CallState.CONNECTED
    assert world.events_of(ev.CallKey) == [ev.CallKey(1, "7")]
    assert handset.undecodable == 0


def test_a_connection_setup_nobody_answers_is_given_up_and_the_registration_retried(
    world: World, model: OmmModel
) -> None:
    """An RFP that restarts while the handset's AirConnect crosses never answers it: the
    handset gives the setup up after CONNECT_SETUP_S, backs off and registers later."""
    handset = subscribed(world)
    relay = world.relays[1]
    answer = relay.from_handset
    swallowed: list[object] = []

    def deaf_once(h: Handset, prim: object, now: float) -> None:
        if isinstance(prim, hs.AirConnect) and not swallowed:
            swallowed.append(prim)
            return
        answer(h, prim, now)  # type: ignore[arg-type]

    relay.from_handset = deaf_once  # type: ignore[method-assign]
    handset.unlock()  # out of range, back again: it registers its location anew
    handset.lock(1, world.rfpi(1), world.now)
    world.run_until(lambda: handset.state is State.CONNECTING, 5)
    world.run_until(lambda: handset.location is hs.Location.BACKING_OFF, 5)
    assert swallowed and handset.state is State.LOCKED
    assert hs.ConnectionEnded("no answer to the connection setup") in \
        world.handset_events_of(handset, hs.ConnectionEnded)
    world.run_until(lambda: handset.location is hs.Location.REGISTERED, 2 * hs.LOCATE_RETRY_MAX_S)
