"""A real third-party AXI client, mitel-ommclient2 from PyPI, pointed at the MOM's MAXI port:
login, ping, users and devices (axi.md §8.2; docs/mom.md "MAXI").

MAXI is TLS only; the client's OMMClient2 connects with its plain `Connection`, so the test has
it use the package's own `SSLConnection`, at TLS 1.2: its receive loop knows no
SSLWantReadError, which TLS 1.3's session tickets after the handshake raise in it. Every call
completing is the assertion: the client dies on any element or attribute a real OMM would not
send.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any

import mitel_ommclient2 as m2
import mitel_ommclient2.client
import mitel_ommclient2.connection
import pytest
from maxi_host import Maxi

# The client's receive thread trips over its own closed socket after close().
pytestmark = [pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

IPEI = "03074 0220259 3"


class Tls12Connection(mitel_ommclient2.connection.SSLConnection):  # type: ignore[misc]
    """The package's SSLConnection with TLS 1.2 at most (see the module docstring)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        self._socket = context.wrap_socket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))


@pytest.fixture(autouse=True)
def over_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mitel_ommclient2.client, "Connection", Tls12Connection)


async def in_thread(fn: Any, seconds: float = 30.0) -> Any:
    """The client blocks; run it beside the MOM's loop and give up at a deadline."""
    return await asyncio.wait_for(asyncio.to_thread(fn), seconds)


async def test_login_ping_users_and_devices(maxi: Maxi) -> None:
    device = maxi.model.directory.create_device({"ipei": IPEI})

    def scenario() -> dict[str, Any]:
        c = m2.OMMClient2(maxi.host, "mom", maxi.password, port=maxi.port)
        out: dict[str, Any] = {"ping": c.ping()}
        user = c.create_user("5001")
        out["uid"] = user.uid
        c.set_user_name(user.uid, "Carol")
        c.set_user_sipauth(user.uid, "5001", "sip-secret")  # RSA with the MOM's key
        out["user"] = c.get_user(user.uid)
        out["users"] = list(c.get_users())
        out["account"] = c.get_account(1)
        out["attached"] = c.attach_user_device(user.uid, device["ppn"])
        c.set_user_relation_fixed(user.uid)
        out["device"] = c.get_device(device["ppn"])
        out["devices"] = list(c.get_devices())
        out["detached"] = c.detach_user_device(user.uid, device["ppn"])
        c.connection.close()
        return out

    out = await in_thread(scenario)
    assert out["ping"] is True
    assert out["user"].name == "Carol" and out["user"].sipAuthId == "5001"
    assert [u.num for u in out["users"]] == ["5001"]
    assert out["account"].username == "mom"
    user, pp = out["attached"]
    assert (user.ppn, pp.uid) == (device["ppn"], out["uid"])
    assert str(out["device"].relType) == "Fixed" and out["device"].ipei == IPEI
    assert [d.ipei for d in out["devices"]] == [IPEI]
    user_after, pp_after = out["detached"]
    assert (user_after.ppn, user_after.ppnOld, pp_after.uid) == (0, device["ppn"], 0)
    stored = maxi.model.directory.get_user(out["uid"])
    assert maxi.model.directory.user_secret(stored, "sipPw") == "sip-secret"


async def test_wrong_password_raises_eauth(maxi: Maxi) -> None:
    with pytest.raises(m2.exceptions.EAuth):
        await in_thread(lambda: m2.OMMClient2(maxi.host, "mom", "nope", port=maxi.port))
