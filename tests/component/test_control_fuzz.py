"""Junk thrown at every endpoint of the control API, with the token: whatever the body, path
and query, the answer is 2xx or 4xx with a JSON body, never a 500 (README "Control API").
Over loopback against a running site (one OMM, one RFP, one handset), which the junk changes.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dect.identities import Ipei
from sipdect.app.emulator import ThreadedEmulator
from sipdect.app.map.server import PAGE_PATH, STATIC_PREFIX
from sipdect.app.ready import TOKEN_HEADER

SITE = """
[system]
name = "control-fuzz"

[[omm]]
name = "OMM"

[omm.settings.DECTSubscriptionMode]
mode = "Configured"

[[rfp]]
mac = "00:30:42:5e:20:01"
preferred_sync = true

[[handset]]
ipei = "03074 0220259 3"
"""

#: A few valid identities, so that the junk also reaches the code behind the syntax checks.
IPEIS = [Ipei(77, psn).omm_form() for psn in (4001, 4002, 4003)]
MACS = ["00:30:42:5e:20:01", "00:30:42:5e:20:02", "0030425e2003"]
KEYS = ("ipei", "x", "y", "model", "name", "ac", "subscribe", "configured", "auto_answer",
        "mac", "omm", "cluster", "hw_type", "preferred_sync", "on", "keys", "number", "tone")

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
           | st.integers(min_value=10**20, max_value=10**400))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)
field_values = (json_values | st.sampled_from(IPEIS + MACS) | st.sampled_from(
    ["OMM", "RFP 35", "622d", "1234{CALL}", "{OK}", "{END}", "{CLEAR}", "31415", "202", ""])
    | st.floats(min_value=-50, max_value=50))
objects = st.fixed_dictionaries({}, optional={k: field_values for k in KEYS})
ON_AIR, ON_AIR_MAC = "03074 0220259 3", "00:30:42:5e:20:01"
refs = st.one_of(st.sampled_from([ON_AIR, "0307402202593", "0"]),  # mostly what exists
                 st.sampled_from([ON_AIR, "0"]),
                 st.sampled_from(["1", "2", "99", "-1", "1e3", "²", *IPEIS]), st.text(max_size=20))
queries = st.dictionaries(st.sampled_from(["tone", "seconds", "secrets"]),
                          st.text(max_size=10) | st.floats().map(str), max_size=3)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


bodies = st.one_of(st.none(), objects.map(_dumps), json_values.map(_dumps), st.binary(max_size=64))


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(SITE, tmp_path_factory.mktemp("fuzz")) as emu:
        yield emu


def _routes(emulator: ThreadedEmulator) -> list[tuple[str, str]]:
    system = emulator.emulator.system
    assert system is not None and system.control is not None
    out = [(r.method, r.resource.canonical) for r in system.control.app.router.routes()
           if r.resource is not None and r.method != "HEAD"]
    assert len(out) >= 20, out  # every endpoint the README lists
    return out


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_junk_gets_2xx_or_4xx_from_every_endpoint(emulator: ThreadedEmulator,
                                                 data: st.DataObject) -> None:
    system = emulator.emulator.system
    assert system is not None and system.control is not None
    method, template = data.draw(st.sampled_from(_routes(emulator)), label="route")
    path = template
    for name in ("{ref}", "{id}"):
        if name in path:
            path = path.replace(name, quote(data.draw(refs, label=name), safe=""))
    query = data.draw(queries, label="query")
    if query:
        path += "?" + urlencode(query)
    body = data.draw(bodies, label="body")
    # What the junk removed comes back, so that it keeps reaching the handlers' depths.
    restore = [("POST", "/_emu/rfps", _dumps({"mac": ON_AIR_MAC, "preferred_sync": True})),
               ("POST", "/_emu/handsets", _dumps({"ipei": ON_AIR, "x": 1.0, "y": 1.0})),
               ("POST", f"/_emu/handsets/{quote(ON_AIR)}/power", _dumps({"on": True}))]
    for step in restore:
        assert _request(system.control.port, system.control.token, *step)[0] < 500
    status, text = _request(system.control.port, system.control.token, method, path, body)
    event(f"{method} {template} -> {status}")
    assert status < 500, (method, path, body, text)
    if template == PAGE_PATH or template.startswith(STATIC_PREFIX):
        return  # the live map's page and files: HTML, scripts and styles, not JSON
    answer = json.loads(text)
    if status >= 400:
        assert answer["error"], answer


def _request(port: int, token: str, method: str, path: str,
             body: bytes | None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body,
                     headers={TOKEN_HEADER: token, "Content-Type": "application/json"})
        response = conn.getresponse()
        if response.status == 200 and response.getheader("Content-Type", "").startswith(
                "text/event-stream"):
            # The event stream never ends: its first bytes came, which is the answer.
            response.fp.readline()
            return response.status, b"{}"
        return response.status, response.read()
    finally:
        conn.close()


def test_the_site_still_answers_after_the_junk(emulator: ThreadedEmulator) -> None:
    system = emulator.emulator.system
    assert system is not None and system.control is not None
    status, text = _request(system.control.port, system.control.token, "GET", "/_emu/health",
                            None)
    assert status == 200 and json.loads(text)["status"] == "ok"
