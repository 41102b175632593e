"""IPEI text forms the OMM accepts and stores (axi.md §5.2: "EEEEE PPPPPPP C").

The check digit arithmetic belongs to dect.identities; this only normalises.
"""

from __future__ import annotations

from omm.errors import Invalid


def normalise_ipei(text: str) -> str:
    """The OMM's spaced form, from the spaced or the 13-character printed form."""
    from dect.identities import Ipei

    try:
        ipei = Ipei.parse(text.strip())
    except ValueError as exc:
        raise Invalid(f"invalid IPEI '{text}': {exc}", "ipei") from None
    return ipei.omm_form()
