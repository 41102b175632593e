"""The OMM as SIP user agent on behalf of its DECT users (features.md §2.7): registration
(registration.py) and calls (calls.py) over one shared transport (config.py says where)."""

from omm.sip.calls import CallControl, DectCallPort
from omm.sip.config import Registrar, SipConfig
from omm.sip.registration import Registrations, UserRegistration

__all__ = ["CallControl", "DectCallPort", "Registrar", "Registrations", "SipConfig",
           "UserRegistration"]
