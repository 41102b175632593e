"""MAXI's summary counters (Get...Summary, Event...Summary) over the central directory, from
one source for the answers and the events."""

from __future__ import annotations

from mom.model import MomModel


def user_summary(model: MomModel) -> dict[str, str]:
    """GetPPUserSummaryResp / EventPPUserSummary over the central directory: the records,
    the first uid, and the counters the MOM can know without asking an OMM."""
    users = list(model.directory.users)
    first = users[0]["uid"] if users else 0
    return {"nRecords": str(len(users)), "uidFirst": str(first),
            "nLocatable": str(sum(1 for u in users if u.get("locatable"))),
            "nMsgSend": str(sum(1 for u in users if u.get("msgRight")))}


def device_summary(model: MomModel) -> dict[str, str]:
    """GetPPDevSummaryResp / EventPPDevSummary."""
    devices = list(model.directory.devices)
    first = devices[0]["ppn"] if devices else 0
    return {"nRecords": str(len(devices)), "ppnFirst": str(first),
            "subscribedDevs": str(sum(1 for d in devices if d.get("s") == "Yes"))}
