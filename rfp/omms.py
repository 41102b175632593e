"""Which of its OMMs an RFP connects to next, and after what pause, without sockets or clock.

standby-eventmgr.md A.1 (an RFP learns OMM 1 and OMM 2: DHCP option 43 sub-options 10
`ommip1` and 19 `ommip2`), A.4 (an RFP whose active OMM dies reconnects to the other one).
"""

from __future__ import annotations

from collections.abc import Sequence

OmmAddress = tuple[str, int]
"""An OMM's (host, port) of its RFP link (omm-rfp.md §1: TCP 16321)."""


def omm_text(address: OmmAddress) -> str:
    """'host:port' ('[v6]:port'), as logs and status lines show an OMM."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class OmmChoice:
    """The RFP's ordered OMM addresses and where its next connection attempt goes.

    The rule (the spec says only that the RFP "reconnects to the other configured OMM"; the
    rest is our reading of a pair where exactly one OMM serves the RFPs at a time):

    - every attempt that ends without a running link (no TCP connection, the OMM refused
      the login or closed it, the handshake timed out) moves on to the other address at
      once: the one that failed may be the standby, which serves no RFP;
    - only when a whole round over all addresses failed does the RFP pause, with the
      backoff doubling up to `reconnect_max` (as with one OMM), so two dead OMMs are not
      hammered and one live OMM is found within one round;
    - a link that ran and was lost (closed, reset, heartbeats missed at the OMM) starts a
      new round at the other address, at once: that is the takeover, the standby has just
      become the active OMM there. With one address it waits `reconnect_min` as before.
    - a boot (power on) starts again at the first address, as a real RFP reads `ommip1`
      first from DHCP; a SYS_RESET of a running link keeps the OMM that sent it (it is the
      active one), see VirtualRfp.
    """

    def __init__(self, addresses: Sequence[OmmAddress], reconnect_min: float,
                 reconnect_max: float) -> None:
        if not addresses:
            raise ValueError("an RFP needs at least one OMM address")
        self.addresses: tuple[OmmAddress, ...] = tuple(addresses)
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self._index = 0
        self._failed = 0
        self._backoff = reconnect_min

    @property
    def current(self) -> OmmAddress:
        """Where the next attempt goes."""
        return self.addresses[self._index]

    def boot(self) -> None:
        """The RFP (re)starts: the first address, a fresh round, the shortest backoff."""
        self._index = 0
        self.linked()

    def linked(self) -> None:
        """The link to `current` runs: the next failure starts a fresh round."""
        self._failed = 0
        self._backoff = self.reconnect_min

    def failed(self) -> float:
        """The attempt at `current` ended without a running link. Moves on to the next
        address; returns the seconds to wait before trying it (0 inside a round)."""
        self._index = (self._index + 1) % len(self.addresses)
        self._failed += 1
        if self._failed < len(self.addresses):
            return 0.0
        self._failed = 0
        pause = self._backoff
        self._backoff = min(self._backoff * 2, self.reconnect_max)
        return pause

    def lost(self) -> float:
        """The running link to `current` was lost: a fresh round from the next address.
        Returns the seconds to wait first (0 with a second address)."""
        self.linked()
        return self.failed()
