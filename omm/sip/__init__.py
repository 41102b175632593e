"""The OMM as SIP user agent on behalf of its DECT users (features.md §2.7): registration now,
calls later."""

from omm.sip.registration import Registrar, Registrations, UserRegistration

__all__ = ["Registrar", "Registrations", "UserRegistration"]
