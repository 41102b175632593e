"""An embedded SIP call server modelled on MiVoice Office 400 (SEED-MV §5.4, §5.6.1, §8.2.1):
registrar, record-routing stateful proxy over UDP, TCP and TLS, per-IP auth-failure blocking,
transaction limit per IP, access logs and an SRTP policy. The default SIP peer of emulated
installations.
"""

from sim.pbx.config import PbxConfig
from sim.pbx.guard import AccessLog, AccessRecord, IpGuard
from sim.pbx.registrar import Binding, IntervalTooBrief, Registrar
from sim.pbx.server import PbxServer, make_layer
from sim.pbx.srtp import SrtpPolicy, offer_refusal

__all__ = ["AccessLog", "AccessRecord", "Binding", "IntervalTooBrief", "IpGuard", "PbxConfig",
           "PbxServer", "Registrar", "SrtpPolicy", "make_layer", "offer_refusal"]
