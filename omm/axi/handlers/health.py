"""The OMM's health and its standby pair over AXI: GetHealthState, and the events of the
SystemState subscription (features.md "Health/status model", standby-eventmgr.md A.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import READ, Ctx, resp, route
from omm.health import HealthState
from sipdect.axi.codec import Message

if TYPE_CHECKING:
    from omm.axi.api import AxiApi
    from omm.model import OmmModel


def render_health(component: str, state: HealthState) -> Message:
    """One HealthType: `reasonCode` carries the schema's ReasonType text (the type the XSD
    gives it; "" when nothing is wrong), `reason` the detail, left out when there is none."""
    attrs = {"component": component, "severity": state.severity,
             "reasonCode": state.reason_code}
    if state.reason:
        attrs["reason"] = state.reason
    return Message("health", attrs)


@route("GetHealthState", perm=READ)
def get_health_state(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, {}, [render_health(c, s)
                          for c, s in api.model.health.components().items()])


def health_event(model: OmmModel, component: str) -> Message | None:
    """EventHealthState for a component's change (None if it is no longer reported)."""
    state = model.health.get(component)
    if state is None:
        return None
    return Message("EventHealthState", render_health(component, state).attrs)


def standby_event(model: OmmModel) -> Message:
    """EventStbStateChange: the pair as GetStbState shows it now."""
    return Message("EventStbStateChange", model.standby.view.attrs())
