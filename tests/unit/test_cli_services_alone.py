"""`sipdect mom` and `sipdect eventmgr`: a config without the section, or without the name
asked for, is one line naming it and exit status 2 (before anything starts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdect.app.cli import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize(("command", "config", "name", "said"), [
    ("mom", "default.toml", None, "the config has no [mom]"),
    ("eventmgr", "default.toml", None, "the config has no [eventmgr]"),
    ("eventmgr", "alarm.toml", "X", "no [eventmgr] named 'X'; known: EventManager"),
    ("mom", "roaming.toml", "Nobody", "no [mom] named 'Nobody'; known: "),
])
def test_a_missing_service_is_one_line_and_status_2(
        command: str, config: str, name: str | None, said: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = [command, "--config", str(CONFIGS / config)] + (["--name", name] if name else [])
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0]
