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


def test_the_standby_omm_is_documented_and_a_bad_one_is_one_line_and_status_2(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "--omm2 HOST[:PORT]" in capsys.readouterr().out
    assert cli.parse_omm("192.0.2.8", "--omm2") == ("192.0.2.8", 16321)
    assert cli.main(["--omm", "127.0.0.1", "--omm2", "127.0.0.2:0", "--mac",
                     "00:30:42:1b:17:37"]) == 2
    err = capsys.readouterr().err
    assert err == "sipdect rfp: --omm2 '127.0.0.2:0': expected HOST:PORT, e.g. " \
                  "127.0.0.1:16321\n"
