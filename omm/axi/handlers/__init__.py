"""AXI request handlers, one module per concept; importing registers them."""

from omm.axi.handlers import (  # noqa: F401
    accounts,
    alarms,
    directory,
    health,
    license,
    locating,
    messaging,
    rfps,
    roaming,
    security,
    session,
    settings,
    statistics,
    system,
)
from omm.axi.handlers.health import health_event, standby_event
from omm.axi.handlers.license import license_event
from omm.axi.handlers.settings import render_log_entry, setting_event

__all__ = ["health_event", "license_event", "render_log_entry", "setting_event", "standby_event"]
