"""System configuration parsing and its one-line errors."""

from __future__ import annotations

import pytest

from sipdect.config import ConfigError, load_config, parse_config
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
