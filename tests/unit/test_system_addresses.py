"""Where a system's hosts get their addresses (sipdect.app.system): a system of the library
face or the tests draws its block at random, and RFPs added while it runs find an address even
when that block is full; a configured block is the user's to size."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sipdect.app.config import parse_config
from sipdect.app.system import RANDOM_BLOCKS, System


def _holding(address: str) -> Any:
    """A host as far as addresses go."""
    return SimpleNamespace(address=address)


CONFIG = '[system]\nname = "addresses"\n[[omm]]\nname = "OMM"\n'


def test_a_random_block_that_fills_up_is_followed_by_another(tmp_path: Path) -> None:
    system = System(parse_config(CONFIG), tmp_path, any_port=True)
    first = ipaddress.IPv4Network(system.address_block)
    assert first.subnet_of(RANDOM_BLOCKS) and first.prefixlen == 24
    # The OMM holds one address; hosts added at run time take the rest of the block.
    for address in map(str, first.hosts()):
        if address != system.hosts["OMM"].address:
            system.hosts[address] = _holding(address)
    more = system._free_address()
    assert ipaddress.IPv4Address(more) in RANDOM_BLOCKS
    assert ipaddress.IPv4Address(more) not in first


def test_a_configured_block_that_fills_up_says_so(tmp_path: Path) -> None:
    cfg = parse_config(CONFIG.replace('name = "addresses"\n',
                                      'name = "addresses"\naddresses = "127.77.0.0/30"\n'))
    system = System(cfg, tmp_path)
    assert system.hosts["OMM"].address == "127.77.0.1"
    system.hosts["other"] = _holding("127.77.0.2")
    with pytest.raises(ValueError, match="no free address left in 127.77.0.0/30; give"):
        system._free_address()


PAIR = '[[omm]]\nname = "A"\n[[omm]]\nname = "B"\nstandby_of = "A"\n'


def test_a_pair_without_a_secret_gets_one_kept_in_the_data_directory(tmp_path: Path) -> None:
    first = System(parse_config(PAIR), tmp_path)
    a, b = first.cfg.omms
    assert a.standby is not None and b.standby is not None
    assert a.standby.secret and a.standby.secret == b.standby.secret
    secret_file = tmp_path / "standby" / "A.secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    again = System(parse_config(PAIR), tmp_path)  # the same secret at every start
    assert again.cfg.omms[0].standby is not None
    assert again.cfg.omms[0].standby.secret == a.standby.secret


def test_a_pair_omm_run_alone_must_be_given_the_secret(tmp_path: Path) -> None:
    from sipdect.app.config import ConfigError

    with pytest.raises(ConfigError, match=r"needs \[omm.standby\] secret"):
        System(parse_config(PAIR), tmp_path, inside="A")
