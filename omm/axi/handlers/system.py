"""Everyday system requests management tools send (axi.md §3.4): updates and their credentials,
network and media parameters, time zones, the last DECT action of each device, user tracking
and handset firmware updates. Answers follow the XSD types named on each handler; where the
emulator has no such feature they answer as an OMM without it would (said on each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import READ, WRITE, Ctx, resp, route
from omm.axi.handlers.settings import TIME_ZONES
from omm.sip.calls import INCOMING_CALL_TIMEOUT
from omm.sysupdate import (
    NO_IMAGE,
    UPDATE_SETTING,
    UpdateRequested,
    credentials,
    store_credentials,
)
from sipdect.axi.args import max_records, need_bool, need_int, opt_int, plain_text
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid, missing, too_long
from sipdect.axi.records import Field, RecordSpec
from sipdect.link.system import SysIpOptions
from sipdect.sip.constants import T1
from sipdect.vault import FieldDecryptError

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

CREDENTIAL_MAX_LEN = 64
"""[A] As UserDeviceSyncOMM's user and password."""


def _flag(value: object) -> str:
    return "1" if value else "0"


# -- credentials and updates (SystemCredentialsType, SoftwareUpdateType) -----------------------

def _credentials_attrs(api: AxiApi) -> dict[str, str]:
    """The password is never shown (as the ConfigURL's)."""
    username, _ = credentials(api.model)
    return {"username": username}


@route("GetSystemCredentials", perm=READ)
def get_system_credentials(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, _credentials_attrs(api))


@route("SetSystemCredentials", perm=WRITE)
def set_system_credentials(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """The user and password the OMM logs in with on its file servers when a URL names none
    (jzelina AXI_Sync: `<SetSystemCredentials username="ftp" password="ftp" plainText="1"/>`)."""
    if "username" not in req.attrs:
        raise missing("username")
    username = req.attrs["username"]
    password = req.attrs.get("password", "")
    if password and not plain_text(req):
        try:
            password = api.model.keys.decrypt_field(password)
        except FieldDecryptError:
            raise invalid("password", password, "not encrypted with the OMM's public key "
                                                "(GetPublicKey); or send plainText=\"1\"") from None
    for name, value in (("username", username), ("password", password)):
        if len(value) > CREDENTIAL_MAX_LEN:
            raise too_long(name, CREDENTIAL_MAX_LEN)
    store_credentials(api.model, username, password)
    api.queue_event("SystemCnf", None, Message("EventSystemCredentialsCnf",
                                               _credentials_attrs(api)))
    return resp(req, _credentials_attrs(api))


UPDATE = RecordSpec(UPDATE_SETTING, "", (
    Field("timedUpdate", "bool", False), Field("allAtOnce", "bool", True),
    Field("hour", "int", 0, low=0, high=23), Field("minute", "int", 0, low=0, high=59)),
    true_false=False)
"""SoftwareUpdateType: now or at hour:minute; all RFPs at once or one by one."""


def _update_attrs(api: AxiApi) -> dict[str, str]:
    values = api.model.settings.get(UPDATE_SETTING)
    return {f.name: UPDATE.wire(f, values.get(f.name, f.default)) for f in UPDATE.fields}


@route("GetSoftwareUpdate", perm=READ)
def get_software_update(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, _update_attrs(api))


@route("SoftwareUpdate", perm=WRITE)
def software_update(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """The "Update" button: the provisioning files are read again (omm.sysupdate) and, with no
    update server, the event log says there is no software to install. Accepted as asked,
    `timedUpdate` included: the software part waits for nothing when there is nothing."""
    values = UPDATE.parse(req)
    if values:
        api.model.settings.update(UPDATE_SETTING, values, notify=False)
    api.model.log("GenInfo", "SWUPD", f"Software update requested from {ctx.peer}")
    api.model.log("MinorErr", "SWUPD", NO_IMAGE)
    api.model.hub.publish(UpdateRequested(ctx.peer))
    attrs = _update_attrs(api)
    api.queue_event("SystemCnf", None, Message("EventSoftwareUpdateCnf", attrs))
    return resp(req, attrs)


# -- read-only parameters ---------------------------------------------------------------------

@route("GetNetParams", perm=READ)
def get_net_params(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """NetParamsType: what the OMM tells its RFPs in SYS_IP_OPTIONS (sipdect.link.system)."""
    ip = SysIpOptions()
    return resp(req, {"voiceToS": str(ip.voice_tos), "sigToS": str(ip.signalling_tos),
                      "ttl": str(ip.ttl), "voiceEthPrio": str(ip.voice_vlan_priority),
                      "sigEthPrio": str(ip.signalling_vlan_priority)})


@route("GetRTP", perm=READ)
def get_rtp(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """RTPType: the codec preference (<type>*) and packetisation of the RTP setting; portBase
    the RFPs' first RTP port (the service puts it into the setting)."""
    rtp = api.model.settings.get("RTP")
    attrs = {"portBase": str(int(rtp.get("portBase", 16320))),
             "packetTime": str(int(rtp.get("packetTime", 20))),
             "silenceSupp": "0", "receiverPrecedence": _flag(rtp.get("receiverPrecedence")),
             "comfortNoisePktElim": "0",
             "singleCodecReplyInSDP": _flag(rtp.get("singleCodecReplyInSDP"))}
    return resp(req, attrs, [Message("type", text=str(t)) for t in rtp.get("type", [])])


ADVANCED_SIP: dict[str, str] = {
    "mwiSubscription": "1", "userAgentInfo": "1", "dialTerminator": "0",
    "regFailedRetryTimer": "300", "regTimeoutRetryTimer": "300",
    "transactionTimer": str(int(T1 * 64 * 1000)), "blacklistTimeout": "300",
    "callerDetermination": "P-Assert-Identity", "multipleRing": "0",
    "semiAttendedTransferMode": "Blind", "referToWithReplaces": "1", "xAastraId": "0",
    "userAgentCompatibility": "0", "CallRejectStateCodeDev": "486",
    "CallRejectStateCodeUsr": "486", "sessionTimer": "0",
    "incomingCallTiemout": str(int(INCOMING_CALL_TIMEOUT)), "contactMatching": "Uri"}
"""AdvancedSIPType (the XSD's spelling, incomingCallTiemout included). The factory values are
not public (features.md "not found"): the SIP transaction timer (Timer B, ms) and the incoming
call timeout (s) are the ones the emulator's user agent runs; the others are [I] plausible
defaults of a product that does not change them (read-only here)."""


@route("GetAdvancedSIP", perm=READ)
def get_advanced_sip(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, ADVANCED_SIP)


# -- time zones (TimeZoneTypeType, TimeZoneTypeShortType) -------------------------------------

def _zone_details(zone_id: str, name: str) -> Message:
    """UTC and no daylight saving: every offset and rule 0 [I]."""
    rules = {f"{p}{k}": "0" for p in ("std", "dst")
             for k in ("Offset", "Month", "Day", "DoW", "WoM", "Hour", "Min")}
    return Message("zone", {"id": zone_id, "name": name, **rules})


@route("GetTimeZoneList", perm=READ)
def get_time_zone_list(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, children=[Message("zone", {"id": z, "name": n, "modified": "0"})
                               for z, n in TIME_ZONES])


@route("GetTimeZoneDetails", perm=READ)
def get_time_zone_details(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    current = str(api.model.settings.value("TimeZone", "id", TIME_ZONES[0][0]))
    name = dict(TIME_ZONES).get(current, current)
    return resp(req, children=[_zone_details(current, name)])


# -- devices and users ------------------------------------------------------------------------

@route("GetLastPPDevAction", perm=READ)
def get_last_pp_dev_action(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """LastPPActionType per device from ppn `id` on: its last DECT transaction and the seconds
    since (relTime); ENoEnt when no device from there had one (axi.md §3.1 paging)."""
    first = opt_int(req, "id", 0, low=0) or 0
    n = max_records(req) or 1
    actions = api.model.last_actions.page(first, n)
    if not actions:
        raise AxiError("ENoEnt", f"no device with ppn >= {first} had a DECT action yet")
    now = api.model.clock()
    return resp(req, children=[Message("pp", {
        "ppn": str(a.ppn), "trType": a.tr_type, "rfpId": str(a.rfp_id),
        "relTime": str(max(0, int(now - a.when)))}) for a in actions])


@route("SetPPUserTracking", perm="Locating")
def set_pp_user_tracking(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """PPUserTrackingType: whether a user's position is tracked; needs the locating licence
    (omm.license) and a locatable user."""
    uid = need_int(req, "uid", low=1)
    active = need_bool(req, "trackingActive")
    if active and api.model.license.grant.locating <= 0:
        raise AxiError("ELicense", "no locating licence (GetLicense)", bad="trackingActive")
    user = api.model.users.get(uid)
    if active and not user.get("locatable"):
        raise AxiError("EInval", f"user {uid} is not locatable (SetPPUser locatable=\"1\")",
                       bad="trackingActive")
    api.model.users.update(uid, {"trackingActive": active})
    return resp(req, {"uid": str(uid), "trackingActive": _flag(active)})


# -- handset firmware updates (PPFirmwareUpdateOverviewType, PPFirmwareUpdateStatusType) ------

@route("GetPPFirmwareUpdateOverview", perm=READ)
def get_pp_firmware_update_overview(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """No firmware file to give: idle, nothing ready, pending, active or failed [I]."""
    counts = {k: "0" for k in ("known", "ready", "pending", "active", "barred", "errored",
                               "notReachable", "detached")}
    return resp(req, {"state": "idle", **counts, "version": ""})


@route("GetPPFirmwareUpdateStatus", perm=READ)
def get_pp_firmware_update_status(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """One pFwSt per device from `ppn` on: nothing to update, so state unknown, cause none, and
    the software version the handset reports (GetPPState swVersion)."""
    first = need_int(req, "ppn", low=0)
    n = max_records(req) or 1
    devices = api.model.devices.page(first, n)
    if not devices:
        raise AxiError("ENoEnt", f"no device with ppn >= {first}")
    out = []
    for dev in devices:
        state = api.model.pp_live.state(int(dev["ppn"]))
        out.append(Message("pFwSt", {"ppn": str(dev["ppn"]), "state": "unknown",
                                     "cause": "none", "bytes": "0",
                                     "version": state.get("swVersion", "")}))
    return resp(req, children=out)
