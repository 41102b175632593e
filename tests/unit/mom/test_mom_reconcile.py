"""The reconciliation rules on plain records: per aspect the newer stamp wins, tombstones
delete older copies, and any order of changes on both sides converges with nothing duplicated
or lost (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mom.aspects import DEVICE_ASPECTS
from mom.reconcile import Verdict, agreed, merge, verdict

ADMIN = {"admin": ("name",)}


def test_equal_values_are_left_alone_whatever_the_stamps() -> None:
    m = merge({"name": "A", "timeStampAdmin": 5}, {"name": "A", "timeStampAdmin": 9}, ADMIN)
    assert m.nothing


def test_newer_wins_per_aspect_tie_goes_to_the_mom() -> None:
    mom = {"ipei": "x", "ac": "1", "timeStampAdmin": 10, "ommId": "A", "ommIdAck": "A",
           "roaming": "RoamingComplete", "timeStampRoaming": 3}
    omm = {"ipei": "x", "ac": "2", "timeStampAdmin": 10, "ommId": "B", "ommIdAck": "B",
           "roaming": "RoamingComplete", "timeStampRoaming": 4}
    m = merge(mom, omm, {k: DEVICE_ASPECTS[k] for k in ("admin", "roaming")})
    assert m.push["ac"] == "1" and m.push["timeStampAdmin"] == 10
    assert (m.take["ommIdAck"], m.take["timeStampRoaming"]) == ("B", 4) and "ac" not in m.take


def test_within_one_second_the_side_that_moved_since_the_last_agreement_wins() -> None:
    base = agreed({"name": "old"}, ADMIN)
    mom = {"name": "old", "timeStampAdmin": 7}
    omm = {"name": "new", "timeStampAdmin": 7}  # changed in the second the record was made
    assert merge(mom, omm, ADMIN).push == {"name": "old", "timeStampAdmin": 7}  # no base
    assert merge(mom, omm, ADMIN, base).take == {"name": "new", "timeStampAdmin": 7}
    assert merge(omm, mom, ADMIN, base).push["name"] == "new"
    both = agreed({"name": "other"}, ADMIN)  # both moved: the stamps (tie: the MOM) decide
    assert merge(mom, omm, ADMIN, both).push["name"] == "old"


def test_verdicts() -> None:
    rec = {"timeStamp": 5}
    v = verdict
    assert v(None, None, rec, belongs=True, held_before=False, home_here=True) is \
        Verdict.TAKE_NEW
    assert v(None, 5, rec, belongs=True, held_before=False, home_here=True) is \
        Verdict.DELETE_AT_OMM
    assert v(None, 4, rec, belongs=True, held_before=False, home_here=True) is \
        Verdict.TAKE_NEW
    assert v(rec, None, None, belongs=True, held_before=True, home_here=True) is \
        Verdict.DELETE_AT_MOM
    assert v(rec, None, None, belongs=True, held_before=True, home_here=False) is \
        Verdict.PUSH_NEW
    assert v(rec, None, None, belongs=False, held_before=False, home_here=False) is \
        Verdict.NOTHING
    assert v(rec, None, rec, belongs=False, held_before=True, home_here=False) is \
        Verdict.MERGE_AND_DROP


# -- any order of changes converges -----------------------------------------------------------

NUMS = st.sampled_from(["1", "2", "3", "4"])
OPS = st.lists(st.tuples(st.sampled_from(["mom", "omm"]), st.sampled_from(["upsert", "delete"]),
                         NUMS, st.sampled_from(["a", "b", "c"])), max_size=25)


def _write(side: dict[str, dict[str, Any]], num: str, name: str, t: int) -> None:
    rec = side.setdefault(num, {"num": num})
    rec.update(name=name, timeStamp=t, timeStampAdmin=t)


@settings(max_examples=300, deadline=None)
@given(initial=st.sets(NUMS), ops=OPS)
def test_any_order_of_changes_on_both_sides_converges(initial: set[str],
                                                      ops: list[tuple[str, str, str, str]]) -> None:
    mom: dict[str, dict[str, Any]] = {}
    omm: dict[str, dict[str, Any]] = {}
    tombs: dict[str, int] = {}
    held: set[str] = set(initial)  # the MOM knows the OMM's local id
    for num in initial:
        _write(mom, num, "init", 1)
        _write(omm, num, "init", 1)
    t = 1
    last: dict[str, tuple[str, str, str]] = {}
    recreated_at_mom: set[str] = set()
    for side, kind, num, name in ops:  # both sides change while the session is down
        t += 1
        if kind == "upsert":
            if side == "mom":
                if num not in mom:
                    tombs.pop(num, None)
                    recreated_at_mom.add(num)
                _write(mom, num, name, t)
            else:
                _write(omm, num, name, t)
        elif side == "mom" and num in mom:
            del mom[num]
            tombs[num] = t
            held.discard(num)
        elif side == "omm" and num in omm:
            del omm[num]
        else:
            continue  # nothing to delete there (MAXI or AXI would answer ENoEnt)
        last[num] = (side, kind, name)

    deleted_at_mom: set[str] = set()
    for num in sorted(set(mom) | set(omm) | set(tombs)):  # the resync
        v = verdict(mom.get(num), tombs.get(num), omm.get(num), belongs=True,
                    held_before=num in held, home_here=True)
        if v is Verdict.TAKE_NEW:
            mom[num] = dict(omm[num])
        elif v is Verdict.PUSH_NEW:
            omm[num] = dict(mom[num])
        elif v is Verdict.DELETE_AT_OMM:
            del omm[num]
        elif v is Verdict.DELETE_AT_MOM:
            del mom[num]
            deleted_at_mom.add(num)
        elif v is Verdict.MERGE:
            m = merge(mom[num], omm[num], ADMIN)
            mom[num].update(m.take)
            omm[num].update(m.push)
        assert v is not Verdict.MERGE_AND_DROP

    # Converged: the same records with the same values, each once (equal values are no
    # change, so their stamps may differ).
    assert {n: r["name"] for n, r in mom.items()} == {n: r["name"] for n, r in omm.items()}
    for num, (side, kind, name) in last.items():
        if kind == "upsert" and num not in deleted_at_mom:
            assert mom[num]["name"] == name, (num, last[num])  # nothing lost
        elif kind == "delete" and side == "mom":
            assert num not in mom
        elif kind == "delete" and num not in recreated_at_mom:
            assert num not in mom


def test_backoff_doubles_to_its_maximum_and_starts_afresh_after_a_login() -> None:
    from mom.sync import Backoff

    backoff = Backoff(1.0, 30.0)
    assert [backoff.failed() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.failed() == 1
