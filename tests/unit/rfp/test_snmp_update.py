"""SNMP_RFP_UPDATE (omm-rfp.md §4.7, vector V5): built from values, decoded back to them; the
OMM's SNMP settings as each RFP gets them (omm.snmp)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rfp_link_vectors import LINK_VECTORS

from omm.snmp import FACTORY, rfp_update
from sipdect.link.errors import LinkValueError
from sipdect.link.system import SnmpRfpUpdate

V5 = bytes.fromhex(LINK_VECTORS["V5"])
latin1 = st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=80)


def test_the_vector_reads_as_the_omm_sent_it() -> None:
    update = SnmpRfpUpdate.decode(V5)
    assert (str(update.trap_sink), update.contact, update.location, update.sys_name) == (
        "172.20.23.1", "b" * 40, "debugDECT123", "RFP 42 (00:30:42:0F:82:27)")
    assert (update.ro_community, update.trap_community, update.traps) == ("a" * 20, "c" * 20,
                                                                          True)


def test_create_gives_the_layout_of_the_vector() -> None:
    made = SnmpRfpUpdate.create(trap_sink="172.20.23.1", contact="b" * 40,
                                location="debugDECT123", name="RFP 42 (00:30:42:0F:82:27)",
                                ro_community="a" * 20, trap_community="c" * 20,
                                trap_enabled=True).encode()
    assert len(made) == len(V5) and made[:8] == V5[:8]  # type, length 0x14c, trap sink


@settings(max_examples=80, deadline=None)
@given(sink=st.ip_addresses(v=4), contact=latin1, location=latin1, name=latin1,
       ro=latin1.map(lambda t: t[:40]), trap=latin1.map(lambda t: t[:40]), on=st.booleans())
def test_values_round_trip(sink: object, contact: str, location: str, name: str, ro: str,
                           trap: str, on: bool) -> None:
    data = SnmpRfpUpdate.create(trap_sink=str(sink), contact=contact, location=location,
                                name=name, ro_community=ro, trap_community=trap,
                                trap_enabled=on).encode()
    back = SnmpRfpUpdate.decode(data)
    assert (str(back.trap_sink), back.contact, back.location, back.sys_name,
            back.ro_community, back.trap_community, back.traps) == (
        str(sink), contact, location, name, ro, trap, on)


@pytest.mark.parametrize("kwargs", [{"ro_community": "x" * 41}, {"contact": "y" * 81},
                                    {"name": "☎"}, {"trap_sink": "trapsink.example"}])
def test_what_does_not_fit_is_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(LinkValueError):
        SnmpRfpUpdate.create(**kwargs)  # type: ignore[arg-type]


def test_the_omm_sends_each_rfp_its_name_and_location() -> None:
    record = {"id": 3, "ethAddr": "00:30:42:0f:82:27", "name": "", "location": ""}
    factory = rfp_update(FACTORY, record)
    assert (factory.sys_name, factory.location) == ("RFP 03 (00:30:42:0F:82:27)", "Location")
    assert (factory.ro_community, factory.traps, str(factory.trap_sink)) == ("", False,
                                                                             "0.0.0.0")
    named = rfp_update({**FACTORY, "enableTraps": True, "trapHostAddr": "192.0.2.9",
                        "readCommunity": "ro-Kx81", "contact": "Zoë ☎"},
                       {**record, "name": "Lobby", "location": "Hall 2"})
    assert (named.sys_name, named.location, named.contact) == (
        "Lobby (00:30:42:0F:82:27)", "Hall 2", "Zoë ?")
    assert named.traps and str(named.trap_sink) == "192.0.2.9"
    no_host = rfp_update({**FACTORY, "enableTraps": True}, record)
    assert not no_host.traps  # no trap host: traps cannot go anywhere
