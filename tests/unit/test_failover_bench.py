"""`sipdect bench failover`'s systems and figures without running them (the bench itself runs
minutes: `sipdect bench failover --quick`)."""

from __future__ import annotations

from sipdect.app import failover_bench as fb


def test_the_demo_case_is_the_shipped_pair_in_processes_of_their_own() -> None:
    cfg = fb.case_config(fb.Case("demo", 0, 0))
    assert [o.name for o in cfg.omms] == ["OMM-A", "OMM-B"]
    assert cfg.standby_of == {"OMM-B": "OMM-A"}
    assert all(cfg.omm_isolation[o.name] == "process" for o in cfg.omms)
    assert (len(cfg.rfps), len(cfg.handsets), len(cfg.users)) == (4, 4, 4)
    a, b = cfg.omms
    assert a.standby is not None and b.standby is not None
    assert (a.standby.partner, b.standby.partner) == (b.host, a.host)
    assert not cfg.explicit_addresses  # the run takes a random block: never the demo's


def test_a_larger_case_has_a_user_per_handset_all_at_the_pair() -> None:
    cfg = fb.case_config(fb.Case("large", 16, 32))
    assert (len(cfg.rfps), len(cfg.handsets), len(cfg.users)) == (16, 32, 32)
    assert {r.omm for r in cfg.rfps} == {h.omm for h in cfg.handsets} == {"OMM-A"}
    assert len({u.number for u in cfg.users}) == 32


def test_percentiles_in_milliseconds() -> None:
    values = [i / 1000 for i in range(1, 101)]
    assert fb._ms(fb._pct(values, 50)) == 50.5
    assert fb._pct([], 99) is None and fb._ms(None) is None
