"""sipdect: a software emulator of a complete Mitel SIP-DECT installation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sipdect.app.emulator import Emulator

__all__ = ["Emulator", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from sipdect.app.emulator import Emulator

        return Emulator
    raise AttributeError(name)
