"""An external SIP phone, the kind QA and trainers point at an installation instead of sipp
or baresip: it registers an account at a registrar, calls and is called, talks a test tone
and records what it hears. A component of its own host (a `[[phone]]` of a system).
"""

from sim.phone.agent import Call, PhoneAgent, PhoneError
from sim.phone.config import PhoneConfig
from sim.phone.events import (
    CallConnected,
    CallEnded,
    CallRinging,
    CallState,
    Direction,
    EndReason,
    MediaChanged,
    PhoneEvent,
    RegistrationChanged,
    RegistrationState,
)
from sim.phone.service import PhoneService

__all__ = ["Call", "CallConnected", "CallEnded", "CallRinging", "CallState", "Direction",
           "EndReason", "MediaChanged", "PhoneAgent", "PhoneConfig", "PhoneError",
           "PhoneEvent", "PhoneService", "RegistrationChanged", "RegistrationState"]
