"""AXI request handlers, one module per concept; importing registers them."""

from omm.axi.handlers import (  # noqa: F401
    accounts,
    directory,
    messaging,
    rfps,
    session,
    settings,
)
from omm.axi.handlers.settings import render_log_entry, setting_event

__all__ = ["render_log_entry", "setting_event"]
