"""The licence file (omm.licensefile) and the licence's standing (omm.license) without I/O: a
signed file round-trips and a typo is an error; validation RFPs, violations and the latency
period drain and recharge in virtual minutes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omm.health import Health, HealthState
from omm.license import BUILT_IN, Facts, License
from omm.licensefile import Grant, LicenseFileError, parse, sign
from omm.tables import Change

FILE = """# the test site's licence
park = 1F10DEC700
rfps = 20
rfp_macs = 00:30:42:00:00:01, 00:30:42:00:00:02, 00:30:42:00:00:03
messaging = 50
locating = 0
"""


def test_a_signed_file_grants_what_it_says() -> None:
    grant = parse(sign(FILE))
    assert (grant.type, grant.park, grant.rfps, grant.messaging, grant.locating) == (
        "standard", "1F10DEC700", 20, 50, 0)
    assert grant.rfp_macs == ("00:30:42:00:00:01", "00:30:42:00:00:02", "00:30:42:00:00:03")
    assert len(grant.key) == 19  # four groups of four, shown as GetLicense's key


@pytest.mark.parametrize("edit, error", [
    (lambda t: t.replace("rfps = 20", "rfps = 200"), "signature does not match"),
    (lambda t: t.replace("signature", "# signature"), "no 'signature"),
    (lambda t: t + "rfps = 3\n", "nothing may follow"),
    (lambda t: t.replace("park = 1F10DEC700\n", ""), "signature does not match"),
])
def test_a_changed_file_is_an_error_not_another_licence(edit: Any, error: str) -> None:
    with pytest.raises(LicenseFileError, match=error):
        parse(edit(sign(FILE)))


def test_an_unreadable_item_is_refused_when_signing() -> None:
    with pytest.raises(LicenseFileError, match="Ethernet address"):
        sign(FILE.replace("00:30:42:00:00:03", "00:30:42:00:00"))


@given(rfps=st.integers(0, 4096), messaging=st.integers(0, 10000),
       srtp=st.booleans(), macs=st.lists(st.binary(min_size=6, max_size=6), max_size=3))
def test_sign_and_parse_round_trip(rfps: int, messaging: int, srtp: bool,
                                   macs: list[bytes]) -> None:
    mac_text = ", ".join(":".join(f"{b:02x}" for b in m) for m in macs)
    text = (f"park = 1F10DEC700\nrfps = {rfps}\nmessaging = {messaging}\n"
            f"srtp = {'yes' if srtp else 'no'}\nrfp_macs = {mac_text}\n")
    grant = parse(sign(text))
    assert (grant.rfps, grant.messaging, grant.srtp) == (rfps, messaging, srtp)
    assert grant.rfp_macs == tuple(":".join(f"{b:02x}" for b in m) for m in macs)


@given(st.text(max_size=300))
def test_any_text_is_a_grant_or_a_licence_file_error(text: str) -> None:
    try:
        parse(text)
    except LicenseFileError:
        pass


class FakeSettings:
    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}

    def get(self, group: str) -> dict[str, Any]:
        return self.groups.setdefault(group, {})

    def update(self, group: str, values: dict[str, Any], notify: bool = True) -> None:
        self.get(group).update(values)


class World:
    """The facts a License is judged on, changed by the test."""

    def __init__(self, grant: Grant, latency: int = 60) -> None:
        self.rfps = 3
        self.connected = set(grant.rfp_macs)
        self.health = Health(lambda c: None)
        self.log: list[tuple[str, str]] = []
        self.changes: list[Change] = []
        self.license = License(grant, FakeSettings(), self.health,  # type: ignore[arg-type]
                               lambda lvl, sub, text: self.log.append((lvl, text)),
                               self.changes.append, self.facts, latency_minutes=latency)

    def facts(self) -> Facts:
        g = self.license.grant
        return Facts("1F10DEC700", self.rfps,
                     tuple((i, m, m in self.connected) for i, m in enumerate(g.rfp_macs)))

    def health_of(self) -> HealthState | None:
        return self.health.get("license")


def test_validation_rfps_warn_then_violate_and_the_latency_drains_and_recharges() -> None:
    w = World(parse(sign(FILE)), latency=60)
    lic = w.license
    lic.refresh(0.0)
    assert lic.standing is not None and lic.standing.state == "activeLicense"
    w.connected.discard("00:30:42:00:00:01")
    lic.refresh(60.0)
    assert lic.standing.state == "noRedundancyLicense"
    assert w.health_of() == HealthState("Warning", "License with no redundancy",
                                        "one validation RFP is not connected")
    assert lic.get_timer() is None  # a warning only: nothing drains
    w.connected.discard("00:30:42:00:00:02")
    lic.refresh(120.0)
    assert (lic.standing.state, lic.standing.violations) == ("inactiveLicense", ("noLicense",))
    assert w.health_of().reason_code == "Inactive license"  # type: ignore[union-attr]
    assert lic.remaining(120.0 + 30 * 60) == pytest.approx(30.0)
    deadline = lic.get_timer()
    assert deadline is not None and deadline == pytest.approx(120.0 + 60 * 60, abs=1)
    lic.handle_timer(deadline)
    assert lic.blocked and lic.standing.state == "inactiveLicenseBlocked"
    assert w.health_of().reason_code == "License latency period expired"  # type: ignore[union-attr]
    assert not lic.may_send("Info")
    w.connected.add("00:30:42:00:00:02")
    lic.refresh(deadline + 600)  # the violation ends: the restriction lifts, latency recharges
    assert not lic.blocked and lic.standing.state == "noRedundancyLicense"
    assert lic.remaining(deadline + 600 + 20 * 60) == pytest.approx(20.0)
    assert [lvl for lvl, _ in w.log] == ["MinorErr", "MajorErr", "FatalErr", "GenInfo"]
    assert len(w.changes) == 5  # the first judgement, then one per change GetLicense shows


def test_the_built_in_licence_has_no_violation_up_to_its_rfps() -> None:
    w = World(BUILT_IN)
    w.rfps = 5
    w.license.refresh(0.0)
    assert w.license.standing is not None
    assert (w.license.standing.type, w.license.standing.state,
            w.license.standing.violations) == ("small", "noLicense", ("noViolation",))
    assert w.license.may_send("Info") and not w.license.may_send("Normal")
    w.rfps = 6
    w.license.refresh(1.0)
    assert w.license.standing.violations == ("numRFPs",)


def test_sipdect_license_signs_and_checks_and_the_config_reads_it(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from sipdect.app.cli import main
    from sipdect.app.config import ConfigError, parse_config

    lic = tmp_path / "site.lic"
    lic.write_text(FILE)
    assert main(["license", "check", str(lic)]) == 2  # not signed yet
    assert "signature" in capsys.readouterr().err
    assert main(["license", "sign", str(lic)]) == 0
    assert '"rfps": 20' in capsys.readouterr().out
    cfg = parse_config('[[omm]]\nname = "OMM"\n[omm.license]\nfile = "site.lic"\n',
                       base=tmp_path)
    (omm,) = cfg.omms
    assert (omm.license.rfps, omm.park) == (20, "1F10DEC700")  # the PARK comes with it
    with pytest.raises(ConfigError, match="the licence is for PARK 1F10DEC700"):
        parse_config('[[omm]]\nname = "OMM"\npark = "1F10DEC701"\n[omm.license]\n'
                     'file = "site.lic"\n', base=tmp_path)
    lic.write_text(lic.read_text().replace("rfps = 20", "rfps = 2000"))
    with pytest.raises(ConfigError, match="signature does not match"):
        parse_config('[[omm]]\nname = "OMM"\n[omm.license]\nfile = "site.lic"\n',
                     base=tmp_path)
