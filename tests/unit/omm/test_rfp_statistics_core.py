"""The RFP statistics' counters as a state machine fed plain events (omm.statistics)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from omm.statistics import (
    COUNTERS,
    RECORD_SETS,
    WEEK_S,
    Elem,
    RfpStatistics,
    frame_error_rate,
    week_of,
)
from sipdect.link.dnm import STATISTIC_DATA_LENGTH, StatisticData

MONDAY = 1_764_547_200.0  # 2025-12-01 00:00 UTC, a Monday
T = MONDAY + 3600


def test_the_table_is_the_real_omms() -> None:
    assert len(COUNTERS) == 28
    assert [c.elem_id for c in COUNTERS] == list(range(28))
    assert (COUNTERS[0].group, COUNTERS[0].name) == ("Voice channels",
                                                     "Only 2 voice channels free")
    assert COUNTERS[1].name == "Only 1 voice channels free"  # sic: as a real OMM says it
    groups = [c.group for c in COUNTERS]
    assert len(dict.fromkeys(groups)) == 9
    assert [groups.count(g) for g in dict.fromkeys(groups)] == [4, 3, 1, 3, 2, 4, 4, 4, 3]
    assert COUNTERS[Elem.HO_TIMER_OVER_150MS].name == "Ho timer > 150ms"


def test_voice_channels_count_each_band_entered() -> None:
    stats = RfpStatistics(T)
    for in_use in (1, 5, 6, 7, 8, 7, 8, 3):
        stats.voice_channels(0, in_use, T)
    rec = stats.record(0, 0, T)
    assert rec[Elem.ONLY_2_VOICE_FREE] == 1
    assert rec[Elem.ONLY_1_VOICE_FREE] == 1
    assert rec[Elem.VOICE_BUSY] == 2
    assert stats.record(1, 0, T) == [0] * 28


def test_a_jump_counts_every_band_it_passes() -> None:
    stats = RfpStatistics(T)
    stats.air_channels(3, 12, T)
    rec = stats.record(3, 0, T)
    assert (rec[Elem.ONLY_2_4_AIR_FREE], rec[Elem.ONLY_1_AIR_FREE], rec[Elem.AIR_BUSY]) == (
        1, 1, 1)


def test_health_sync_and_rejects() -> None:
    stats = RfpStatistics(T)
    stats.link_down(0, T, timeout=True)
    stats.link_down(0, T, timeout=False)
    stats.count(0, Elem.RFP_RESETS, T)
    stats.sync_relations(0, 3, T)
    stats.sync_relations(0, 1, T)
    stats.sync_relations(0, 0, T)
    stats.voice_rejected(0, T)
    rec = stats.record(0, 0, T)
    assert rec[Elem.CONNECTION_TIMEOUTS] == 1
    assert rec[Elem.RFP_RESETS] == 1
    assert rec[Elem.LOW_RELATIONS] == 1
    assert rec[Elem.VOICE_BUSY_CALL_REJECTED] == 1


def test_bmc_reports_add_their_differences() -> None:
    stats = RfpStatistics(T)
    stats.bmc(0, StatisticData(connections_01_03=5, bad_frames=1, good_frames=999), T)
    stats.bmc(0, StatisticData(connections_01_03=7, bad_frames=1, good_frames=1999,
                               ho_timer_over_150ms=1), T)
    # The RFP restarted: its counters start again from 0.
    stats.bmc(0, StatisticData(connections_01_03=2), T)
    rec = stats.record(0, 0, T)
    assert rec[Elem.CONNECTIONS_01_03] == 9
    assert rec[Elem.HO_TIMER_OVER_150MS] == 1
    assert (rec[Elem.BAD_FRAMES], rec[Elem.GOOD_FRAMES], rec[Elem.FER_PER_MILLE]) == (1, 1999, 1)


def test_frame_error_rate_matches_real_records() -> None:
    # (bad, good, FER) of OmmMessageTest.cs's real GetRFPStatisticResp.
    for bad, good, fer in ((11946, 3159605, 4), (129916, 14067096, 9), (965, 37134, 25),
                           (288054, 575190482, 1), (0, 0, 0)):
        assert frame_error_rate(bad, good) == fer


def test_reset_one_rfp_one_element_or_all() -> None:
    stats = RfpStatistics(T)
    for rfp_id in (0, 1):
        stats.count(rfp_id, Elem.RFP_RESETS, T)
        stats.count(rfp_id, Elem.SYNC_LOSTS, T)
    stats.reset([0], Elem.SYNC_LOSTS)
    assert stats.record(0, 0, T)[Elem.RFP_RESETS] == 1
    assert stats.record(0, 0, T)[Elem.SYNC_LOSTS] == 0
    stats.reset([1])
    assert stats.record(1, 0, T) == [0] * 28
    stats.reset()
    assert stats.record(0, 0, T) == [0] * 28


def test_record_sets_roll_over_weekly() -> None:
    stats = RfpStatistics(T)
    stats.count(0, Elem.RFP_RESETS, T)
    next_week = MONDAY + WEEK_S + 1
    assert stats.record(0, 0, next_week)[Elem.RFP_RESETS] == 0
    assert stats.record(0, 1, next_week)[Elem.RFP_RESETS] == 1
    stats.count(0, Elem.RFP_RESETS, next_week, 2)
    later = MONDAY + 2 * WEEK_S
    assert [stats.record(0, s, later)[Elem.RFP_RESETS] for s in range(RECORD_SETS)] == [0, 2, 1]
    # Weeks without any event still move the sets; the oldest drops out.
    assert [stats.record(0, s, MONDAY + 5 * WEEK_S)[Elem.RFP_RESETS]
            for s in range(RECORD_SETS)] == [0, 0, 0]
    assert week_of(MONDAY) == week_of(MONDAY + WEEK_S - 1) == week_of(MONDAY + WEEK_S) - 1


@given(st.lists(st.integers(0, 12), max_size=40))
def test_bands_never_count_more_than_steps_down(levels: list[int]) -> None:
    stats = RfpStatistics(T)
    for in_use in levels:
        stats.air_channels(0, in_use, T)
    rec = stats.record(0, 0, T)
    rises = sum(1 for a, b in zip([0, *levels], levels, strict=False) if b > a)
    for elem in (Elem.ONLY_2_4_AIR_FREE, Elem.ONLY_1_AIR_FREE, Elem.AIR_BUSY):
        assert rec[elem] <= rises
    # Busy counts exactly the times the RFP became full.
    assert rec[Elem.AIR_BUSY] == sum(1 for a, b in zip([0, *levels], levels, strict=False)
                                     if b == 12 and a < 12)


@given(st.builds(StatisticData, *(st.integers(0, 0xFFFF) for _ in range(14))))
def test_statistic_data_round_trips(data: StatisticData) -> None:
    raw = data.to_bytes()
    assert len(raw) == STATISTIC_DATA_LENGTH
    assert StatisticData.from_bytes(raw) == data


def test_statistic_data_reads_the_real_vector() -> None:
    # rfpproxy V79: lost=785 bad_frames=834121 good_frames=65107855.
    raw = bytes.fromhex("b4bd3f0c7b05ee35ce030800000000001103000000000000000000000000000000"
                        "00730000000000000049ba0c008f77e103f92a")
    data = StatisticData.from_bytes(raw)
    assert (data.lost_connections, data.bad_frames, data.good_frames) == (785, 834121,
                                                                          65107855)
