"""The OMM's user monitoring page over loopback HTTPS (OMP "DECT phones → User monitoring"):
the monitored users and their states, a user's mode and the system parameters set through
AXI as the logged-in account, errors beside their field, read-only accounts see no form."""

from __future__ import annotations

import re
from pathlib import Path

from omm_dir_site import VIEWER, VIEWER_PW, get, logged_in, post, serving


async def test_monitored_users_are_listed_with_their_states(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        alice = omm.model.users.create({"num": "201", "name": "Alice"})["uid"]
        omm.model.users.create({"num": "202", "name": "Bob"})
        status, text = await get(http, omm, "/monitoring")
        assert status == 200 and "No user is monitored" in text  # off by default
        assert 'href="/monitoring"' in text  # in the navigation
        status, path, text = await post(http, omm, "/monitoring/user",
                                        {"num": "201", "monitoringMode": "Active"})
        assert (status, path) == (200, "/monitoring") and "monitoring Active" in text
        assert omm.model.users.get(alice)["monitoringMode"] == "Active"
        row = re.search(rf'<tr data-uid="{alice}">(.*?)</tr>', text, re.S)
        assert row is not None and "Alice" in row.group(1) and ">Active<" in row.group(1)
        assert 'data-state="CUS">Unknown<' in row.group(1)  # the start-up phase
        assert "start-up phase" in text and 'data-uid="2"' not in text  # Bob: not monitored


async def test_parameters_are_set_and_errors_shown_beside_their_field(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm) as http:
        params = {"startupDelay": "2", "escalationDelay": "3", "activityTimeout1": "60",
                  "activityTimeout2": "10", "batteryThresholdValue": "25",
                  "locatingEscalation": "1"}
        status, _, text = await post(http, omm, "/monitoring", params)
        assert status == 200 and "parameters saved" in text
        stored = omm.model.settings.get("UserMonitoring")
        assert (stored["activityTimeout2"], stored["locatingEscalation"]) == (10, True)
        status, _, text = await post(http, omm, "/monitoring", {**params,
                                                                "activityTimeout2": "61"})
        assert status == 400 and 'id="err-activityTimeout2"' in text
        assert omm.model.settings.get("UserMonitoring")["activityTimeout2"] == 10
        status, _, text = await post(http, omm, "/monitoring/user",
                                     {"num": "999", "monitoringMode": "Active"})
        assert status == 400 and 'id="err-num"' in text


async def test_a_read_only_account_sees_the_page_without_forms(tmp_path: Path) -> None:
    async with serving(tmp_path) as omm, logged_in(omm, VIEWER, VIEWER_PW) as http:
        omm.model.users.create({"num": "201", "monitoringMode": "Passive"})
        status, text = await get(http, omm, "/monitoring")
        assert status == 200 and 'id="mode-form"' not in text and 'id="save-params"' not in text
        assert ">Passive<" in text
        status, _, _ = await post(http, omm, "/monitoring/user",
                                  {"num": "201", "monitoringMode": "Off"})
        assert status == 403
        assert omm.model.users.get(1)["monitoringMode"] == "Passive"
