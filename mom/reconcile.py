"""The reconciliation rules of the MOM's sync (docs/mom.md "Restarts"), on plain records:
no model, no wire, no clock. The sync engine feeds them the MOM's copy, its tombstone and an
OMM's copy of one user or device and carries out what they return.

Records here are "portable": a device's relation names its user by number (`uid` holds the
user's `num`, "" when unbound), since the MOM's and each OMM's uids differ.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mom.aspects import STAMPS
from mom.conventions import TIE_GOES_TO_MOM


class Verdict(enum.Enum):
    """What to do with one record between the MOM and one OMM."""

    NOTHING = "nothing"
    TAKE_NEW = "take new"
    """The OMM has a record the MOM never had (or deleted before the OMM's last change of
    it): the MOM takes it in, homed at that OMM."""
    DELETE_AT_OMM = "delete at OMM"
    """The MOM deleted it after the OMM's last change: delete the OMM's copy."""
    PUSH_NEW = "push new"
    """The OMM should hold it and does not: create it there."""
    DELETE_AT_MOM = "delete at MOM"
    """It was at its home OMM and is gone from there: deleted there while the MOM was away."""
    MERGE = "merge"
    """Both have it: per aspect the newer copy wins (see merge())."""
    MERGE_AND_DROP = "merge and drop"
    """Both have it but the OMM should not hold it: take what is newer there, then delete
    the OMM's copy (the record stays at the MOM and where it belongs)."""


def verdict(mom: Mapping[str, Any] | None, tombstone: int | None,
            omm: Mapping[str, Any] | None, *, belongs: bool, held_before: bool,
            home_here: bool) -> Verdict:
    """The rule for one record: `tombstone` is the stamp of the MOM's deletion of that
    natural key (None: never deleted or alive again); `belongs`: the OMM should hold the
    record (its home, or a visitor there); `held_before`: the MOM knew the OMM's local id of
    it; `home_here`: the OMM is the record's home."""
    if mom is None:
        if omm is None:
            return Verdict.NOTHING
        if tombstone is not None and _newer_or_tie(tombstone, stamp(omm, "timeStamp")):
            return Verdict.DELETE_AT_OMM
        return Verdict.TAKE_NEW
    if omm is None:
        if held_before and home_here:
            return Verdict.DELETE_AT_MOM
        return Verdict.PUSH_NEW if belongs else Verdict.NOTHING
    return Verdict.MERGE if belongs else Verdict.MERGE_AND_DROP


@dataclass
class Merge:
    """The outcome of merging one record's aspects."""

    take: dict[str, Any] = field(default_factory=dict)
    """Values (and their stamps) the MOM takes from the OMM."""
    push: dict[str, Any] = field(default_factory=dict)
    """Values (and their stamps) the MOM pushes to the OMM."""

    @property
    def nothing(self) -> bool:
        return not self.take and not self.push


def fingerprint(rec: Mapping[str, Any], names: tuple[str, ...]) -> str:
    """A short digest of one aspect's values: what the MOM and an OMM last agreed on."""
    text = json.dumps([rec.get(n) for n in names], separators=(",", ":"), default=str)
    return hashlib.blake2s(text.encode(), digest_size=8).hexdigest()


def agreed(rec: Mapping[str, Any], aspects: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Each aspect's fingerprint, to keep once both sides hold `rec`'s values."""
    return {aspect: fingerprint(rec, names) for aspect, names in aspects.items()}


def merge(mom: Mapping[str, Any], omm: Mapping[str, Any],
          aspects: Mapping[str, tuple[str, ...]],
          base: Mapping[str, str] | None = None,
          mom_owned: tuple[str, ...] = ()) -> Merge:
    """Per aspect: equal values are left alone (whatever the stamps: an identical copy is no
    change). Else, when `base` (the fingerprints both last agreed on) shows that only one side
    changed since, that side wins: stamps are whole seconds, and two changes within one
    second must not undo the later. Else the newer stamp wins, a tie goes to the MOM
    (conventions.TIE_GOES_TO_MOM). Aspects in `mom_owned` are the MOM's to decide: where they
    differ, the MOM's copy is pushed."""
    out = Merge()
    for aspect, names in aspects.items():
        stamp_name = STAMPS[aspect]
        if all(mom.get(n) == omm.get(n) for n in names if n in omm):
            continue
        mine, theirs = stamp(mom, stamp_name), stamp(omm, stamp_name)
        known = (base or {}).get(aspect)
        mom_moved = known is None or fingerprint(mom, names) != known
        omm_moved = known is None or fingerprint(omm, names) != known
        if aspect in mom_owned:
            mom_wins = True
        elif mom_moved != omm_moved:
            mom_wins = mom_moved
        else:
            mom_wins = _newer_or_tie(mine, theirs)
        if mom_wins:
            out.push.update({n: mom.get(n) for n in names})
            out.push[stamp_name] = mine
        else:
            out.take.update({n: omm[n] for n in names if n in omm})
            out.take[stamp_name] = theirs
    if not out.nothing:  # `timeStamp` is the last change of any aspect: the later of both
        latest = max(stamp(mom, "timeStamp"), stamp(omm, "timeStamp"))
        if stamp(mom, "timeStamp") != latest:
            out.take["timeStamp"] = latest
        if stamp(omm, "timeStamp") != latest:
            out.push["timeStamp"] = latest
    return out


def stamp(rec: Mapping[str, Any], name: str) -> int:
    try:
        return int(rec.get(name) or 0)
    except (TypeError, ValueError):
        return 0


def _newer_or_tie(mom_stamp: int, omm_stamp: int) -> bool:
    return mom_stamp > omm_stamp or (mom_stamp == omm_stamp and TIE_GOES_TO_MOM)
