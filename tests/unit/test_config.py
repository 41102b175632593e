"""System configuration parsing and its one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sipdect.app.config import ConfigError, load_config, parse_config
from sipdect.app.config_check import check_config, listener_of
from sipdect.tls import SecurityLevel


def test_embedded_default_has_one_omm_on_the_real_ports() -> None:
    cfg = load_config()
    (omm,) = cfg.omms
    assert (omm.axi_port, omm.axi_tls_port, omm.host) == (12621, 12622, "127.0.0.1")
    assert omm.tls_level is SecurityLevel.HIGH
    assert cfg.shifted(443) == 8443 and cfg.shifted(12621) == 12621 and cfg.shifted(0) == 0


@pytest.mark.parametrize("text, message", [
    ("[[omm]]\naxi_port = 70000\n", "not a TCP port"),
    ("[[omm]]\nfoo = 1\n", "unknown key"),
    ("[[omm]]\ntls_cert = 'a.pem'\n", "both tls_cert and tls_key"),
    ("[system]\n", "no [[omm]]"),
    ("[[omm]]\n[[omm.accounts]]\nusername = 'x'\n", "needs 'username' and 'password'"),
    ("[[omm\n", "not valid TOML"),
])
def test_errors_say_what_to_change(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        parse_config(text)


OMM = "[[omm]]\nname = \"OMM\"\n"


@pytest.mark.parametrize("text, message", [
    ("[[handset]]\nipei = '03074 0220259 4'\n", "ipei = '03074 0220259 4' is not an IPEI"),
    ("[[rfp]]\nmac = '00:30:42:1b:17:37'\nx = nan\n", "'x' must be a number of metres"),
    ("[[rfp]]\nmac = '00:30:42:1b:17:37'\ny = 1e9\n", "'y' must be a number of metres"),
    ("[[handsets]]\nipei = '03074 0220259 3'\n", "unknown key(s) handsets"),
    ("[system]\nportshift = 0\n", "[system]: unknown key(s) portshift"),
    ("[system]\nport_shift = 65535\n", "port_shift = 65535"),
    ("[[rfp]]\nomm = 'Other'\nmac = '00:30:42:1b:17:37'\n", "omm = 'Other' is no [[omm]]"),
    ("[[omm.accounts]]\nusername = 'x'\npassword = 'y'\npermissions = ['Root']\n",
     "permissions = ['Root']"),
    ("axi_clients = 0\n", "axi_clients must be at least 1"),
    ("tls_cert = 'no.pem'\ntls_key = 'no.key'\n", "tls_cert = 'no.pem': no such file"),
    ("[omm.settings]\nBasicSIP = 5\n", "settings.BasicSIP must be a table"),
])
def test_syntax_mistakes_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(OMM + text, "lab.toml")


@pytest.mark.parametrize("text, message", [
    ("[omm.settings.BasicSIP]\nregPort = 70000\n",
     "[[omm]] #1: [omm.settings.BasicSIP] out of range 1..65535: regPort='70000'"),
    ("[omm.settings.DevAutoCreate]\nenable = 'yes'\n", "not a boolean: enable='yes'"),
    ("[omm.settings.DECTAuthCode]\nac = '12ab'\n", "decimal digits: ac='12ab'"),
    ("[omm.settings.DECTSubscriptionMode]\nmode = 'Wildcard'\ntimeout = 61\n",
     "out of range 1..60: timeout='61'"),
    ("[omm.settings.SystemName]\nname = ['a']\n", "give a single value"),
    ("[omm.settings.PARK]\npark = '1'\n", "[omm.settings.PARK] is no settings group"),
    ("[omm.settings.SARI]\nsari = '1'\n", "[omm.settings.SARI] not a PARK"),
    ("[[rfp]]\nmac = '00:30:42:1b:17:37'\nhw_type = 'RFP 99'\n", "hw_type = 'RFP 99'"),
    ("[[rfp]]\nmac = '00:30:42:1b:17:37'\ncluster = 0\n", "cluster='0'"),
    ("[[rfp]]\nmac = '00:30:42:1b:17:37'\nname = '" + "n" * 33 + "'\n",
     "'name' is longer than 32"),
    ("[[handset]]\nipei = '03074 0220259 3'\nac = '3141592653'\n", "'ac' is longer than 8"),
    ("[[omm.sites]]\nid = 1\nsrtp = 'Always'\n",
     "[[omm]] #1.sites[0]: not one of Only/Preferred/Disabled: srtp='Always'"),
    ("[[omm.sites]]\nid = 2\nsrpt = 'Only'\n", "a site has no srpt; it has id, name,"),
    ("[[omm.sites]]\nid = 251\n", "out of range 1..250: id='251'"),
])
def test_component_rules_name_the_key(text: str, message: str) -> None:
    cfg = parse_config(OMM + text, "lab.toml")
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_config(cfg)


def test_checked_config_is_in_the_components_form() -> None:
    cfg = parse_config(OMM + """
[omm.settings.BasicSIP]
regPort = "5070"
[omm.settings.DevAutoCreate]
enable = true
[[rfp]]
mac = "0030421B1737"
[[handset]]
ipei = "0307402202593"
""", "lab.toml")
    check_config(cfg)
    assert cfg.omms[0].settings == {"BasicSIP": {"regPort": 5070},
                                    "DevAutoCreate": {"enable": True}}
    assert cfg.rfps[0].mac == "00:30:42:1b:17:37"
    assert cfg.handsets[0].ipei == "03074 0220259 3"
    check_config(cfg)  # checking again changes nothing
    assert cfg.omms[0].settings["BasicSIP"] == {"regPort": 5070}


def test_configured_sites_are_checked_as_create_site_checks_them() -> None:
    cfg = parse_config(OMM + "[[omm.sites]]\nid = 1\nsrtp = 'Only'\ndectSecurity = true\n"
                       "[[omm.sites]]\nid = 3\nname = 'Annex'\n", "lab.toml")
    check_config(cfg)
    assert cfg.omms[0].sites == [{"id": 1, "srtp": "Only", "dectSecurity": True},
                                 {"id": 3, "name": "Annex"}]
    with pytest.raises(ConfigError, match=re.escape("a site needs an 'id'")):
        parse_config(OMM + "[[omm.sites]]\nname = 'x'\n", "lab.toml")


def test_the_hardened_config_loads() -> None:
    cfg = load_config(Path(__file__).resolve().parents[2] / "configs" / "hardened.toml")
    check_config(cfg)
    assert cfg.omms[0].settings["BasicSIP"] == {"transportProt": "TLS"}
    assert cfg.omms[0].sites[0]["srtp"] == "Only"


def test_a_busy_port_is_traced_to_its_config_key() -> None:
    cfg = parse_config(OMM + 'axi_port = 12621\naddress = "127.0.0.1"\n[pbx]\nudp_port = 5060\n'
                       'address = "127.10.0.9"\n', "lab.toml")
    asyncio_style = OSError(98, "error while attempting to bind on address "
                                "('127.0.0.1', 12621): address already in use")
    sip_style = OSError("call server: cannot listen for SIP on udp:127.10.0.9:5060: in use")
    assert listener_of(cfg, asyncio_style).describe() == "[[omm]] #1 (OMM) axi_port = 12621"  # type: ignore[union-attr]
    assert listener_of(cfg, sip_style).describe() == "[pbx] udp_port = 5060"  # type: ignore[union-attr]
    assert listener_of(cfg, OSError("no address here")) is None


PAIR = """
[[omm]]
name = "A"
[omm.standby]
heartbeat = 1
silence = 3
[[omm]]
name = "B"
address = "127.10.9.9"
standby_of = "A"
[omm.standby]
secret = "s3cret"
version = "8.0"
[[rfp]]
mac = "00:30:42:00:00:01"
omm = "B"
"""


def test_a_standby_pair_is_one_system_with_each_other_s_address() -> None:
    cfg = parse_config(PAIR)
    a, b = cfg.omms
    assert cfg.standby_of == {"B": "A"} and cfg.partner_of("A") == "B"
    assert a.standby is not None and b.standby is not None
    assert (a.standby.partner, b.standby.partner) == ("127.10.9.9", a.host)
    assert a.standby.secret == b.standby.secret == "s3cret"  # the pair's, from either block
    assert (a.standby.heartbeat, b.standby.silence) == (1.0, 3.0)
    assert (a.standby.version, b.standby.version) == ("", "8.0")  # each OMM's own
    assert a.park == b.park and a.accounts == b.accounts
    assert cfg.rfps[0].omm == "A"  # naming either OMM of the pair means the pair


@pytest.mark.parametrize(("text", "message"), [
    ('[[omm]]\nname = "A"\n[[omm]]\nname = "B"\nstandby_of = "C"\n',
     "standby_of = 'C' names no earlier"),
    ('[[omm]]\nname = "A"\n[[omm]]\nname = "B"\nstandby_of = "A"\naxi_port = 1\n',
     "unknown key"),
    ('[[omm]]\nname = "A"\n[omm.standby]\nheartbeat = 1\n', "has [omm.standby] but no partner"),
    ('[[omm]]\nname = "A"\n[omm.standby]\nheartbeat = 5\nsilence = 5\n'
     '[[omm]]\nname = "B"\nstandby_of = "A"\n', "must be longer than heartbeat"),
    ('[[omm]]\nname = "A"\n[[omm]]\nname = "B"\nstandby_of = "A"\n'
     '[[omm]]\nname = "C"\nstandby_of = "A"\n', "a pair is two OMMs"),
])
def test_pair_mistakes_say_what_to_change(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(text)


def test_the_failover_demo_config_is_a_pair_of_processes() -> None:
    from pathlib import Path

    cfg = load_config(Path(__file__).resolve().parents[2] / "configs" / "failover.toml")
    assert cfg.standby_of == {"OMM-B": "OMM-A"}
    assert (len(cfg.rfps), len(cfg.handsets), len(cfg.users)) == (4, 4, 4)
    check_config(cfg, ports=True)


def test_an_omm_s_configuration_url_and_mac(tmp_path: Path) -> None:
    cfg = parse_config('[[omm]]\nname = "A"\nconfig_url = "prov/ipdect.cfg"\n'
                       'mac = "00:30:42:0d:1e:2f"\n', "s.toml", tmp_path)
    assert cfg.omms[0].config_url == (tmp_path / "prov" / "ipdect.cfg").resolve().as_uri()
    assert cfg.omms[0].mac == "00:30:42:0d:1e:2f"
    with pytest.raises(ConfigError, match="config_url: 'https:///x' is not|no server named"):
        parse_config('[[omm]]\nconfig_url = "https:///x"\n', "s.toml", tmp_path)
    with pytest.raises(ConfigError, match="mac: '00:30' is not a MAC"):
        parse_config('[[omm]]\nmac = "00:30"\n', "s.toml", tmp_path)
