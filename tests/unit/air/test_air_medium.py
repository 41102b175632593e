"""sim.air: path loss, cluster sync, strongest RFP, frame timing, delivery, ciphering.

features.md §2.4 (sync per cluster, -70 dBm, reference, hop by hop) with the documented
log-distance constants of sim.air.PathLoss.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dect.identities import Ari, Park, Rfpi
from dect.security import dsc_iv, dsc_keystream
from sim.air import (
    MAX_RELATIONS,
    RELEASE_LINK_LOST,
    Air,
    PathLoss,
    SyncStatus,
    cipher_frame,
    cipher_frames,
)
from sim.primitives import AirConnect, AirConnected, AirData, AirPage, AirRelease

ARI_A = Ari.class_b(0x10A, 0x2AF)
ARI_B = Ari.class_b(0x777, 0x001)
PARK_A = Park.from_ari(ARI_A, 31)
SPACING = 40.0
"""Chain spacing: a neighbour at 40 m is heard at -64 dBm (>= -70), the next but one at
80 m at -73 dBm (< -70), so sync can only travel hop by hop."""


def chain(count: int, **kwargs: object) -> Air:
    air = Air()
    for i in range(count):
        air.add_rfp(i, i * SPACING, 0, rfpi=Rfpi(ARI_A, i), **kwargs)  # type: ignore[arg-type]
    return air


# -- propagation ---------------------------------------------------------------------------
def test_path_loss_numbers() -> None:
    model = PathLoss()
    assert model.rssi(1.0) == pytest.approx(-16.0)
    assert model.rssi(0.2) == pytest.approx(-16.0)  # below the reference distance
    assert model.rssi(10.0) == pytest.approx(-46.0)
    assert model.rssi(100.0) == pytest.approx(-76.0)
    assert model.rssi(SPACING) == pytest.approx(-64.06, abs=0.01)
    assert model.rssi(2 * SPACING) == pytest.approx(-73.09, abs=0.01)
    assert model.distance_for(-70.0) == pytest.approx(63.1, abs=0.1)
    assert model.distance_for(model.sensitivity_dbm) == pytest.approx(368.7, abs=0.1)
    assert PathLoss(exponent=2.0).rssi(10.0) == pytest.approx(-36.0)


def test_rssi_between_handset_and_rfps_is_symmetric_distance() -> None:
    air = chain(2)
    air.add_handset(7, 30, 40)
    assert air.rssi(7, 0) == pytest.approx(PathLoss().rssi(50.0))
    assert air.rssi_between(0, 1) == air.rssi_between(1, 0) == pytest.approx(-64.06, abs=0.01)


# -- sync ----------------------------------------------------------------------------------
def test_sync_propagates_hop_by_hop_from_the_lowest_id() -> None:
    air = chain(5)
    assert air.sync_status(0) == SyncStatus(True, True, None, 0)
    for i in range(1, 5):
        assert air.sync_status(i) == SyncStatus(True, False, i - 1, i)
    assert air.reference(1) == 0


def test_middle_rfp_off_splits_the_chain() -> None:
    air = chain(5)
    air.set_rfp(2, powered=False)
    assert [air.is_synced(i) for i in range(5)] == [True, True, False, False, False]
    air.set_rfp(2, powered=True)
    assert all(air.is_synced(i) for i in range(5))


def test_dect_off_or_link_down_count_as_off() -> None:
    air = chain(3)
    air.set_rfp(1, dect_on=False)
    assert [air.is_synced(i) for i in range(3)] == [True, False, False]
    air.set_rfp(1, dect_on=True, connected=False)
    assert [air.is_synced(i) for i in range(3)] == [True, False, False]


def test_reference_off_makes_the_next_lowest_id_the_reference() -> None:
    air = chain(3)
    air.set_rfp(0, powered=False)
    assert air.sync_status(1) == SyncStatus(True, True, None, 0)
    assert air.sync_status(2) == SyncStatus(True, False, 1, 1)


def test_rfp_out_of_range_of_every_synced_neighbour_is_not_synced() -> None:
    air = chain(2)
    air.add_rfp(9, 300, 0)
    assert not air.is_synced(9)
    air.set_rfp(9, x=SPACING * 2 - 10)  # 30 m from RFP 1: -60 dBm
    assert air.sync_status(9) == SyncStatus(True, False, 1, 2)


def test_preferred_sync_wins_the_reference() -> None:
    air = chain(4)
    air.set_rfp(3, preferred_sync=True)
    assert air.reference(1) == 3
    assert air.sync_status(3).reference
    assert air.sync_status(0) == SyncStatus(True, False, 1, 3)


def test_the_strongest_synced_neighbour_is_the_parent() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    air.add_rfp(1, 0, 40)
    air.add_rfp(2, 30, 0)
    air.add_rfp(3, 50, 40)  # hears 0 at 64 m (below -70), 1 and 2 at one hop
    assert air.rssi_between(3, 0) < -70
    assert air.sync_status(3).parent == 2  # 2 is 45 m away, 1 is 50 m away
    assert air.sync_status(3).hops == 2


def test_clusters_sync_separately() -> None:
    air = Air()
    air.add_rfp(0, 0, 0, cluster=1)
    air.add_rfp(1, 10, 0, cluster=2)
    air.add_rfp(2, 20, 0, cluster=2)
    assert air.reference(1) == 0
    assert air.reference(2) == 1
    assert air.sync_status(2).parent == 1
    assert [r.rfp_id for r in air.sync_relations(0)] == []
    assert [r.rfp_id for r in air.sync_relations(1)] == [2]


def test_sync_relations_list_heard_neighbours_with_rssi() -> None:
    air = chain(4)
    relations = air.sync_relations(1)
    assert [(r.rfp_id, r.rpn, r.usable, r.synced) for r in relations] == [
        (0, 0, True, True), (2, 2, True, True), (3, 3, False, True)]
    assert relations[0].rssi_dbm == pytest.approx(-64.1)
    assert relations[2].rssi_dbm == pytest.approx(-73.1)


def test_listeners_hear_which_rfps_changed() -> None:
    air = chain(4)
    seen: list[frozenset[int]] = []
    air.add_listener(seen.append)
    air.set_rfp(3, powered=False)
    assert seen == [frozenset({0, 1, 2, 3})]  # 3 is gone; the others lose it as a relation
    air.set_rfp(3, powered=False)
    assert len(seen) == 1  # no change, no call


# -- handsets ------------------------------------------------------------------------------
def test_strongest_rfp_filters_by_park_and_sync() -> None:
    air = Air()
    air.add_rfp(0, 0, 0, rfpi=Rfpi(ARI_A, 0))
    air.add_rfp(1, 30, 0, rfpi=Rfpi(ARI_B, 1))
    air.add_rfp(2, 500, 0, rfpi=Rfpi(ARI_A, 2), cluster=3)
    air.add_handset(1, 25, 0)
    assert air.strongest_rfp(1) == 1  # any PARK: the nearest
    assert air.strongest_rfp(1, PARK_A) == 0
    air.set_park(1, PARK_A)
    assert air.strongest_rfp(1) == 0
    assert [rfp for rfp, _ in air.candidates(1)] == [0]  # 2 is out of range
    air.set_rfp(0, dect_on=False)
    assert air.strongest_rfp(1) is None


def test_a_park_covering_an_rfps_sari_makes_it_a_candidate() -> None:
    # EN 300 175-6 §8.1 rule 6: the PARK covers the PARI or one of the SARIs.
    sari = Ari.class_b(0x555, 0x001)
    air = Air()
    air.add_rfp(0, 0, 0, rfpi=Rfpi(ARI_A, 0, e=True), saris=(sari,))
    air.add_rfp(1, 30, 0, rfpi=Rfpi(ARI_B, 1), cluster=2)
    air.add_handset(1, 25, 0)
    sari_park = Park.from_ari(sari, 31)
    assert air.strongest_rfp(1, sari_park) == 0
    assert air.strongest_rfp(1, Park.from_ari(ARI_B, 31)) == 1
    assert [r for r, _ in air.candidates(1, (sari_park, Park.from_ari(ARI_B, 31)))] == [1, 0]
    air.set_rfp(1, rfpi=Rfpi(ARI_B, 1, e=True), saris=(sari,))  # B broadcasts the SARI too
    assert [r for r, _ in air.candidates(1, sari_park)] == [1, 0]
    air.set_rfp(1, saris=())
    assert air.strongest_rfp(1, sari_park) == 0
    assert air.strongest_rfp(1, Park.from_ari(Ari.class_b(0x556, 0), 31)) is None


def test_listeners_hear_of_a_changed_sari_list() -> None:
    air = chain(2)
    seen: list[frozenset[int]] = []
    air.add_listener(seen.append)
    air.set_rfp(1, saris=(ARI_B,))
    assert seen == [frozenset({1})]  # handsets that may lock to it are others now
    air.set_rfp(1, saris=(ARI_B,))
    assert len(seen) == 1


def test_unsynced_rfps_are_not_candidates() -> None:
    air = chain(3)
    air.add_handset(1, 80, 0)  # next to RFP 2
    assert air.strongest_rfp(1) == 2
    air.set_rfp(1, powered=False)  # 2 loses sync
    assert air.strongest_rfp(1) == 0


def test_moving_handset_changes_the_strongest_rfp() -> None:
    air = chain(3)
    air.add_handset(5, 0, 5)
    assert air.strongest_rfp(5) == 0
    air.move(5, 45, 5)
    assert air.strongest_rfp(5) == 1
    air.move(5, 79, -3)
    assert air.strongest_rfp(5) == 2
    air.move(5, 2000, 0)
    assert air.strongest_rfp(5) is None


# -- time and traffic ----------------------------------------------------------------------
def test_frame_timing() -> None:
    air = Air(epoch=100.0)
    assert air.frame_at(100.0) == (0, 0)
    assert air.frame_at(100.155) == (0, 15)
    assert air.frame_at(100.16) == (1, 0)
    assert air.frame_at(100.0 + 16 * 0.01 * 1000 + 0.035) == (1000, 3)
    assert air.frame_at(50.0) == (0, 0)
    assert Air.frame_numbers(16 * (1 << 24) + 5) == (0, 5)  # the mfn wraps at 24 bits


def test_delivery_both_ways_to_inboxes_and_receivers() -> None:
    air = chain(2)
    air.add_handset(1, 5, 0)
    assert air.send_from_handset(1, 0, AirConnect(0x2B))
    assert air.connection_of(0, 0x2B) == 1
    assert air.deliver(0.0) == 1
    assert air.take_for_rfp(0) == [AirConnect(0x2B)]
    got: list[tuple[int, object, float]] = []
    air.attach_handset(1, lambda rfp, prim, now: got.append((rfp, prim, now)))
    assert air.send_from_rfp(0, AirConnected(0x2B)) == 1
    assert air.send_from_rfp(0, AirConnected(0x99)) == 0  # nobody holds that connection
    air.deliver(1.5)
    assert got == [(0, AirConnected(0x2B), 1.5)]
    assert air.send_from_handset(1, 0, AirData(0x2B, b"x", 0, 0))


def test_out_of_range_handset_cannot_send_and_loses_its_connection() -> None:
    air = chain(1)
    air.add_handset(1, 5, 0)
    air.send_from_handset(1, 0, AirConnect(7))
    air.deliver(0.0)
    air.take_for_rfp(0)
    air.move(1, 1000, 0)
    air.deliver(0.0)
    assert air.take_for_handset(1) == [(0, AirRelease(7, RELEASE_LINK_LOST))]
    assert air.take_for_rfp(0) == [AirRelease(7, RELEASE_LINK_LOST)]
    assert air.connection_of(0, 7) is None
    assert not air.send_from_handset(1, 0, AirConnect(7))


def test_page_reaches_handsets_locked_to_the_rfp() -> None:
    air = chain(2)
    air.add_handset(1, 2, 0)
    air.add_handset(2, 38, 0)
    assert air.send_from_rfp(0, AirPage(0x027B)) == 1
    air.deliver(0.0)
    assert air.take_for_handset(1) == [(0, AirPage(0x027B))]
    assert air.take_for_handset(2) == []


def test_on_pending_is_called_once_per_burst() -> None:
    calls: list[int] = []
    air = chain(1)
    air.on_pending = lambda: calls.append(air.pending)
    air.add_handset(1, 1, 0)
    air.send_from_handset(1, 0, AirConnect(1))
    air.send_from_handset(1, 0, AirRelease(1))
    assert calls == [1]
    air.deliver(0.0)
    air.send_from_handset(1, 0, AirConnect(1))
    assert calls == [1, 1]


# -- ciphering -----------------------------------------------------------------------------
KEY = bytes.fromhex("8560dc324ea49f37")


def test_cipher_frame_uses_the_full_slot_halves() -> None:
    frame = bytes(range(20))
    stream = dsc_keystream(KEY, dsc_iv(5, 3), 720)
    down = cipher_frame(KEY, 5, 3, frame, downlink=True)
    up = cipher_frame(KEY, 5, 3, frame, downlink=False)
    assert down == bytes(a ^ b for a, b in zip(frame, stream[:20], strict=True))
    assert up == bytes(a ^ b for a, b in zip(frame, stream[45:65], strict=True))
    assert cipher_frame(KEY, 5, 3, down, downlink=True) == frame


def test_cipher_frames_batch_matches_one_by_one() -> None:
    items = [
        (KEY, 1, 2, bytes(range(10)), True),
        (bytes(8), 1, 3, bytes(range(60)), False),
        (KEY, 9, 15, bytes(range(44)), False),
    ] * 10
    assert cipher_frames(items) == [
        cipher_frame(k, m, f, d, downlink=down) for k, m, f, d, down in items
    ]
    assert cipher_frames([]) == []


def test_batch_computes_sync_once_at_the_end() -> None:
    air = Air()
    seen: list[frozenset[int]] = []
    air.add_listener(seen.append)
    with air.batch():
        for i in range(30):
            air.add_rfp(i, (i % 6) * SPACING, (i // 6) * SPACING)
        assert not air.is_synced(0) and seen == []
    assert seen == [frozenset(range(30))]
    assert all(air.is_synced(i) for i in range(30))
    assert len(air.sync_relations(14)) == MAX_RELATIONS  # the strongest ones only
    assert air.sync_relations(14)[0].rssi_dbm == pytest.approx(-64.1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "move", "remove", "off"]),
                          st.integers(0, 11), st.integers(0, 8), st.integers(0, 8)),
                max_size=40))
def test_sites_coming_and_going_leave_the_sync_a_fresh_air_computes(
        steps: list[tuple[str, int, int, int]]) -> None:
    # Each change updates what the RFPs hear of each other instead of recomputing it all:
    # after any sequence, every status and relation is what an air built anew shows.
    air = Air()
    for what, rfp_id, gx, gy in steps:
        x, y = gx * SPACING * 0.75, gy * SPACING * 0.75
        present = rfp_id in air.rfps
        if what == "add" and not present:
            air.add_rfp(rfp_id, x, y, cluster=1 + rfp_id % 2, preferred_sync=rfp_id == 3)
        elif what == "move" and present:
            air.set_rfp(rfp_id, x=x, y=y)
        elif what == "remove" and present:
            air.remove_rfp(rfp_id)
        elif what == "off" and present:
            air.set_rfp(rfp_id, powered=not air.rfps[rfp_id].powered)
    fresh = Air()
    with fresh.batch():
        for rfp_id, site in sorted(air.rfps.items()):
            fresh.add_rfp(rfp_id, site.x, site.y, cluster=site.cluster,
                          preferred_sync=site.preferred_sync, powered=site.powered)
    for rfp_id in air.rfps:
        assert air.sync_status(rfp_id) == fresh.sync_status(rfp_id), rfp_id
        assert air.sync_relations(rfp_id) == fresh.sync_relations(rfp_id), rfp_id


def _brute_force_candidates(air: Air, handset_id: int, park: Park | None) -> list[int]:
    """Every RFP checked one by one, as the air did before its numpy prefilter."""
    parks = None if park is None else (park,)
    found = [(air.rssi(handset_id, rfp_id), rfp_id) for rfp_id, site in air.rfps.items()
             if air.reachable(handset_id, rfp_id)
             and (parks is None or any(site.accessible_with(p) for p in parks))]
    return [rfp_id for _, rfp_id in sorted(found, key=lambda f: (-f[0], f[1]))]


@settings(max_examples=60, deadline=None)
@given(rfps=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.booleans(),
                               st.booleans()), min_size=1, max_size=20),
       walk=st.lists(st.tuples(st.floats(-100, 700), st.floats(-100, 700)), min_size=1,
                     max_size=6),
       by_park=st.booleans())
def test_the_lock_choice_is_the_strongest_lockable_rfp_wherever_the_handset_walks(
        rfps: list[tuple[int, int, bool, bool]], walk: list[tuple[float, float]],
        by_park: bool) -> None:
    # grid positions 50 m apart make equal distances (ties broken by the lower id) common
    air = Air()
    with air.batch():
        for i, (gx, gy, on, park_b) in enumerate(rfps):
            air.add_rfp(i, gx * 50.0, gy * 50.0, rfpi=Rfpi(ARI_B if park_b else ARI_A, i % 256),
                        dect_on=on)
    park = PARK_A if by_park else None
    air.add_handset(1, *walk[0])
    for x, y in walk:
        air.move(1, x, y)
        expected = _brute_force_candidates(air, 1, park)
        assert [r for r, _ in air.candidates(1, park)] == expected
        assert air.strongest_rfp(1, park) == (expected[0] if expected else None)
        air.set_rfp(len(rfps) - 1, dect_on=not air.rfps[len(rfps) - 1].dect_on)
        expected = _brute_force_candidates(air, 1, park)
        assert air.strongest_rfp(1, park) == (expected[0] if expected else None)
