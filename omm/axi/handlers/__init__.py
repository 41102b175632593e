"""AXI request handlers, one module per concept; importing registers them."""

from omm.axi.handlers import accounts, directory, rfps, session, settings  # noqa: F401
from omm.axi.handlers.settings import render_log_entry, setting_event

__all__ = ["render_log_entry", "setting_event"]
