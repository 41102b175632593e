"""`sipdect rfp` (rfp.cli): what a user gets for a wrong value, before anything connects, and
the addresses it reads (README "Commands")."""

from __future__ import annotations

import pytest

from rfp import cli
from sim.airlink import PORT as AIR_LINK_PORT


def test_addresses_take_their_default_port() -> None:
    assert cli.parse_omm("192.0.2.7") == ("192.0.2.7", 16321)
    assert cli.parse_address("192.0.2.7", "--air", AIR_LINK_PORT) == ("192.0.2.7", 16399)
    assert cli.parse_address("[::1]:7000", "--air", AIR_LINK_PORT) == ("::1", 7000)


@pytest.mark.parametrize("args, says", [
    (["--air", "127.0.0.1:16399"], "--air needs --air-id"),
    (["--air", "127.0.0.1:99999", "--air-id", "3"], "--air '127.0.0.1:99999': expected"),
    (["--air", "127.0.0.1", "--air-id", "3", "--cluster", "70000"],
     "--cluster 70000: an OMM's cluster is 0 to 65535"),
    (["--air", "127.0.0.1", "--air-id", "-1"], "rfp_id must be a 32-bit"),
])
def test_an_unusable_air_option_is_one_line_and_status_2(
        args: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--omm", "127.0.0.1", "--mac", "00:30:42:1b:17:37", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sipdect rfp: ") and says in err and err.count("\n") == 1
