"""An OMM provisioned from configuration files (mom.md §5, docs/mom.md "Configuration files"):
what the file says is what AXI shows; a broken element is reported and the rest applies;
files over HTTPS; the writer's file read back by an OMM; `sipdect provision`."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from aiohttp import web

from sipdect import tls
from sipdect.accounts import FULL_ACCESS
from sipdect.app.cli import main as sipdect_main
from sipdect.app.config import load_config
from sipdect.app.emulator import Emulator
from sipdect.app.provision import omm_provisioning
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.axi.provisioning import (
    HEALTH_COMPONENT,
    HEALTH_REASON,
    OmmProvisioning,
    ProvisionedAccount,
    omm_files,
)

ADMIN = ProvisionedAccount("admin", "Prov-Root-2027", ("AllCnfWrite", "AllCnfRead"))
OMM_PASSWORD = "Prov-Key-2026"
PROVISIONING = OmmProvisioning(
    system_name="Site North",
    accounts=[ProvisionedAccount("omm", OMM_PASSWORD, FULL_ACCESS), ADMIN],
    settings={"BasicSIP": {"proxyServer": "127.0.0.9", "proxyPort": "5070",
                           "regServer": "127.0.0.9", "regPort": "5070",
                           "transportProt": "UDP"},
              "DECTAuthCode": {"ac": "2468"}},
    sari="1F10ABCDE0",
    sites=[{"id": "2", "name": "Hall", "wideband": "1"}],
    rfps=[{"ethAddr": "00:30:42:0a:00:01", "name": "RFP Door", "site": "2", "x": "5",
           "y": "7", "preferredSync": "true"},
          {"ethAddr": "00:30:42:0a:00:02", "name": "RFP Desk", "site": "1"}],
    users=[{"uid": "5", "num": "501", "name": "Ann", "sipAuthId": "ann", "sipPw": "sip-501",
            "pin": "1234"},
           {"uid": "6", "num": "502", "name": "Ben", "sipPw": "sip-502", "pin": ""}])


def _config(url: str, name: str = "Lab") -> str:
    # A factory-new OMM: no account configured, everything comes from the file.
    return f'[[omm]]\nname = "{name}"\nconfig_url = "{url}"\n'


def _write(directory: Path, p: OmmProvisioning = PROVISIONING) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in omm_files(p).items():
        (directory / name).write_bytes(data)
    return directory / "ipdect.cfg"


async def _client(emu: Emulator, username: str = "omm",
                  password: str = OMM_PASSWORD) -> AxiClient:
    c = await AxiClient.connect(emu.omm.host, emu.omm.port)
    await c.login(username, password)
    return c


async def _health(c: AxiClient) -> dict[str, dict[str, str]]:
    r = await c.request("GetHealthState")
    return {h.attrs["component"]: h.attrs for h in r.children_named("health")}


async def _records(c: AxiClient, request: str, key: str, start: int = 0) -> list[Message]:
    r = await c.request(request, {key: start, "maxRecords": 20})
    return r.children


def _same(record: Message, wanted: dict[str, str], *, secrets: tuple[str, ...] = ()) -> None:
    for k, v in wanted.items():
        if k in secrets:
            continue
        got = record.attrs[k]
        assert got == v or {got, v} <= {"1", "true"} or {got, v} <= {"0", "false"}, (k, got, v)


async def _assert_provisioned(emu: Emulator, p: OmmProvisioning,
                              password: str = OMM_PASSWORD) -> None:
    """Every record of `p` as the OMM shows it over AXI (and the clear secrets in its model)."""
    c = await _client(emu, "omm", password)
    assert (await c.request("GetSystemName")).attrs["name"] == p.system_name
    for group, values in p.settings.items():
        _same(await c.request(f"Get{group}"), values)
    if p.sari:
        assert (await c.request("GetSARI")).attrs["sari"] == p.sari
    sites = {s.attrs["id"]: s for s in await _records(c, "GetSite", "id", 1)}
    for site in p.sites:
        _same(sites[site["id"]], site)
    rfps = {r.attrs["ethAddr"]: r for r in await _records(c, "GetRFP", "id")}
    assert sorted(rfps) == sorted(r["ethAddr"] for r in p.rfps)
    for rfp in p.rfps:
        _same(rfps[rfp["ethAddr"]], rfp)
    users = {u.attrs["uid"]: u for u in await _records(c, "GetPPUser", "uid", 1)}
    assert sorted(users) == sorted(u["uid"] for u in p.users)
    model = emu.omm.model
    for user in p.users:
        _same(users[user["uid"]], user, secrets=("sipPw", "pin"))
        rec = model.users.get(int(user["uid"]))
        for secret in ("sipPw", "pin"):
            if secret in user:
                assert model.users.secret(rec, secret) == user[secret]
    await c.close()
    for account in p.accounts:
        other = await _client(emu, account.username, account.password)
        r = await other.request("GetAccount", {"id": 0, "maxRecords": 20})
        mine = next(a for a in r.children_named("account")
                    if a.attrs["username"] == account.username)
        assert mine.attrs["aging"] == account.aging
        assert sorted(x.text or "" for x in mine.children) == sorted(account.permissions)
        await other.close()


async def test_an_omm_started_with_a_config_url_gets_exactly_what_the_file_says(
        tmp_path: Path) -> None:
    cfg = _write(tmp_path / "files")
    async with Emulator(_config(cfg.as_uri()), tmp_path / "data") as emu:
        await _assert_provisioned(emu, PROVISIONING)
        c = await _client(emu)
        health = await _health(c)
        assert health[HEALTH_COMPONENT]["severity"] == "OK"
        assert health["provisioningServer"]["severity"] == "OK"
        # The default password of the factory-new OMM was replaced by the file's.
        state = (await c.request("GetAccount", {"id": 1})).child("account")
        assert state is not None and state.attrs["state"] == "changed"
        await c.close()


async def test_a_second_start_overwrites_instead_of_duplicating(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "files")
    config = _config(cfg.as_uri())
    async with Emulator(config, tmp_path / "data"):
        pass
    changed = OmmProvisioning(**{**PROVISIONING.__dict__, "users": [
        {"uid": "5", "num": "601", "name": "Ann B", "sipPw": "new-pw", "pin": "9999"},
        {"uid": "6", "num": "502", "name": "", "sipAuthId": "", "sipPw": "", "pin": ""}]})
    _write(tmp_path / "files", changed)
    async with Emulator(config, tmp_path / "data") as emu:  # same data directory
        await _assert_provisioned(emu, changed)


async def test_a_broken_element_is_reported_and_the_rest_applies(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "ipdect.cfg").write_text(
        '<CreateAccount plainText="1" replaceData="1"><account username="omm" '
        f'password="{OMM_PASSWORD}"/></CreateAccount>\n'
        '<SetSystemName name="Half"/>\n'
        '<CreatePPUser plainText="1" replaceData="1"><user uid="1" num="100" pin="12ab"/>'
        '</CreatePPUser>\n'
        '<SetRegistrationTrafficShaping maxRegistrations="1">\n'
        '<CreatePPUser plainText="1" replaceData="1"><user uid="2" num="200"/></CreatePPUser>\n'
        '<NoSuchRequest/>\n', "utf-8")
    async with Emulator(_config((files / "ipdect.cfg").as_uri()), tmp_path / "data") as emu:
        c = await _client(emu)
        assert (await c.request("GetSystemName")).attrs["name"] == "Half"
        users = await _records(c, "GetPPUser", "uid", 1)
        assert [(u.attrs["uid"], u.attrs["num"]) for u in users] == [("2", "200")]
        health = (await _health(c))[HEALTH_COMPONENT]
        assert health["severity"] == "Warning" and health["reasonCode"] == HEALTH_REASON
        log = await c.request("GetEventLogBuffer", {"id": 0, "maxRecords": 100})
        lines = [e.attrs["msg"] for e in log.children_named("e") if e.attrs["name"] == "PROV"]
        errors = [line for line in lines if line.startswith("ipdect.cfg:")]
        assert len(errors) == 3
        assert "<CreatePPUser> at line 3, column 1 (element 3): EInval" in errors[0]
        assert "<SetRegistrationTrafficShaping> at line 4" in errors[1]
        assert "not closed" in errors[1]
        assert "<NoSuchRequest> at line 6, column 1 (element 6): EInval" in errors[2]
        assert any(line.endswith("3 request(s) applied, 3 error(s)") for line in lines)
        await c.close()


async def _https_server(tmp_path: Path, files: Path,
                        credentials: tuple[str, str]) -> tuple[web.AppRunner, int]:
    async def serve(request: web.Request) -> web.StreamResponse:
        import base64

        expected = "Basic " + base64.b64encode(":".join(credentials).encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401)
        path = files / request.match_info["name"]
        return web.FileResponse(path) if path.is_file() else web.Response(status=404)

    app = web.Application()
    app.router.add_get("/prov/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    cert, key = tls.ensure_certificate(tmp_path / "web", "provisioning server")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    server: Any = site._server  # noqa: SLF001 - the port the OS chose
    return runner, int(server.sockets[0].getsockname()[1])


async def test_files_over_https_with_credentials_and_the_url_over_axi(tmp_path: Path) -> None:
    _write(tmp_path / "files")
    runner, port = await _https_server(tmp_path, tmp_path / "files", ("prov", "Prov-Pw"))
    try:
        url = f"https://prov:Prov-Pw@127.0.0.1:{port}/prov&vc=0"
        async with Emulator(_config(url), tmp_path / "data") as emu:
            await _assert_provisioned(emu, PROVISIONING)
            c = await _client(emu)
            # A certificate the OMM cannot validate is refused unless &vc=0 says so.
            await c.request("SetConfigURL", {"plainText": "1"}, [element("url", {
                "enable": "1", "protocol": "HTTPS", "host": "127.0.0.1", "port": port,
                "path": "/prov", "username": "prov", "password": "Prov-Pw"})])
            shown = (await c.request("GetConfigURL")).child("url")
            assert shown is not None and shown.attrs["host"] == "127.0.0.1"
            assert "password" not in shown.attrs
            assert emu.omm.service is not None
            outcome = await emu.omm.service.provision()  # on request
            assert outcome is not None and "certificate" in outcome.unreachable.lower()
            server = (await _health(c))["provisioningServer"]
            assert server["severity"] == "Error"
            assert server["reasonCode"] == "Access to provisioning server failed"
            await c.close()
    finally:
        await runner.cleanup()


async def test_the_file_sipdect_provision_writes_gives_an_omm_the_system_config_s_records(
        tmp_path: Path) -> None:
    source = tmp_path / "system.toml"
    source.write_text('''
[[omm]]
name = "North"
[[omm.accounts]]
username = "omm"
password = "North-Key-2026"
[omm.settings.SystemName]
name = "North site"
[omm.settings.DECTAuthCode]
ac = "1357"

[pbx]

[[rfp]]
mac = "00:30:42:0b:00:01"
name = "RFP Gate"
x = 10
y = 20
cluster = 2

[[user]]
number = "701"
name = "Cleo"
sip_password = "Sip-701-pw"
''', "utf-8")
    out = tmp_path / "out"
    assert sipdect_main(["provision", "North", "--config", str(source), "--out", str(out),
                         "--sari", "1F10ABCDE0"]) == 0
    text = (out / "ipdect.cfg").read_text("utf-8")
    assert '<SetSARI sari="1F10ABCDE0"/>' in text
    wanted = omm_provisioning(load_config(source), "North", sari="1F10ABCDE0")
    async with Emulator(_config((out / "ipdect.cfg").as_uri(), "Fresh"),
                        tmp_path / "data") as emu:
        wanted.settings.pop("BasicSIP")  # the file's call server address differs per run
        await _assert_provisioned(emu, wanted, "North-Key-2026")
        c = await _client(emu, "omm", "North-Key-2026")
        assert (await _health(c))[HEALTH_COMPONENT]["severity"] == "OK"
        await c.close()



async def test_an_omm_with_a_mac_reads_its_own_file_after_the_common_one(
        tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "ipdect.cfg").write_text(
        '<CreateAccount plainText="1" replaceData="1"><account username="omm" '
        f'password="{OMM_PASSWORD}"/></CreateAccount>\n<SetSystemName name="Common"/>\n'
        '<SetDECTAuthCode ac="1111"/>\n', "utf-8")
    (files / "0030420D1E2F.cfg").write_text('<SetSystemName name="Own"/>\n', "utf-8")
    config = _config(files.as_uri() + "/") + 'mac = "00:30:42:0d:1e:2f"\n'
    async with Emulator(config, tmp_path / "data") as emu:
        c = await _client(emu)
        assert (await c.request("GetSystemName")).attrs["name"] == "Own"
        assert (await c.request("GetDECTAuthCode")).attrs["ac"] == "1111"
        await c.request("SetSystemName", {"name": "Changed"})
        await c.close()
        await emu.reset()  # as at start: wiped, then the files again
        c = await _client(emu)
        assert (await c.request("GetSystemName")).attrs["name"] == "Own"
        assert (await _health(c))[HEALTH_COMPONENT]["severity"] == "OK"
        await c.close()


def test_sipdect_omm_provision_gives_the_omm_that_file(tmp_path: Path,
                                                       monkeypatch: Any) -> None:
    import sipdect.app.cli as cli

    started: list[Any] = []

    async def run(cfg: Any, data_dir: Path, ready_file: Path) -> int:
        started.append(cfg)
        return 0

    monkeypatch.setattr(cli, "_run", run)
    source = tmp_path / "system.toml"
    source.write_text('[[omm]]\nname = "A"\n[[omm]]\nname = "B"\n', "utf-8")
    cfg = _write(tmp_path / "files")
    assert sipdect_main(["omm", "--config", str(source), "--name", "B",
                         "--provision", str(cfg)]) == 0
    assert [o.name for o in started[0].omms] == ["B"]
    assert started[0].omms[0].config_url == cfg.resolve().as_uri()
    assert sipdect_main(["omm", "--config", str(source), "--provision",
                         str(tmp_path / "nothing.cfg")]) == 2
