"""Alarm triggers over AXI (standby-eventmgr.md B.3 "Alarm triggers"; AlarmTriggerType).

Create/Get/Set/DeleteAlarmTrigger and GetAlarmTriggerSummary on omm.alarms; changes go to
AlarmTriggerCnf subscribers as EventAlarmTriggerCnf (api.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import READ, WRITE, Ctx, resp, route
from omm.tables import Record
from sipdect.axi.args import need_int, paged, record_of, replace_data
from sipdect.axi.codec import Message
from sipdect.axi.records import ALARM_TRIGGER, ALARM_TRIGGER_EVENT_ELEMENT

if TYPE_CHECKING:
    from omm.axi.api import AxiApi


def render_trigger(rec: Record, element: str = ALARM_TRIGGER.element) -> Message:
    """<trigger> as the answers carry it (<alarmTrigger> in EventAlarmTriggerCnf)."""
    msg = ALARM_TRIGGER.render(rec)
    return Message(element, msg.attrs)


def trigger_cnf_event(rec: Record | None, trigger_id: int) -> Message:
    """EventAlarmTriggerCnf for a trigger created or changed (rec), or deleted (None)."""
    if rec is None:
        return Message("EventAlarmTriggerCnf", {"deleted": "1"}, [
            Message(ALARM_TRIGGER_EVENT_ELEMENT, {"id": str(trigger_id)})])
    return Message("EventAlarmTriggerCnf", {}, [
        render_trigger(rec, ALARM_TRIGGER_EVENT_ELEMENT)])


@route("CreateAlarmTrigger", perm=WRITE)
def create_alarm_trigger(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, ALARM_TRIGGER)
    assert child is not None
    values = ALARM_TRIGGER.parse(child)
    triggers = api.model.alarm_triggers
    if replace_data(req) and "id" in values and triggers.table.get(values["id"]) is not None:
        rec = triggers.update(values["id"], values)
    else:
        rec = triggers.create(values)
    return resp(req, children=[render_trigger(rec)])


@route("GetAlarmTrigger", perm=READ)
def get_alarm_trigger(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    recs = paged(req, "id", api.model.alarm_triggers.page, "alarm trigger")
    return resp(req, children=[render_trigger(r) for r in recs])


@route("SetAlarmTrigger", perm=WRITE)
def set_alarm_trigger(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    child = record_of(req, ALARM_TRIGGER)
    assert child is not None
    rec = api.model.alarm_triggers.update(need_int(child, "id", low=0),
                                          ALARM_TRIGGER.parse(child))
    return resp(req, children=[render_trigger(rec)])


@route("DeleteAlarmTrigger", perm=WRITE)
def delete_alarm_trigger(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    api.model.alarm_triggers.delete(need_int(req, "id", low=0))
    return resp(req)


@route("GetAlarmTriggerSummary", perm=READ)
def get_alarm_trigger_summary(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    triggers = api.model.alarm_triggers
    return resp(req, {"nRecords": str(len(triggers)), "idFirst": str(triggers.table.first())})
