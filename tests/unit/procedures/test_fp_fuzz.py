"""The FixedPart takes whatever a PP (or a wrong cipher key) puts on the air without raising:
random frames, and well-framed NWK messages of every type it handles with random elements."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dect import conventions as cv
from dect.dlc import DlcConnection, Side
from dect.identities import Ipei, Ipui
from dect.nwk import NwkMessage, cc, coms, lce, mm
from dect.nwk.ie import AuthType, CipherInfo, MultiKeypad
from dect.nwk.tables import MESSAGE_TYPES, AuthAlgorithm, AuthKeyType, ProtocolDiscriminator
from omm.dect.fixed_part import FixedPart
from omm.dect.primitives import (
    LcDataInd,
    LcDataReq,
    MacConnectInd,
    MacDisconnectInd,
    MacEncEksInd,
)
from omm.model import OmmModel, OmmSetup

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
IPEI = "03074 0220259 3"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> OmmModel:
    m = OmmModel(Path(tmp_path_factory.mktemp("fuzz")), OmmSetup("Fuzz"), lambda: 1e9)
    m.settings.update("DECTAuthCode", {"ac": "1234"})
    m.settings.update("DevAutoCreate", {"enable": True})
    m.subscription.set("Wildcard", 60)
    rec = m.devices.create({"ipei": IPEI})
    m.devices.set_uak(rec["ppn"], bytes(range(16)))
    m.devices.set_subscription(rec["ppn"], "Yes")
    return m


def _header(pd: ProtocolDiscriminator, message_type: int, flag: bool) -> bytes:
    return bytes([flag << 7 | pd, message_type])


nwk_messages = st.builds(
    lambda pd_type, flag, body: _header(pd_type[0], pd_type[1], flag) + body,
    st.sampled_from([(pd, int(t)) for pd, table in MESSAGE_TYPES.items() for t in table]),
    st.booleans(),
    st.binary(max_size=40),
)
_IPUI = Ipui.o_from_ipei(Ipei.parse(IPEI))
_AC = AuthType(AuthAlgorithm.DSAA, AuthKeyType.AC, 8, 0)
_WELL_FORMED: list[NwkMessage] = [
    mm.access_rights_request(Ipui.n(Ipei.parse(IPEI)), _AC),
    mm.access_rights_request(Ipui.n(Ipei(1, 2)), _AC),
    mm.authentication_request(_AC, bytes(8), res=bytes(4), ti_flag=True),
    mm.authentication_request(_AC, bytes(8)),
    mm.authentication_reply(bytes(4)),
    mm.authentication_reject(0x10),
    mm.locate_request(_IPUI),
    mm.detach(_IPUI),
    mm.cipher_reject(0x19),
    mm.cipher_suggest(CipherInfo(True)),
    cc.setup(_IPUI, cv.DEFAULT_PARK, keypad=MultiKeypad(cv.login_digits("1", "2"))),
    cc.setup(_IPUI, cv.DEFAULT_PARK),
    cc.info(keypad="5"),
    cc.release(0),
    cc.release_com(0),
    lce.page_response(_IPUI),
    coms.setup(_IPUI, cv.DEFAULT_PARK),
    coms.connect(ti_flag=True),
    coms.ack(ti_flag=True),
    coms.info(),
    coms.release(0),
    coms.release(0, ti_flag=True),
    coms.release_com(0, ti_flag=True),
]

steps = st.lists(
    st.one_of(
        nwk_messages.map(lambda m: ("nwk", m)),
        st.sampled_from(_WELL_FORMED).map(lambda m: ("nwk", m.encode())),
        st.sampled_from(_WELL_FORMED).map(lambda m: ("nwk", m.encode())),
        st.binary(max_size=70).map(lambda b: ("raw", b)),
        st.just(("eks", b"")),
        st.floats(0, 30).map(lambda t: ("time", str(t).encode())),
    ),
    max_size=16,
)


@FUZZ
@given(steps, st.integers(0, 2**32))
def test_the_fixed_part_survives_anything_from_a_pp(
    model: OmmModel, script: list[tuple[str, bytes]], seed: int
) -> None:
    fp = FixedPart(model, random=random.Random(seed).randbytes)
    pt = DlcConnection(Side.PT)
    now = 0.0
    fp.receive(MacConnectInd(1, 7, 0xE1234), now)
    for kind, data in script:
        if kind == "nwk":
            pt.send(data, 2)
            frames = pt.data_to_send(now)
        elif kind == "raw":
            frames = [data]
        elif kind == "eks":
            fp.receive(MacEncEksInd(1, 7), now)
            frames = []
        else:
            now += float(data)
            deadline = fp.get_timer()
            if deadline is not None and deadline <= now:
                fp.handle_timer(now)
            frames = []
        for frame in frames:
            fp.receive(LcDataInd(1, 7, frame), now)
        for req in fp.primitives_to_send():
            if isinstance(req, LcDataReq):
                try:
                    pt.receive(req.frame, now)
                except Exception as exc:  # the FP must only send valid frames
                    raise AssertionError(f"FP sent an undecodable frame {req.frame.hex()}") from exc
        list(pt.events())
        while fp.next_event() is not None:
            pass
    fp.receive(MacDisconnectInd(1, 7), now)
    assert fp.connections == {}


def _earliest(fp: FixedPart) -> float | None:
    """The fixed part's timer as every connection states it (no paging in these scripts)."""
    return min((t for c in fp.connections.values() if (t := c.get_timer()) is not None),
               default=None)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["", "connect", "disconnect"]),
                          steps), min_size=1, max_size=6),
       st.integers(0, 2**32))
def test_the_fixed_part_timer_is_the_earliest_of_its_connections(
    model: OmmModel, script: list[tuple[int, str, list[tuple[str, bytes]]]], seed: int
) -> None:
    """Deadlines are kept per connection as it runs, not asked of every connection each time:
    with three PPs in any mix of procedures, links ending and new ones (also on a MCEI still
    taken), the timer is still the earliest and a timer run leaves no connection overdue."""
    fp = FixedPart(model, random=random.Random(seed).randbytes)
    pts = [DlcConnection(Side.PT) for _ in range(3)]
    now = 0.0
    for i in range(3):
        fp.receive(MacConnectInd(1 + i, 7, 0xE1234 + i), now)
    for i, link, part in script:
        if link == "connect":
            pts[i] = DlcConnection(Side.PT)
            fp.receive(MacConnectInd(1 + i, 7, 0xE1234 + i), now)
        elif link == "disconnect":
            fp.receive(MacDisconnectInd(1 + i, 7), now)
        for kind, data in part:
            frames: list[bytes] = []
            if kind == "nwk":
                pts[i].send(data, 2)
                frames = pts[i].data_to_send(now)
            elif kind == "raw":
                frames = [data]
            elif kind == "eks":
                fp.receive(MacEncEksInd(1 + i, 7), now)
            else:
                now += float(data)
                deadline = fp.get_timer()
                if deadline is not None and deadline <= now:
                    fp.handle_timer(now)
                    assert all((t := c.get_timer()) is None or t > now
                               for c in fp.connections.values())
            for frame in frames:
                fp.receive(LcDataInd(1 + i, 7, frame), now)
            for req in fp.primitives_to_send():
                if isinstance(req, LcDataReq):
                    pts[req.rfp_id - 1].receive(req.frame, now)
            for pt in pts:
                list(pt.events())
            while fp.next_event() is not None:
                pass
            assert fp.get_timer() == _earliest(fp)
