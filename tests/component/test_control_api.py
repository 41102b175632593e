"""The control API's guard as a browser page, another host name or a careless script meets it:
the token, the Host and Origin checks, JSON-only changes, passwords only on request, and every
mistake in a request answered 4xx (README "Control API"). Over loopback against a running site.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omm.errors import ModelError
from sipdect.app.emulator import ThreadedEmulator
from sipdect.app.ready import TOKEN_HEADER

MAC = "00:30:42:5e:10:01"
ON_AIR = "03074 0220259 3"
AXI_PASSWORDS = ("Ctl-Omm-Secret-2026", "Ctl-Monitor-Secret-2026")
SIP_PASSWORD = "Ctl-Sip-201-Secret"
PBX_PASSWORD = "Ctl-Far-End-300-Secret"

SITE = f"""
[system]
name = "control-api-test"

[[omm]]
name = "OMM"

[[omm.accounts]]
username = "omm"
password = "{AXI_PASSWORDS[0]}"

[[omm.accounts]]
username = "monitor"
password = "{AXI_PASSWORDS[1]}"
permissions = ["AllCnfRead"]

[omm.settings.DECTSubscriptionMode]
mode = "Configured"

[omm.settings.DECTAuthCode]
ac = "31415"

[pbx]

[[pbx.accounts]]
user = "300"
password = "{PBX_PASSWORD}"

[[user]]
number = "201"
name = "Alice"
sip_password = "{SIP_PASSWORD}"
handset = "{ON_AIR}"

[[rfp]]
mac = "{MAC}"
preferred_sync = true

[[handset]]
ipei = "{ON_AIR}"
x = 1.0
y = 1.0
"""
PASSWORDS = (*AXI_PASSWORDS, SIP_PASSWORD, PBX_PASSWORD)


class Api:
    """Raw HTTP to the control API, every header under the test's control."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            text = response.read()
        finally:
            conn.close()
        assert response.getheader("Content-Type", "").startswith("application/json"), text
        return response.status, json.loads(text)

    def json(self, method: str, path: str, body: object = None,
             **headers: str) -> tuple[int, Any]:
        """A request as `sipdect ctl` sends it (token, JSON), plus `headers`."""
        data = None if body is None else json.dumps(body).encode()
        return self.send(method, path, data, {TOKEN_HEADER: self.token,
                                              "Content-Type": "application/json", **headers})


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(SITE, tmp_path_factory.mktemp("control")) as emu:
        yield emu


@pytest.fixture(scope="module")
def api(emulator: ThreadedEmulator) -> Api:
    system = emulator.emulator.system
    assert system is not None and system.control is not None
    return Api(system.control.port, system.control.token)


def has_device(emulator: ThreadedEmulator, ipei: str) -> bool:
    def find() -> bool:
        try:
            emulator.omm.model.devices.find_by_ipei(ipei)
        except ModelError:
            return False
        return True
    return bool(emulator.call(find))


def test_without_the_token_nothing_is_answered(api: Api) -> None:
    status, body = api.send("GET", "/_emu/state")
    assert status == 401 and TOKEN_HEADER in body["error"]
    status, _ = api.send("GET", "/_emu/nothing-here")  # not even whether a path exists
    assert status == 401
    for wrong in ("x" * 43, api.token[:-1], ""):
        assert api.send("GET", "/_emu/health", headers={TOKEN_HEADER: wrong})[0] == 401
    status, _ = api.send("GET", "/_emu/health", headers={"Authorization": "Bearer wrong"})
    assert status == 401
    # A token with bytes outside ASCII is wrong too, not a crash.
    assert api.send("GET", "/_emu/health", headers={TOKEN_HEADER: "tökén"})[0] == 401


def test_the_token_works_as_header_or_bearer(api: Api) -> None:
    assert api.send("GET", "/_emu/health", headers={TOKEN_HEADER: api.token})[0] == 200
    status, body = api.send("GET", "/_emu/health",
                            headers={"Authorization": f"Bearer {api.token}"})
    assert status == 200 and body["status"] == "ok"


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1",
                                  "127.0.0.2:{port}", "localhost:1", ""])
def test_a_foreign_host_is_refused_even_with_the_token(api: Api, host: str) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: its Host gives it away."""
    status, body = api.json("GET", "/_emu/state", Host=host.format(port=api.port))
    assert status == 403 and "Host" in body["error"]


def test_localhost_and_the_bound_address_are_this_api(api: Api) -> None:
    assert api.json("GET", "/_emu/health", Host=f"localhost:{api.port}")[0] == 200
    assert api.json("GET", "/_emu/health", Host=f"127.0.0.1:{api.port}")[0] == 200


def test_a_cross_site_post_creates_nothing(api: Api, emulator: ThreadedEmulator) -> None:
    """What a page on another site can send without a preflight: text/plain, its Origin."""
    ipei = "00077 0020002 4"
    body = json.dumps({"ipei": ipei, "x": 1, "y": 1}).encode()
    forged = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    assert api.send("POST", "/_emu/handsets", body, forged)[0] == 403
    assert api.send("POST", "/_emu/handsets", body, {"Content-Type": "text/plain"})[0] == 401
    # Even a page that somehow had the token is refused, for its Origin and its content type.
    status, answer = api.send("POST", "/_emu/handsets", body, {**forged, TOKEN_HEADER: api.token})
    assert status == 403 and "web pages" in answer["error"]
    status, answer = api.send("POST", "/_emu/handsets", body,
                              {"Content-Type": "text/plain", TOKEN_HEADER: api.token})
    assert status == 415 and "application/json" in answer["error"]
    status, _ = api.json("POST", "/_emu/handsets", {"ipei": ipei}, Origin="http://evil.example")
    assert status == 403
    status, _ = api.send("POST", "/_emu/rfps", json.dumps({"mac": "00:30:42:5e:10:09"}).encode(),
                         {"Content-Type": "application/x-www-form-urlencoded",
                          TOKEN_HEADER: api.token})
    assert status == 415
    assert not has_device(emulator, ipei)
    assert "00:30:42:5e:10:09" not in [r["mac"] for r in api.json("GET", "/_emu/rfps")[1]]


def test_state_names_no_password_unless_asked(api: Api) -> None:
    for path in ("/_emu/state", "/_emu/state?secrets=0", "/_emu/pbx", "/_emu/handsets",
                 "/_emu/rfps", "/_emu/health", f"/_emu/handsets/{ON_AIR.replace(' ', '%20')}"):
        status, body = api.json("GET", path)
        text = json.dumps(body)
        assert status == 200, text
        assert not [p for p in PASSWORDS if p in text], path
    status, state = api.json("GET", "/_emu/state")
    assert "secrets=1" in state["secrets"] and "password" not in state["credentials"][0]
    status, state = api.json("GET", "/_emu/state?secrets=1")
    text = json.dumps(state)
    assert status == 200 and all(p in text for p in PASSWORDS)
    assert api.json("GET", "/_emu/state?secrets=please")[0] == 400


@pytest.mark.parametrize("method, path, body, status, says", [
    ("POST", "/_emu/handsets", {"ipei": "12345"}, 400, "not an IPEI"),
    ("POST", "/_emu/handsets", {"ipei": "03074 0220259 4"}, 400, "check digit"),
    ("POST", "/_emu/handsets", {"ipei": ON_AIR}, 409, "already on the air"),
    ("POST", "/_emu/handsets", {"ipei": "00077 0030003 2", "omm": "Nope"}, 400, "no OMM"),
    ("POST", "/_emu/handsets", {"ipei": "00077 0030003 2", "x": "far"}, 400, "metres"),
    ("POST", "/_emu/handsets", {"ipei": "00077 0030003 2", "x": 1e300}, 400, "metres"),
    ("POST", "/_emu/handsets", {"ipei": "00077 0030003 2", "ac": "abc"}, 400, "digits"),
    ("POST", "/_emu/handsets", {"ipei": "00077 0030003 2", "subscribe": "no"}, 400, "true"),
    ("POST", "/_emu/handsets", [1, 2], 400, "JSON object"),
    ("POST", "/_emu/rfps", {"mac": "00:30:42:zz:00:01"}, 400, "Ethernet address"),
    ("POST", "/_emu/rfps", {"mac": MAC}, 409, "runs already"),
    ("POST", "/_emu/rfps", {"mac": "00:30:42:5e:10:02", "cluster": 1e9}, 400, "whole number"),
    ("POST", "/_emu/rfps", {"mac": "00:30:42:5e:10:02", "cluster": 0}, 400, "cluster"),
    ("POST", "/_emu/rfps", {"mac": "00:30:42:5e:10:02", "hw_type": "RFP 99"}, 400, "hw_type"),
    ("POST", "/_emu/rfps", {"mac": "00:30:42:5e:10:02", "name": "n" * 40}, 400, "longer"),
    ("DELETE", "/_emu/rfps/77", None, 404, "no RFP"),
    ("POST", "/_emu/rfps/x/power", {"on": False}, 404, "no RFP 'x'"),
    ("POST", "/_emu/handsets/1/move", {"x": 1}, 400, "'y'"),
    ("POST", "/_emu/handsets/1/move", {"x": float("nan"), "y": 0}, 400, "metres"),
    ("POST", "/_emu/handsets/1/walk", {"x": 1}, 400, "'y'"),
    ("POST", "/_emu/handsets/1/walk", {"x": 1, "y": 1, "speed": 0}, 400, "metres per second"),
    ("POST", "/_emu/handsets/1/walk", {"x": 1, "y": 1, "speed": "fast"}, 400, "per second"),
    ("POST", "/_emu/handsets/1/walk", {"x": 1, "y": 1, "speed": 1e9}, 400, "at most 100"),
    ("POST", "/_emu/handsets/1/walk", {"x": 1, "y": 1, "wait": "yes"}, 400, "true or false"),
    ("POST", "/_emu/handsets/9/walk", {"x": 1, "y": 1}, 404, "no handset"),
    ("POST", "/_emu/handsets/1/keys", {"keys": 5}, 400, "string"),
    ("POST", "/_emu/handsets/1/power", {"on": "off"}, 400, "true or false"),
    ("GET", "/_emu/handsets/00077%200099999%201", None, 404, "no handset"),
    ("GET", "/_emu/handsets/1/hears?tone=inf", None, 400, "tone"),
    ("PUT", "/_emu/handsets", {}, 405, "Not Allowed"),
    ("GET", "/_emu/nothing-here", None, 404, "Not Found"),
])
def test_every_mistake_is_a_4xx_saying_what(api: Api, method: str, path: str, body: object,
                                            status: int, says: str) -> None:
    got, answer = api.json(method, path, body)
    assert (got, says in answer.get("error", "")) == (status, True), answer


def test_a_body_that_is_no_json_is_400(api: Api) -> None:
    for junk in (b"{", b"\xff\xfe", b"[" * 100_000):
        status, answer = api.send("POST", "/_emu/handsets", junk,
                                  {TOKEN_HEADER: api.token, "Content-Type": "application/json"})
        assert status == 400 and "JSON" in answer["error"]


def test_a_handset_with_blanks_in_its_ipei_is_found(api: Api) -> None:
    status, handset = api.json("GET", f"/_emu/handsets/{ON_AIR.replace(' ', '%20')}")
    assert status == 200 and handset["ipei"] == ON_AIR


def test_the_ready_file_is_written_0600_with_url_and_token(
        emulator: ThreadedEmulator, tmp_path: Path) -> None:
    system = emulator.emulator.system
    assert system is not None and system.control is not None
    path = tmp_path / "ready.json"
    path.write_text("{}")
    path.chmod(0o644)  # an old, readable file is replaced, not reused
    emulator.call(system.write_ready_file, path)
    assert path.stat().st_mode & 0o777 == 0o600
    control = json.loads(path.read_text())["control"]
    assert control == {"url": f"http://127.0.0.1:{system.control.port}",
                       "token": system.control.token}


def test_license_shows_each_omms_licence(api: Api) -> None:
    """`sipdect ctl license`: the default installation is fully licensed (omm.license)."""
    status, body = api.json("GET", "/_emu/license")
    assert status == 200, body
    (lic,) = body.values()
    assert (lic["type"], lic["state"], lic["violations"], lic["blocked"]) == (
        "standard", "activeLicense", ["noViolation"], False)
    assert lic["latency"] == lic["latency_full"] == 43200
