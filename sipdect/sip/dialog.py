"""SIP dialogs and routing: RFC 3261 §12 (dialogs), §12.2.1.1 and §8.1.2 (Route and next hop),
§16.4/§16.6/§16.12 (a proxy's Route processing, loose and strict routers).

A Dialog is plain state made from the request and response that created it. It numbers
CSeq, builds in-dialog requests (ACK for 2xx, BYE, re-INVITE, INFO, ...) with the right
Request-URI and Route set, and checks incoming in-dialog requests. No Via: the transport
adds its own when sending.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sipdect.sip import constants as c
from sipdect.sip.message import (
    Address,
    Headers,
    Request,
    Response,
    SipUri,
    make_response,
)

# Requests that may change the remote target (§12.2, RFC 3311 UPDATE, RFC 3265, RFC 3515).
TARGET_REFRESH_METHODS = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})

# Table 1 of §19.1.1: what a Request-URI built from a strict router's URI may not carry.
_NOT_IN_REQUEST_URI = frozenset({"method"})


class DialogError(Exception):
    """An in-dialog request or response the dialog refuses; `status` is the answer to send."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class Role(enum.StrEnum):
    UAC = "UAC"
    UAS = "UAS"


class DialogState(enum.StrEnum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class DialogId:
    """Call-ID, local tag and remote tag (§12)."""

    call_id: str
    """Call-ID."""
    local_tag: str
    """Our tag."""
    remote_tag: str
    """The peer's tag."""

    @classmethod
    def of_request(cls, request: Request) -> DialogId:
        """The dialog a received in-dialog request belongs to (we are the UAS of it)."""
        return cls(request.call_id, request.to.tag or "", request.from_.tag or "")

    @classmethod
    def of_response(cls, response: Response) -> DialogId:
        """The dialog a received response belongs to (we sent the request)."""
        return cls(response.call_id, response.from_.tag or "", response.to.tag or "")


def _without_tag(address: Address) -> Address:
    params = {k: v for k, v in address.params.items() if k != "tag"}
    return Address(address.uri, address.display_name, params)


def _with_tag(address: Address, tag: str) -> Address:
    return Address(address.uri, address.display_name, {**address.params, "tag": tag})


@dataclass
class Dialog:
    """One dialog's state (§12.1) and the requests made within it (§12.2)."""

    role: Role
    """Whether we created it as UAC or UAS."""
    call_id: str
    """Call-ID."""
    local_tag: str
    """Our tag."""
    remote_tag: str
    """The peer's tag."""
    local_party: Address
    """Our URI (From of our requests), without tag."""
    remote_party: Address
    """Their URI (To of our requests), without tag."""
    remote_target: SipUri
    """Where requests go: the peer's Contact, refreshed by target-refresh requests."""
    route_set: list[Address] = field(default_factory=list)
    """Route set from Record-Route: reversed for a UAC, as is for a UAS (§12.1)."""
    local_seq: int | None = None
    """CSeq of our last request; None until we send one (UAS side)."""
    remote_seq: int | None = None
    """CSeq of the peer's last request; None until it sends one (UAC side)."""
    secure: bool = False
    """Requests must use sips (§12.1.1)."""
    state: DialogState = DialogState.CONFIRMED
    """Early, confirmed or terminated."""
    local_contact: Address | None = None
    """Our Contact, put into target-refresh requests."""

    @property
    def id(self) -> DialogId:
        return DialogId(self.call_id, self.local_tag, self.remote_tag)

    # -- creation ----------------------------------------------------------------------------

    @classmethod
    def from_uac(cls, request: Request, response: Response,
                 local_contact: Address | None = None) -> Dialog:
        """The dialog a 1xx/2xx with a To tag creates at the UAC (§12.1.2)."""
        remote_tag = response.to.tag
        local_tag = request.from_.tag
        if not remote_tag or not local_tag:
            raise DialogError(400, "a dialog needs tags in both From and To")
        contacts = response.contacts
        return cls(
            role=Role.UAC,
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=remote_tag,
            local_party=_without_tag(request.from_),
            remote_party=_without_tag(response.to),
            # A response without Contact breaks §12.1.2; fall back to the Request-URI.
            remote_target=contacts[0].sip_uri if contacts else request.uri.copy(),
            route_set=list(reversed(response.record_routes)),
            local_seq=request.cseq.seq,
            secure=request.uri.secure,
            state=DialogState.EARLY if response.status < 200 else DialogState.CONFIRMED,
            local_contact=local_contact or next(iter(request.contacts), None),
        )

    @classmethod
    def from_uas(cls, request: Request, response: Response,
                 local_contact: Address | None = None) -> Dialog:
        """The dialog our 1xx/2xx (with its To tag) creates at the UAS (§12.1.1)."""
        local_tag = response.to.tag
        remote_tag = request.from_.tag
        if not local_tag or not remote_tag:
            raise DialogError(400, "a dialog needs tags in both From and To")
        contacts = request.contacts
        if not contacts:
            raise DialogError(400, "a dialog-creating request needs a Contact")
        return cls(
            role=Role.UAS,
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=remote_tag,
            local_party=_without_tag(request.to),
            remote_party=_without_tag(request.from_),
            remote_target=contacts[0].sip_uri,
            route_set=request.record_routes,
            remote_seq=request.cseq.seq,
            secure=request.uri.secure,
            state=DialogState.EARLY if response.status < 200 else DialogState.CONFIRMED,
            local_contact=local_contact or next(iter(response.contacts), None),
        )

    # -- our requests ------------------------------------------------------------------------

    def next_hop(self) -> SipUri:
        """Where in-dialog requests are sent: the first route, else the remote target."""
        return self.route_set[0].sip_uri.copy() if self.route_set else self.remote_target.copy()

    def create_request(self, method: str, *, body: bytes = b"",
                       content_type: str | None = None,
                       headers: Iterable[tuple[str, str]] = ()) -> Request:
        """A new in-dialog request with the next CSeq (§12.2.1.1). Not for ACK or CANCEL."""
        if method in ("ACK", "CANCEL"):
            raise ValueError(f"{method} takes its CSeq from the request it belongs to")
        if self.state is DialogState.TERMINATED:
            raise DialogError(481, "the dialog is terminated")
        if self.local_seq is None:
            self.local_seq = 1 + secrets.randbelow(2**16)  # §8.1.1.5: any value below 2**31
        else:
            self.local_seq += 1
        return self._build(method, self.local_seq, body, content_type, headers)

    def create_ack(self, invite: Request, *, body: bytes = b"",
                   content_type: str | None = None) -> Request:
        """The ACK for a 2xx to `invite` (§13.2.2.4): CSeq number of the INVITE."""
        h = [(n, v) for n, v in invite.headers if n in ("Authorization", "Proxy-Authorization")]
        return self._build("ACK", invite.cseq.seq, body, content_type, h)

    def _build(self, method: str, seq: int, body: bytes, content_type: str | None,
               extra: Iterable[tuple[str, str]]) -> Request:
        uri, routes = request_target(self.route_set, self.remote_target)
        h = Headers()
        for route in routes:
            h.add("Route", str(route))
        h.add("Max-Forwards", str(c.DEFAULT_MAX_FORWARDS))
        h.add("From", str(_with_tag(self.local_party, self.local_tag)))
        h.add("To", str(_with_tag(self.remote_party, self.remote_tag)))
        h.add("Call-ID", self.call_id)
        h.add("CSeq", f"{seq} {method}")
        if method in TARGET_REFRESH_METHODS and self.local_contact is not None:
            h.add("Contact", str(self.local_contact))
        for name, value in extra:
            h.add(name, value)
        if content_type is not None:
            h.add("Content-Type", content_type)
        return Request(method, uri, h, body)

    # -- the peer's messages -----------------------------------------------------------------

    def receive_request(self, request: Request) -> None:
        """Check and apply an in-dialog request (§12.2.2); DialogError says how to refuse it."""
        if DialogId.of_request(request) != self.id:
            raise DialogError(481, "the request does not belong to this dialog")
        if request.method in ("ACK", "CANCEL"):
            return
        seq = request.cseq.seq
        if self.remote_seq is not None and seq <= self.remote_seq:
            raise DialogError(500, f"CSeq {seq} is not above {self.remote_seq}")
        self.remote_seq = seq
        if request.method in TARGET_REFRESH_METHODS and request.contacts:
            self.remote_target = request.contacts[0].sip_uri
        if request.method == "BYE":
            self.state = DialogState.TERMINATED

    def receive_response(self, request: Request, response: Response) -> None:
        """Apply the response to one of our requests in this dialog (§12.2.1.2, §13.2.2.4)."""
        if response.status in (408, 481):
            self.state = DialogState.TERMINATED
            return
        if not 200 <= response.status < 300:
            return
        if self.state is DialogState.EARLY and request.method == "INVITE":
            # §13.2.2.4: the 2xx confirms the early dialog and fixes its route set.
            self.route_set = list(reversed(response.record_routes))
            self.state = DialogState.CONFIRMED
        if request.method in TARGET_REFRESH_METHODS and response.contacts:
            self.remote_target = response.contacts[0].sip_uri
        if request.method == "BYE":
            self.state = DialogState.TERMINATED


def make_dialog_response(request: Request, status: int, *, to_tag: str, contact: Address,
                         reason: str | None = None, body: bytes = b"",
                         content_type: str | None = None) -> Response:
    """A response that creates or refreshes a dialog: Record-Route copied, Contact added (§12.1.1).

    Copying Record-Route is what lets the caller's ACK and BYE follow the proxies back.
    """
    headers = [("Record-Route", v) for v in request.headers.get_all("Record-Route")]
    headers.append(("Contact", str(contact)))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    return make_response(request, status, reason, to_tag=to_tag, headers=headers, body=body)


# -- routing -----------------------------------------------------------------------------------


def request_target(route_set: list[Address], remote_target: SipUri) -> tuple[SipUri, list[Address]]:
    """Request-URI and Route values for a request along `route_set` (§12.2.1.1).

    Loose first hop: R-URI is the remote target, Route the whole set. Strict first hop:
    R-URI is that hop's URI, Route the rest followed by the remote target.
    """
    if not route_set:
        return remote_target.copy(), []
    first = route_set[0].sip_uri
    if first.lr:
        return remote_target.copy(), list(route_set)
    params = {k: v for k, v in first.params.items() if k not in _NOT_IN_REQUEST_URI}
    return first.copy(params=params, headers=[]), [*route_set[1:], Address(remote_target.copy())]


def next_hop(request: Request) -> SipUri:
    """Where a UAC sends `request` (§8.1.2): the top Route if it is a loose router, else R-URI.

    A strict first hop was already moved into the Request-URI by `request_target`.
    """
    routes = request.routes
    if routes and routes[0].sip_uri.lr:
        return routes[0].sip_uri.copy()
    return request.uri.copy()


def preprocess_routes(request: Request, is_local: Callable[[SipUri], bool]) -> None:
    """A proxy's Route pre-processing (§16.4), in place.

    If the Request-URI is one we put into a Record-Route (a strict router upstream sent it
    here), the last Route becomes the Request-URI again. Then a top Route naming us goes.
    """
    routes = request.headers.get_all("Route")
    if routes and is_local(request.uri):
        last = Address.parse(routes[-1])
        request.uri = last.sip_uri.copy()
        routes = routes[:-1]
        request.headers.set_all("Route", routes)
    if routes and is_local(Address.parse(routes[0]).sip_uri):
        request.headers.set_all("Route", routes[1:])


def prepare_forward(request: Request) -> SipUri:
    """§16.6 steps 6-7 for a proxy forwarding `request`, in place; returns the next hop.

    A strict router at the top of Route gets the request with its URI as Request-URI and
    the old Request-URI pushed to the bottom of Route (§16.6 step 6, §16.12.1.2).
    """
    routes = request.headers.get_all("Route")
    if not routes:
        return request.uri.copy()
    top = Address.parse(routes[0]).sip_uri
    if top.lr:
        return top.copy()
    rest = [*routes[1:], str(Address(request.uri.copy()))]
    request.uri = top.copy()
    request.headers.set_all("Route", rest)
    return top.copy()


def add_record_route(request: Request, uri: SipUri) -> None:
    """Record-route a proxy (§16.6 step 4): `uri` with `;lr` on top of Record-Route."""
    own = uri.copy(params={**uri.params, "lr": None})
    request.headers.prepend("Record-Route", str(Address(own)))
