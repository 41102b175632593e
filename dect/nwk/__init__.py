"""The DECT NWK layer S-format codec: messages, information elements, vendor contents.

ETSI EN 300 175-5 §7 and omm-rfp.md §6. `decode_message(data)` and `NwkMessage.encode()` are
the codec; mm, cc, lce, ciss, coms and clms build the messages the flows send.
"""

from dect.nwk.messages import NwkMessage, compose, decode_message, order_ies

__all__ = ["NwkMessage", "compose", "decode_message", "order_ies"]
