"""The OMM web UI's standby page (issue 14 item 2; standby-eventmgr.md A.5): the pair's state
as GetStbState reports it, the `standby` health component, and the "No Standby" warning the
product shows while this OMM has no partner ready to take over."""

from __future__ import annotations

from dataclasses import dataclass

from omm.model import OmmModel
from omm.standby.conventions import HEALTH_COMPONENT, StbState
from omm.web.axi import WebAxi

NO_STANDBY_WARNING = "No Standby"
"""The warning the product's web UI shows (features.md "Standby takeover")."""
NO_STANDBY_STATES = frozenset({StbState.NOT_SYNCHRONIZED, StbState.DIFFERENT_TYPES,
                               StbState.DIFFERENT_VERSIONS})
"""When it shows: a pair is configured but no partner is ready to take over. Decided: the
manuals show it after a takeover (partner lost); a partner of another type or version cannot
take over either, so it shows then too."""

MEANINGS: dict[StbState, str] = {
    StbState.NONE: "No standby OMM is configured.",
    StbState.OK: "The standby OMM is in contact and has every change.",
    StbState.NOT_SYNCHRONIZED: "The other OMM of the pair is not in contact: changes made "
                               "now reach it only when it is back.",
    StbState.DIFFERENT_TYPES: "The other OMM runs on another platform and cannot be this "
                              "one's standby.",
    StbState.DIFFERENT_VERSIONS: "The other OMM runs another version and cannot be this "
                                 "one's standby.",
}


@dataclass(frozen=True)
class StandbyPage:
    state: str
    """ommStbState."""
    peer: str
    """ommStbAddr ("" when none)."""
    meaning: str
    warning: str
    """NO_STANDBY_WARNING or ""."""
    severity: str
    reason: str
    """The `standby` health component's."""

    @property
    def paired(self) -> bool:
        return self.state != StbState.NONE.value


def is_paired(model: OmmModel) -> bool:
    """Whether this OMM is one of a pair (the page is in the navigation then)."""
    return model.standby.view.state is not StbState.NONE


async def read(web: WebAxi, model: OmmModel) -> StandbyPage:
    answer = await web.request("GetStbState")
    text = answer.attrs.get("ommStbState", StbState.NONE.value)
    try:
        state = StbState(text)
    except ValueError:
        state = StbState.NONE
    health = model.health.get(HEALTH_COMPONENT)
    return StandbyPage(text, answer.attrs.get("ommStbAddr", ""), MEANINGS[state],
                       NO_STANDBY_WARNING if state in NO_STANDBY_STATES else "",
                       health.severity if health else "",
                       (health.reason or health.reason_code) if health else "")
