"""Fuzzing MAXI (docs/mom.md "MAXI"): any request a client can send, with any attributes and
children, gets the schema's answer, never a crash; no answer is the "internal error" of a
handler that raised; and random bytes on a TLS connection close at most that connection."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from maxi_host import PASSWORD, FakeSync, Maxi

from mom.maxi.api import MaxiApi
from mom.maxi.dispatch import ROUTER
from mom.model import MomModel, MomSetup
from sipdect.accounts import InitialAccount
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import Ctx, PendingAnswer, PendingVerification
from sipdect.axi.errors import RESPONSE_CODES
from sipdect.axi.session import AxiServerSession
from sipdect.waiting import until

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ATTRS = ("uid", "ppn", "num", "ipei", "name", "maxRecords", "relType", "ommId", "toAddr",
         "text", "address", "port", "enabled", "password", "id", "username", "ac", "pin",
         "sipPw", "encrypt", "cmd", "eventType", "timeStamp", "oldPassword")
VALUES = st.one_of(st.sampled_from(["", "0", "1", "-1", "20", "99999999999999999999", "abc",
                                    "03074 0220259 3", "tel:100", "ppn:1", "Dynamic", "Fixed",
                                    "Unbound", "On", "Off", "PPCnf", "Roaming", "102A7C82",
                                    "true", "x" * 300]),
                   st.text(max_size=40))
ELEMENT = st.builds(lambda name, attrs: Message(name, attrs),
                    st.sampled_from(["user", "pp", "omm", "account", "e", "version",
                                     "permission"]),
                    st.dictionaries(st.sampled_from(ATTRS), VALUES, max_size=6))
REQUEST = st.builds(
    lambda name, attrs, children: Message(name, attrs, children),
    st.one_of(st.sampled_from(sorted(ROUTER.routes)), st.sampled_from(["GetRFP", "Bogus"])),
    st.dictionaries(st.sampled_from(ATTRS), VALUES, max_size=6),
    st.lists(ELEMENT, max_size=3))


@pytest.fixture(scope="module")
def api() -> Iterator[MaxiApi]:
    with tempfile.TemporaryDirectory() as tmp:
        model = MomModel(Path(tmp), MomSetup("MOM", [InitialAccount("mom", PASSWORD)]))
        model.directory.create_user({"num": "100"})
        model.directory.create_device({"ipei": "03074 0220259 3"})
        model.omms.define("omm-a", {"address": "127.0.0.20"})
        yield MaxiApi(model, sync=FakeSync())
        model.close()


def answer_of(api: MaxiApi, req: Message) -> Message:
    session = AxiServerSession(0.0)
    session.opened(1, False)
    answer = api.handle(Ctx(session, "127.0.0.9:1"), req)
    if isinstance(answer, PendingVerification):  # Open on an open session never gets here
        return api.conclude(Ctx(session, "127.0.0.9:1"), req, answer, answer.check()).response
    if isinstance(answer, PendingAnswer):
        return asyncio.run(_await(answer))
    return answer


async def _await(pending: PendingAnswer) -> Message:
    return await pending.answer


@FUZZ
@given(REQUEST)
def test_any_request_gets_its_answer(api: MaxiApi, req: Message) -> None:
    answer = answer_of(api, req)
    assert answer.name == req.name + "Resp"
    code = answer.attrs.get("errCode")
    assert code is None or code in RESPONSE_CODES
    assert answer.attrs.get("info") != "internal error", req


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=2048))
async def test_random_bytes_close_at_most_that_connection(maxi: Maxi, junk: bytes) -> None:
    victim = await maxi.client()
    await victim.send_raw(junk + b"\0")
    # whatever became of the victim, a new client is served
    fresh = await maxi.client()
    assert (await fresh.request("Ping")).name == "PingResp"
    await fresh.close()
    await victim.close()
    await until(lambda: maxi.api.logged_in == 0, "the closed sessions to go")
