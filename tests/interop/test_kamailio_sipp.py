"""kamailio and sipp as they are: kamailio starts from interop/kamailio.cfg on a free port,
two sipp users register and one calls the other through it (ACK and BYE via Record-Route).
If this fails the peers are broken, not sipdect."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_peers import KAMAILIO_USERS, Kamailio, free_port, sipp_call, sipp_register

pytestmark = pytest.mark.interop


def test_kamailio_answers_and_shows_registrations(kamailio: Kamailio, tmp_path: Path) -> None:
    assert "kamailio" in kamailio.rpc("core.version").lower()
    result = sipp_register(tmp_path, kamailio.hostport, "203", KAMAILIO_USERS["203"],
                           local_port=free_port())
    assert result.ok, result.describe()
    assert "203" in kamailio.wait_registered(["203"])


def test_a_wrong_password_is_refused(kamailio: Kamailio, tmp_path: Path) -> None:
    result = sipp_register(tmp_path, kamailio.hostport, "204", "not-the-password",
                           local_port=free_port())
    assert not result.ok
    assert result.messages.count("SIP/2.0 401") >= 2  # the challenge, then the refusal
    assert "SIP/2.0 200" not in result.messages


def test_sipp_calls_sipp_through_kamailio(kamailio: Kamailio, tmp_path: Path) -> None:
    call = sipp_call(tmp_path, kamailio.hostport, ("201", KAMAILIO_USERS["201"]),
                     ("202", KAMAILIO_USERS["202"]))
    assert call.ok, call.describe()
    # The caller's ACK and BYE carried kamailio's Record-Route as Route.
    assert f"Route: <sip:127.0.0.1:{kamailio.port};lr" in call.caller.messages
    assert "BYE sip:" in call.callee.messages

