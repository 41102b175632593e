"""Hex in, one JSON-able dict per message out: the library behind `sipdect decode rfp HEX...`.

omm-rfp.md §1 (framing), §2.2 (decrypting with K and the SYS_AUTHENTICATE seen earlier),
§6 (NWK in LC frames, reassembled across arguments).
"""

from __future__ import annotations

import re

from sipdect.link import constants as c
from sipdect.link.crypto import LinkDecryptor, cipher_key, initial_iv
from sipdect.link.dnm import NwkReassembler
from sipdect.link.errors import LinkProtocolError
from sipdect.link.messages import JsonDict, LinkMessage, MessageReader, describe

_DIRECTIONS = {"omm": c.Direction.OMM_TO_RFP, "rfp": c.Direction.RFP_TO_OMM}
_PREFIX = re.compile(r"^\s*(omm|rfp)\s*:", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s:.\-]")


def _parse_hex(index: int, text: str) -> bytes:
    cleaned = _SEPARATORS.sub("", text)
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise LinkProtocolError(f"argument {index} is not hex: {text[:40]!r}") from None


def decode_hex(*hex_messages: str, key: bytes | None = None) -> list[JsonDict]:
    """Decode link messages given as hex, in the order they travelled.

    An argument holds one or more plaintext messages back to back. Prefixed `omm:` or
    `rfp:` it is ciphertext of that direction (OMM->RFP or RFP->OMM), decrypted with `key`
    (the 64-byte K; or the K of a SYS_RFP_AUTH_KEY among the arguments) and the IVs of the
    latest SYS_AUTHENTICATE among the arguments; each direction's CBC chain runs on across
    arguments. Fragmented NWK messages are reassembled. Raises LinkProtocolError only for an
    argument that is not hex; anything that does not decode becomes an "error" entry.
    """
    out: list[JsonDict] = []
    reassembler = NwkReassembler()
    rfp_key = key
    challenge: bytes | None = None
    decryptors: dict[c.Direction, LinkDecryptor] = {}

    def emit(message: LinkMessage, direction: c.Direction | None) -> None:
        nonlocal rfp_key, challenge
        entry = describe(message, nwk=reassembler.hook)
        if direction is not None:
            entry["direction"] = direction.value
        out.append(entry)
        if message.type == c.MessageType.SYS_AUTHENTICATE and message.length == 32:
            challenge = message.payload
            decryptors.clear()
        elif message.type == c.MessageType.SYS_RFP_AUTH_KEY and rfp_key is None:
            if message.length == c.RFP_KEY_LENGTH:
                rfp_key = message.payload

    for index, text in enumerate(hex_messages, 1):
        match = _PREFIX.match(text)
        direction = _DIRECTIONS[match.group(1).lower()] if match else None
        data = _parse_hex(index, text[match.end() :] if match else text)
        if direction is None:
            reader = MessageReader(max_payload=0xFFFF)
            reader.feed(data)
            for message in reader:
                emit(message, None)
            if reader.buffered:
                out.append(
                    {"error": f"argument {index}: {reader.buffered} trailing bytes do not "
                              "form a whole message", "hex": reader.take_buffer().hex()}
                )
            continue
        if rfp_key is None or challenge is None:
            out.append(
                {"error": f"argument {index}: encrypted {direction.value} data needs the RFP "
                          "key and a SYS_AUTHENTICATE before it", "hex": data.hex(),
                 "direction": direction.value}
            )
            continue
        decryptor = decryptors.get(direction)
        if decryptor is None:
            try:
                decryptor = LinkDecryptor(
                    cipher_key(rfp_key, direction), initial_iv(challenge, direction),
                    max_payload=0xFFFF,
                )
            except ValueError as exc:
                out.append({"error": f"argument {index}: {exc}"})
                continue
            decryptors[direction] = decryptor
        for plain in decryptor.feed(data):
            emit(LinkMessage.decode(plain), direction)
        if decryptor.buffered:
            out.append(
                {"error": f"argument {index}: {decryptor.buffered} ciphertext bytes wait for "
                          "the rest of their message", "direction": direction.value}
            )
    return out
