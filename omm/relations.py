"""User-device relations: Unbound, Dynamic (DECT login with PIN), Fixed (axi.md §3.2)."""

from __future__ import annotations

from omm.devices import Devices
from omm.errors import Forbidden, Invalid
from omm.tables import Record
from omm.users import Users

REL_TYPES = ("Unbound", "Dynamic", "Fixed")


class Relations:
    """Keeps user.ppn/relType and device.uid/relType consistent."""

    def __init__(self, users: Users, devices: Devices) -> None:
        self.users = users
        self.devices = devices

    def attach(self, uid: int, ppn: int, rel_type: str) -> tuple[Record, Record]:
        if rel_type not in ("Dynamic", "Fixed"):
            raise Invalid(f"relType '{rel_type}' cannot bind a user to a device", "relType")
        user = self.users.get(uid)
        device = self.devices.get(ppn)
        if user["ppn"] and user["ppn"] != ppn:
            self.detach_device(user["ppn"])
        if device["uid"] and device["uid"] != uid:
            self.detach_user(device["uid"])
        self.users.set_relation(user, ppn, rel_type)
        self.devices.set_relation(device, uid, rel_type)
        return user, device

    def detach_user(self, uid: int) -> Record:
        user = self.users.get(uid)
        if user["ppn"]:
            device = self.devices.table.get(user["ppn"])
            if device is not None and device["uid"] == uid:
                self.devices.set_relation(device, 0, "Unbound")
        self.users.set_relation(user, 0, "Unbound")
        return user

    def detach_device(self, ppn: int) -> Record:
        device = self.devices.get(ppn)
        if device["uid"]:
            user = self.users.table.get(device["uid"])
            if user is not None and user["ppn"] == ppn:
                self.users.set_relation(user, 0, "Unbound")
        self.devices.set_relation(device, 0, "Unbound")
        return device

    def change_type(self, uid: int, rel_type: str) -> Record:
        """SetPPUserDevRelation: only Fixed <-> Dynamic on a bound user."""
        if rel_type not in ("Dynamic", "Fixed"):
            raise Invalid(f"relType must be Fixed or Dynamic, not '{rel_type}'", "relType")
        user = self.users.get(uid)
        if user["relType"] == "Unbound" or not user["ppn"]:
            raise Forbidden(f"user {uid} has no device; bind one with SetPP first", "relType")
        device = self.devices.get(user["ppn"])
        self.users.set_relation(user, user["ppn"], rel_type)
        self.devices.set_relation(device, uid, rel_type)
        return user

    def user_deleted(self, user: Record) -> None:
        device = self.devices.table.get(user.get("ppn") or 0)
        if device is not None and device["uid"] == user["uid"]:
            self.devices.set_relation(device, 0, "Unbound")

    def device_deleted(self, device: Record) -> None:
        user = self.users.table.get(device.get("uid") or 0)
        if user is not None and user["ppn"] == device["ppn"]:
            self.users.set_relation(user, 0, "Unbound")
