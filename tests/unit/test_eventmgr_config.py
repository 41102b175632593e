"""[eventmgr] in a system config: what it gives the Event Manager, and one clear line for
each mistake (the file, the table and what to change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdect.app.config import ConfigError, load_config, parse_config

OMM = '[[omm]]\nname = "A"\n'


def test_the_alarm_demo_config() -> None:
    cfg = load_config(Path(__file__).resolve().parents[2] / "configs" / "alarm.toml")
    [host] = cfg.eventmgrs
    assert (host.name, host.omm, host.em.espa_port) == ("EventManager", "OMM", 2023)
    [rule] = host.em.rules
    assert (rule.match, rule.steps, rule.escalate_after) == ("201", (("201",), ("202",)), 30.0)
    assert "eventmgr" in [h.kind for h in cfg.hosts()]
    assert (host.web_port, host.web_tls_port, host.em.tls_level) == (8082, 8444, "High")


def test_the_web_ui_ports_and_tls_level() -> None:
    cfg = parse_config(OMM + '[eventmgr]\nweb_port = 0\nweb_tls_port = 9444\n'
                       'tls_level = "Medium"\n')
    [host] = cfg.eventmgrs
    assert (host.web_port, host.web_tls_port, host.em.tls_level) == (0, 9444, "Medium")


@pytest.mark.parametrize(("em", "error"), [
    ('omm = "B"', "is no [[omm]] of this file"),
    ('username = "x"', "give both username and password"),
    ('espa_address = "12"', "one digit"),
    ('traps = [{port = 1}]', "a trap target is"),
    ('[[eventmgr.rules]]\nname = "r"\nsteps = [["group:day"]]', "names no group"),
    ('[[eventmgr.rules]]\nname = "r"\nsteps = []', "at least one step"),
    ("colour = 1", "unknown key"),
    ("locate_every = 0", "locate_every is seconds above 0"),
    ('[[eventmgr.rules]]\nname = "r"\nsteps = [["near:1,2,-5"]]', "the radius is metres above 0"),
    ('tls_level = "Low"', "tls_level (of the web UI) must be High, Medium or Legacy"),
    ("web_tls_port = 70000", "web_tls_port"),
])
def test_mistakes_name_file_and_key(em: str, error: str) -> None:
    with pytest.raises(ConfigError, match="em.toml") as caught:
        parse_config(OMM + "[eventmgr]\n" + em, "em.toml")
    assert error in str(caught.value)
