"""A real third-party AXI client, mitel-ommclient2 from PyPI, against the emulator (axi.md §8.2).

The client runs its own receive thread over plain TCP; it dies on any element or
attribute a real OMM would not send, so every call completing is the assertion.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

import mitel_ommclient2 as m2
import pytest

from sipdect.app.emulator import OmmHandle

# The client's receive thread trips over its own closed socket after close().
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def run_with_timeout(fn: Callable[[], Any], seconds: float = 20.0) -> Any:
    """The client blocks forever when it chokes; turn that into a test failure."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(fn).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)


def test_login_ping_users_devices_and_relations(omm: OmmHandle) -> None:
    def scenario() -> dict[str, Any]:
        c = m2.OMMClient2(omm.host, omm.username, omm.password, port=omm.port, ommsync=True)
        out: dict[str, Any] = {"ping": c.ping()}
        user = c.create_user("5001")
        out["uid"] = user.uid
        c.set_user_name(user.uid, "Carol")
        c.set_user_sipauth(user.uid, "5001", "sip-secret")  # RSA via GetPublicKey
        out["user"] = c.get_user(user.uid)
        out["users"] = list(c.get_users())
        out["account"] = c.get_account(1)
        out["devices_before"] = list(c.get_devices())
        c.connection.close()
        return out

    out = run_with_timeout(scenario)
    assert out["ping"] is True
    assert out["user"].name == "Carol" and out["user"].sipAuthId == "5001"
    assert [u.num for u in out["users"]] == ["5001"]
    assert out["account"].username == omm.username
    assert out["devices_before"] == []
    # the SIP password arrived encrypted and is stored recoverable
    user = omm.model.users.get(out["uid"])
    assert omm.model.users.secret(user, "sipPw") == "sip-secret"


def test_attach_and_detach_a_device(omm: OmmHandle, sipdect_emulator: Any) -> None:
    ppn = sipdect_emulator.call(lambda: omm.model.devices.create(
        {"ipei": "03074 0220259 3"})["ppn"])

    def scenario() -> tuple[Any, Any, Any]:
        c = m2.OMMClient2(omm.host, omm.username, omm.password, port=omm.port, ommsync=True)
        user = c.create_user("6001")
        attached = c.attach_user_device(user.uid, ppn)
        c.set_user_relation_fixed(user.uid)
        device = c.get_device(ppn)
        detached = c.detach_user_device(user.uid, ppn)
        c.connection.close()
        return attached, device, detached

    (user, pp), device, (user_after, pp_after) = run_with_timeout(scenario)
    assert (user.ppn, pp.uid, str(pp.relType)) == (ppn, user.uid, "Dynamic")
    assert str(device.relType) == "Fixed" and device.ipei == "03074 0220259 3"
    assert (user_after.ppn, user_after.ppnOld, pp_after.uid) == (0, ppn, 0)


def test_wrong_password_raises_eauth(omm: OmmHandle) -> None:
    with pytest.raises(m2.exceptions.EAuth):
        run_with_timeout(lambda: m2.OMMClient2(omm.host, omm.username, "nope", port=omm.port))
