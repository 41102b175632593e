"""Login, keep-alive, versions, limits, public key and event subscriptions (axi.md §2, §4.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import (
    ANY,
    READ,
    ROUTES,
    Ctx,
    PendingVerification,
    Verdict,
    actor_of,
    resp,
    route,
)
from omm.standby.conventions import StbState
from sipdect import clock
from sipdect.accounts import LoginAttempt, must_change_password
from sipdect.axi import conventions
from sipdect.axi.args import need_enum, opt_int
from sipdect.axi.catalog import EVENT_TYPES
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid
from sipdect.axi.records import parse_bool
from sipdect.axi.session import LinkState, Subscription
from sipdect.ops.eventlog import times_from_source

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

#: Message versions a real OMM 7.1 reports in GetVersionsResp (axi.md §6); others 1.0.0.
KNOWN_VERSIONS = {"Open": "1.0.18", "Ping": "1.0.2", "CreatePPUser": "1.1.11",
                  "GetPPDev": "2.0.0", "SetPP": "2.0.0", "GetPP": "2.0.0",
                  "SetPPUser": "1.1.9", "Subscribe": "3.1.2", "CancelMessage": "1.0.2"}

#: Which permission a subscription needs (axi.md §4.1; SystemState: AllCnfRead, which
#: AllCnfWrite implies, standby-eventmgr.md A.5); any other: "read" as well.
EVENT_PERMISSION = {"SystemState": READ,"PPState": "Monitoring", "RFPSync": "Monitoring",
                    "MessageSend": "Messaging", "MessageConfirmation": "Messaging",
                    "MessageProgress": "Messaging", "MessageQueueEmpty": "Messaging",
                    "Locating": "Locating", "PositionTrack": "Locating"}

EVENT_ALSO_FOR = {"RFPState": "Monitoring", "PPUserSummary": "Monitoring",
                  "AlarmTrigger": "Alerting", "AlarmCallProgress": "Alerting"}
"""Events that an account without AllCnfRead may still subscribe to with this permission
(decided; the schema names no permission per event): an alarm server such as the Event
Manager holds Messaging, Alerting, LocatingAlert, Locating and Monitoring, not the right to
read the whole configuration, and lives on RFP and alarm events (standby-eventmgr.md B.3).
PPUserSummary: its user monitoring counters (usersWarned, usersEscalated, ...)."""

ITEM_FILTERS = ("ppn", "uid", "rfpId", "omm", "trigger", "scheme")


def _version_attrs(api: AxiApi) -> dict[str, str]:
    return {"protocolVersion": conventions.PROTOCOL_VERSION,
            "ommVersion": conventions.OMM_VERSION, "axiVersion": conventions.AXI_VERSION,
            "ommAxiSpecVersion": conventions.AXI_SPEC_VERSION}


@route("Open", perm=ANY)
def open_(api: AxiApi, ctx: Ctx, req: Message) -> PendingVerification:
    """The password is checked off the event loop (a hash takes tens of ms); _opened
    answers once it has been."""
    if ctx.session.state is LinkState.OPEN:
        raise AxiError(*conventions.ALREADY_OPEN)
    attempt = api.model.accounts.login_attempt(req.attrs.get("username", ""),
                                               req.attrs.get("password", ""))
    return PendingVerification(attempt.check,
                               lambda matched: _opened(api, ctx, req, attempt, matched))


def _opened(api: AxiApi, ctx: Ctx, req: Message, attempt: LoginAttempt,
            matched: bool) -> Verdict:
    session, username = ctx.session, attempt.username
    account = api.model.accounts.login_verdict(attempt, matched)
    if account is None:
        _log_failed_login(api, ctx, username)
        # A real OMM still says who it is on a failed login (axi.md §2.2).
        return Verdict(Message("OpenResp", {**api.model.standby.view.attrs(),
                                            **_version_attrs(api),
                                            "errCode": "EAuth", "info": "login failed"}),
                       api.gatekeeper.limits.failed_login_delay)
    if session.closing:
        raise AxiError("EFailed", "the link closed while the password was checked")
    sync = parse_bool("UserDeviceSyncClient",
                      req.attrs.get("UserDeviceSyncClient", "false"))
    limit = api.model.limits.axi_clients
    if api.logged_in >= limit:
        session.close(f"already {limit} clients logged in (axiClients)")
        raise AxiError(*conventions.AXI_CLIENTS_FULL)
    session.opened(account["id"], sync)
    if sync:
        api.sync_session_opened(session, ctx.peer)
    api.model.log("GenInfo", "AXI",
                  f"AXI login of user '{username}' from {ctx.peer}"
                  + (" (user/device sync client)" if sync else ""))
    m = api.model
    attrs = {**_version_attrs(api), "axiClients": str(api.logged_in),
             "minPPSwVersion1": conventions.MIN_PP_SW_VERSIONS[0],
             "minPPSwVersion2": conventions.MIN_PP_SW_VERSIONS[1],
             **m.standby.view.attrs(), "ommPlatform": "linux-pc",
             "uptime": str(int(m.clock() - m.started)),
             "sari": m.settings.value("SARI", "sari", ""),
             # A MOM may manage this OMM and its handsets may roam (docs/mom.md).
             "haveUserDeviceSync": "true", "haveSARI": "true",
             # The RFPs run SNMP agents the OMM configures (omm.snmp).
             "haveSNMP": "true"}
    children = [Message("publicKey", {"modulus": m.keys.modulus_hex,
                                      "exponent": m.keys.exponent_hex})]
    if must_change_password(account):
        children.append(Message("accountState", {"id": str(account["id"]),
                                                 "username": account["username"],
                                                 "state": account["state"]}))
    return Verdict(resp(req, attrs, children))


def _log_failed_login(api: AxiApi, ctx: Ctx, username: str) -> None:
    """One event log entry per source and account tried, however often: anyone can send
    Open, and a flood must not push the entries before it out of the ring. Failures for
    unknown user names share one entry per source, whatever the names."""
    shown, source = _shown(username), ctx.source
    if api.model.accounts.by_username(username) is not None:
        kind = f"axi-login-failed:{username}"
        text = times_from_source(f"AXI login failed for user '{shown}' from {source}")
    else:
        kind = "axi-login-failed-unknown-user"
        text = times_from_source(f"AXI login failed for unknown user '{shown}' from {source}",
                                 "any unknown user name")
    api.model.log_repeated("MinorErr", "AXI", kind, source, text)


def _shown(username: str, limit: int = 32) -> str:
    """A user name as the event log shows it: printable and no longer than an account's."""
    clean = "".join(c if c.isprintable() else "?" for c in username[:limit])
    return clean + ("..." if len(username) > limit else "")


@route("Ping", perm=ANY)
def ping(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    attrs = {"timeStamp": int(clock.wall())} if "timeStamp" in req.attrs else {}
    return resp(req, attrs)


@route("GetVersions", perm=ANY)
def get_versions(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    wanted = [c.attrs.get("element", "") for c in req.children_named("version")]
    names = wanted or sorted(ROUTES)
    attrs = {}
    for name in names:
        if name in ROUTES:
            attrs[name] = KNOWN_VERSIONS.get(name, "1.0.0")
    return resp(req, attrs)


@route("Limits", perm=ANY)
def limits(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    values = dict(conventions.LIMITS)
    lim = api.model.limits
    values.update(axiClients=lim.axi_clients, rfpNum=lim.rfps, ppnNum=lim.devices,
                  site=lim.sites, licLatency=api.model.license.latency_minutes)
    return resp(req, values)


@route("GetPublicKey", perm=ANY)
def get_public_key(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    keys = api.model.keys
    return resp(req, {"modulus": keys.modulus_hex, "exponent": keys.exponent_hex})


@route("GetStbState", perm=ANY)
def get_stb_state(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """The standby pair as OpenResp shows it (standby-eventmgr.md A.5)."""
    return resp(req, api.model.standby.view.attrs())


def _tell_standby_state(api: AxiApi, ctx: Ctx) -> None:
    """A new SystemState subscriber of an OMM in a pair hears where the pair stands at once:
    after a takeover, clients reconnect to the new active OMM and would otherwise miss the
    change (standby-eventmgr.md A.6 item 6 [I]). Without a standby there is nothing to say."""
    from omm.axi.handlers.health import standby_event

    if api.model.standby.view.state is not StbState.NONE:
        api.queue_to(ctx.session, standby_event(api.model))


@route("Subscribe", perm=ANY)
def subscribe(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    from omm.axi.api import EXTRA_EVENT_TYPES
    from omm.axi.dispatch import allowed

    entries = req.children_named("e")
    if not entries:
        raise AxiError("EMissing", "Subscribe needs 1 to 20 <e> elements", bad="e")
    if len(entries) > 20:
        raise AxiError("EInval", "at most 20 <e> elements per Subscribe", bad="e")
    account = actor_of(api, ctx)
    plan = []
    for e in entries:  # validate all first: Subscribe is atomic
        cmd = need_enum(e, "cmd", ("On", "Off"))
        event_type = e.attrs.get("eventType", "")
        if event_type not in EVENT_TYPES and event_type not in EXTRA_EVENT_TYPES:
            err = invalid("eventType", event_type, "unknown event type")
            raise AxiError("EInval", err.info, bad="eventType") from None
        perm = EVENT_PERMISSION.get(event_type, "read")
        also = EVENT_ALSO_FOR.get(event_type)
        if not allowed(account, perm) and not (also and allowed(account, also)):
            return resp(req, {"eventType": event_type, "errCode": "EPerm",
                              "info": f"{event_type} needs permission {perm}"})
        items = [(k, e.attrs[k]) for k in ITEM_FILTERS if k in e.attrs]
        for k, _ in items:
            if k in ("ppn", "uid", "rfpId", "omm"):
                opt_int(e, k, low=-1)
        plan.append((cmd, event_type, items))
    subs = ctx.session.subscriptions
    for cmd, event_type, items in plan:
        if cmd == "Off":
            subs.pop(event_type, None)
            continue
        if event_type == "SystemState" and event_type not in subs:
            _tell_standby_state(api, ctx)
        sub = subs.setdefault(event_type, Subscription(event_type, all_items=False))
        # No filter (or -1 / "*") means every item [A, lenient as axi.md §4.1 advises].
        if not items or any(v in ("-1", "*") for _, v in items):
            sub.all_items = True
        else:
            sub.items.update(v for _, v in items)
    return resp(req)
