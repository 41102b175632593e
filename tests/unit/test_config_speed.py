"""`[system] speed` and `--speed`: checked where a user writes them, one line naming what to
change (README "Speed")."""

from __future__ import annotations

import pytest

from sipdect import clock
from sipdect.app.cli import main
from sipdect.app.config import ConfigError, load_config, parse_config
from sipdect.app.config_check import check_config

OMM = '[[omm]]\nname = "OMM"\n'


def test_the_speed_defaults_to_real_time_and_takes_a_number() -> None:
    assert load_config().speed == 1.0
    assert parse_config(f"[system]\nspeed = 60\n{OMM}").speed == 60.0
    assert parse_config(f"[system]\nspeed = 0.5\n{OMM}").speed == 0.5


@pytest.mark.parametrize("value", ["0", "-3", '"60"', "true", "1e9", "inf", "nan"])
def test_an_unusable_speed_is_one_line_naming_the_key(value: str) -> None:
    with pytest.raises(ConfigError, match=r"<string>: \[system\]: speed = .*: give "):
        parse_config(f"[system]\nspeed = {value}\n{OMM}")


def test_a_config_built_in_code_is_checked_too() -> None:
    cfg = load_config()
    cfg.speed = 0
    with pytest.raises(ConfigError, match=r"\[system\]: speed = 0: give a speed above 0"):
        check_config(cfg, ports=False)


def test_up_refuses_a_bad_speed_option_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    saved = clock.process_clock()
    try:
        assert main(["up", "--speed", "0"]) == 2
    finally:
        clock.adopt(saved)
    err = capsys.readouterr().err
    assert "sipdect: --speed: speed = 0.0: give a speed above 0" in err
    assert "Traceback" not in err
