"""SipConfig from the BasicSIP, BackupSIP and SecureSIP groups (AXI BasicSIPSetType,
BackupSIPType, SecureSIPType): server tiers, transports and URIs, first hops."""

from __future__ import annotations

from typing import Any

from omm.model import DEFAULT_SETTINGS
from omm.sip import SipConfig
from sipdect.sip import Peer, Transport
from sipdect.tls import DEFAULT_LEVEL


class Settings:
    def __init__(self, **groups: dict[str, Any]) -> None:
        self.groups = {k: {**v} for k, v in DEFAULT_SETTINGS.items()}
        for name, values in groups.items():
            self.groups[name].update(values)

    def get(self, group: str) -> dict[str, Any]:
        return self.groups.setdefault(group, {})


def test_no_server_no_configuration() -> None:
    assert SipConfig.from_settings(Settings()) is None


def test_registrar_falls_back_to_the_proxy_and_calls_go_to_the_proxy() -> None:
    config = SipConfig.from_settings(Settings(BasicSIP={"proxyServer": "p.example",
                                                        "proxyPort": 5070}))
    assert config is not None
    [primary] = config.servers
    assert (primary.host, primary.port, primary.tier) == ("p.example", 5070, "Primary")
    both = SipConfig.from_settings(Settings(BasicSIP={
        "proxyServer": "p.example", "regServer": "r.example", "regPort": 5080}))
    assert both is not None and both.servers[0].call_server == ("p.example", 5060)


def test_backup_tiers_only_when_failover_is_active() -> None:
    backup = {"secondaryRegServer": "s.example", "tertiaryProxyServer": "t.example",
              "tertiaryProxyPort": 5062, "failoverTime": 5}
    off = SipConfig.from_settings(Settings(BasicSIP={"regServer": "r"}, BackupSIP=backup))
    on = SipConfig.from_settings(Settings(BasicSIP={"regServer": "r"},
                                          BackupSIP={**backup, "failoverActive": True}))
    assert off is not None and len(off.servers) == 1
    assert on is not None and on.failover_time == 5
    assert [(s.tier, s.host, s.port) for s in on.servers] == [
        ("Primary", "r", 5060), ("Secondary", "s.example", 5060),
        ("Tertiary", "t.example", 5062)]


def test_transports_and_uris() -> None:
    tls = SipConfig.from_settings(Settings(BasicSIP={"regServer": "r",
                                                     "transportProt": "PersistentTLS"}))
    assert tls is not None and tls.transport is Transport.TLS
    assert str(tls.server_uri("r", 5061)) == "sip:r:5061;transport=tls"
    sips = SipConfig.from_settings(Settings(BasicSIP={"regServer": "r", "transportProt": "TLS"},
                                            SecureSIP={"sendSipsOverTLS": True}))
    assert sips is not None and str(sips.server_uri("r", 5061, "1001")) == "sips:1001@r:5061"
    both = SipConfig.from_settings(Settings(BasicSIP={"regServer": "r",
                                                      "transportProt": "UDPAndTCP"}))
    assert both is not None and both.transport is Transport.UDP
    options = sips.tls_options(DEFAULT_LEVEL)
    assert options.verify_certificate and options.check_common_name


def test_first_hop_is_the_outbound_proxy_with_a_loose_route() -> None:
    config = SipConfig.from_settings(Settings(BasicSIP={
        "regServer": "r", "regPort": 5070, "transportProt": "TCP",
        "outboundProxyServer": "o", "outboundProxyPort": 5090}))
    assert config is not None
    peer, routes = config.first_hop(config.servers[0], ("r", 5070))
    assert peer == Peer(Transport.TCP, "o", 5090)
    assert [str(r.uri) for r in routes] == ["sip:o:5090;transport=tcp;lr"]
    plain = SipConfig.from_settings(Settings(BasicSIP={"regServer": "r", "regPort": 5070}))
    assert plain is not None
    assert plain.first_hop(plain.servers[0], ("r", 5070)) == (Peer(Transport.UDP, "r", 5070), [])
