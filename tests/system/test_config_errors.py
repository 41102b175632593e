"""`sipdect up --config BAD` as a user meets it: every mistake in the file ends with exit status
2 and one line naming the file, the key and what to change, never a traceback; a port held by
another program is told apart from two listeners of the config on one port (README
"Configuration")."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BASE = """
[system]
name = "bad-config"
control_port = 0

[[omm]]
name = "OMM"
axi_port = 0
axi_tls_port = 0
rfp_port = 0
web_port = 0
web_tls_port = 0
"""


def run_up(tmp_path: Path, config: str) -> tuple[int, list[str], str, Path]:
    """Exit status, stderr lines and text of `sipdect up` with `config`, and its file."""
    path = tmp_path / "bad.toml"
    path.write_text(config, "utf-8")
    result = subprocess.run([sys.executable, "-m", "sipdect.app.cli", "up", "--config", str(path),
                             "--data-dir", str(tmp_path / "data")],
                            capture_output=True, timeout=60, text=True)
    return result.returncode, result.stderr.splitlines(), result.stderr, path


@pytest.mark.parametrize("mistake, key, says", [
    ('[[rfp]]\nmac = "00:30:42:zz:17:37"\n', "mac", "not an Ethernet address"),
    ('[[rfp]]\nmac = "00:30:42:1b:17:37"\n[[rfp]]\nmac = "00-30-42-1B-17-37"\n', "mac",
     "also [[rfp]] #1"),
    ('[[handset]]\nipei = "03074 0220259 3"\n[[handset]]\nipei = "0307402202593"\n', "ipei",
     "also [[handset]] #1"),
    ('[omm.settings.DECTSubscriptionMode]\nmode = "Sometimes"\n', "mode",
     "not one of Off/Configured/Wildcard"),
    ('[omm.settings.DECTSubscriptonMode]\nmode = "Configured"\n', "DECTSubscriptonMode",
     "no settings group"),
    ('[omm.settings.BasicSIP]\nregserver = "192.0.2.1"\n', "regserver", "it has proxyServer"),
    ('[[rfp]]\nmac = "00:30:42:1b:17:37"\naddress = "10.0.0.7"\n', "address",
     "give an address of 127.0.0.0/8"),
    ('[[rfp]]\nmac = "00:30:42:1b:17:37"\naddress = "127.10.9.9"\n'
     '[[rfp]]\nmac = "00:30:42:1b:17:38"\naddress = "127.10.9.9"\n', "address",
     "also [[rfp]] #1's"),
    ('[[rfp]]\nmac = "00:30:42:1b:17:37"\nisolation = "thread"\n', "isolation",
     "give none or process"),
    # Found only at start, by the OMM's model: the config names no site 7.
    ('[[rfp]]\nmac = "00:30:42:1b:17:37"\nsite = 7\n', "site", "does not exist"),
])
def test_a_mistake_is_one_line_naming_file_and_key(tmp_path: Path, mistake: str, key: str,
                                                   says: str) -> None:
    status, lines, text, path = run_up(tmp_path, BASE + mistake)
    assert (status, len(lines)) == (2, 1), text
    assert "Traceback" not in text
    (line,) = lines
    assert str(path) in line and key in line and says in line, line


@pytest.mark.parametrize("ports, first, second", [
    # One host, two listeners on one port.
    ("[[omm]]\nname = \"OMM\"\naxi_port = 17400\naxi_tls_port = 0\nrfp_port = 17400\n",
     "[[omm]] #1 (OMM) axi_port = 17400", "[[omm]] #1 (OMM) rfp_port = 17400"),
    # The control API listens on 127.0.0.1, where this OMM is too.
    ("[system]\ncontrol_port = 17321\n[[omm]]\nname = \"OMM\"\naddress = \"127.0.0.1\"\n"
     "axi_port = 0\naxi_tls_port = 17321\nrfp_port = 0\n",
     "[[omm]] #1 (OMM) axi_tls_port = 17321", "[system] control_port = 17321"),
    ("[[omm]]\nname = \"OMM\"\naxi_port = 0\naxi_tls_port = 0\nrfp_port = 0\n"
     "[pbx]\nudp_port = 0\ntcp_port = 17500\ntls_port = 17500\n",
     "[pbx] tcp_port = 17500", "[pbx] tls_port = 17500"),
])
def test_two_listeners_on_one_port_are_named_not_blamed_on_another_program(
        tmp_path: Path, ports: str, first: str, second: str) -> None:
    status, lines, text, path = run_up(tmp_path, ports)
    assert (status, len(lines)) == (2, 1), text
    (line,) = lines
    assert str(path) in line and first in line and second in line, line
    assert "another program" not in line and "Traceback" not in text


def test_a_port_held_by_another_program_says_so(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        config = BASE.replace("axi_port = 0", f"axi_port = {port}").replace(
            'name = "OMM"', 'name = "OMM"\naddress = "127.0.0.1"')
        status, lines, text, _ = run_up(tmp_path, config)
    assert status == 1 and "Traceback" not in text
    line = lines[-1]
    assert "another program" in line and f"axi_port = {port}" in line, text
