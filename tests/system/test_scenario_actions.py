"""The scenario actions and expectations the examples do not use, on one inline system with
a SIP phone: phone register/call/answer/hang up, host stop/start, link cut/heal, handset
add/move/power/keys, raw AXI XML, the event stream, `at` times and a walk that goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdect.app.scenario import run
from sipdect.app.scenario.model import parse_duration

pytestmark = [pytest.mark.slow]

SCENARIO = """
[scenario]
name = "actions"

[system]
name = "actions"
addresses = "127.41.0.0/16"

[[system.omm]]
name = "OMM"
[[system.omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"
[[system.omm.accounts]]
username = "monitor"
password = "Sipdect-Read-2026"
permissions = ["AllCnfRead", "Monitoring"]
[system.omm.settings.DECTSubscriptionMode]
mode = "Configured"
[system.omm.settings.DECTAuthCode]
ac = "31415"

[[system.rfp]]
mac = "00:30:42:41:00:01"
name = "RFP West"
x = 0.0
[[system.rfp]]
mac = "00:30:42:41:00:02"
name = "RFP East"
x = 30.0

[system.pbx]
name = "pbx"
[[system.pbx.accounts]]
user = "300"
password = "Sipdect-Sip-300"

[[system.user]]
number = "201"
name = "Alice"
sip_password = "Sipdect-Sip-201"
handset = "03074 0220259 3"

[[system.handset]]
ipei = "03074 0220259 3"
name = "Alice's 622d"
x = 2.0

[[system.phone]]
name = "softphone"
user = "300"
password = "Sipdect-Sip-300"

[[step]]
group = "phone"
expect = { phone = "softphone", registered = true }
within = "20s"

[[step]]
phone = "softphone"
call = "201"

[[step]]
expect = { handset = "Alice", call_state = "incoming", display = "~300" }
within = "10s"

[[step]]
handset = "Alice"
answer = true

[[step]]
expect = { phone = "softphone", call_state = "connected" }
within = "10s"

[[step]]
phone = "softphone"
hangup = true

[[step]]
expect = { handset = "Alice", call_state = "idle" }
within = "10s"

[[step]]
group = "hosts"
host = "softphone"
stop = true

[[step]]
expect = { host = "softphone", state = "stopped" }
within = "5s"

[[step]]
expect = { event = "host", subject = "host softphone", text = "stopped" }
within = "5s"

[[step]]
phone = "softphone"
register = true

[[step]]
expect = { registration = "300", registered = true }
within = "20s"

[[step]]
cut = ["RFP East", "OMM"]

[[step]]
expect = { event = "fault", subject = "~RFP East", text = "~cut" }
within = "5s"

[[step]]
heal = ["RFP East", "OMM"]

[[step]]
expect = { rfp = "RFP East", linked = true }
within = "30s"

[[step]]
group = "handsets"
handset = "Dan"
add = { ipei = "00077 0010003 8", x = 28, y = 0 }

[[step]]
expect = { handset = "Dan", attached = true, rfp = "RFP East" }
within = "20s"

[[step]]
handset = "Dan"
move = [1, 0]

[[step]]
expect = { handset = "Dan", rfp = "RFP West", x = 1 }
within = "10s"

[[step]]
handset = "Dan"
power = false

[[step]]
expect = { handset = "Dan", attached = false }
within = "10s"

[[step]]
handset = "Dan"
power = true

[[step]]
expect = { handset = "Dan", rfp = "RFP West", subscribed = true }
within = "20s"

[[step]]
handset = "Alice"
keys = "202"

[[step]]
expect = { handset = "Alice", display = "~202" }
within = "5s"

[[step]]
group = "axi and time"
axi = "<GetRFPSummary/>"
account = "monitor"
answer = { nRFPs = 2 }

[[step]]
handset = "Alice"
walk = [[10, 0], [29, 0]]
speed = 20
background = true

[[step]]
at = "15s"
name = "a timed step waits for its time"
wait = "10ms"

[[step]]
expect = { handset = "Alice", rfp = "RFP East" }
within = "20s"
"""


def test_every_action_kind_runs_on_a_site(tmp_path: Path) -> None:
    path = tmp_path / "actions.toml"
    path.write_text(SCENARIO, "utf-8")
    lines: list[str] = []
    [result] = run.run_files([path], speed=1, out=lines.append)
    assert result.passed, result.scenario.detail
    timed = next(line for line in lines if "a timed step waits" in line)
    started = parse_duration(timed.split("]")[0].strip(" ["))
    assert started >= 15.0, timed  # not before its time (never compared with a clock)
