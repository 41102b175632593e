"""sipdect: a software emulator of a complete Mitel SIP-DECT installation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sipdect.app.emulator import Emulator
    from sipdect.app.library import Site, ThreadedSite

__all__ = ["Emulator", "Site", "ThreadedSite", "__version__"]


def __getattr__(name: str) -> Any:
    """The application's library face, imported on first use only: the kit (and a pytest run
    that merely has the plugin installed) never loads the components."""
    if name == "Emulator":
        from sipdect.app.emulator import Emulator

        return Emulator
    if name in ("Site", "ThreadedSite"):
        from sipdect.app import library

        return getattr(library, name)
    raise AttributeError(name)
