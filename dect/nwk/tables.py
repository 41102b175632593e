"""Codes of the DECT NWK layer S-format: PDs, message types, IE identifiers and field values.

ETSI EN 300 175-5 V2.7.1 §7.2-§7.7 (tables 68-76 and the IE coding clauses); the one place
these numbers are written down. Names are spelled as the standard spells them.
"""

from __future__ import annotations

from enum import IntEnum


def spec_name(member: IntEnum) -> str:
    """The standard's spelling of a table entry: CC_SETUP -> "CC-SETUP"."""
    return member.name.replace("_", "-")


class ProtocolDiscriminator(IntEnum):
    """Octet 1 bits 4-1 (§7.2)."""

    LCE = 0x0
    CC = 0x3
    CISS = 0x4
    MM = 0x5
    CLMS = 0x6
    COMS = 0x7


# §7.3: octet 1 bit 8 is the TI flag, bits 7-5 the transaction value; 7 escapes to octet 1a.
TI_FLAG = 0x80
TI_VALUE_SHIFT = 4
TI_VALUE_MASK = 0x7
TI_EXTENDED = 7
PD_MASK = 0x0F


class CcMessageType(IntEnum):
    """Table 69."""

    CC_ALERTING = 0x01
    CC_CALL_PROC = 0x02
    CC_SETUP = 0x05
    CC_CONNECT = 0x07
    CC_SETUP_ACK = 0x0D
    CC_CONNECT_ACK = 0x0F
    CC_SERVICE_CHANGE = 0x20
    CC_SERVICE_ACCEPT = 0x21
    CC_SERVICE_REJECT = 0x23
    CC_RELEASE = 0x4D
    CC_RELEASE_COM = 0x5A
    IWU_INFO = 0x60
    FACILITY = 0x62  # CRSS {FACILITY} travels with PD CC (table 70, note 2 of §7.2)
    CC_NOTIFY = 0x6E
    CC_INFO = 0x7B
    HOLD = 0x24
    HOLD_ACK = 0x28
    HOLD_REJECT = 0x30
    RETRIEVE = 0x31
    RETRIEVE_ACK = 0x33
    RETRIEVE_REJECT = 0x37


class CissMessageType(IntEnum):
    """Table 70, call independent part."""

    CISS_RELEASE_COM = 0x5A
    FACILITY = 0x62
    CISS_REGISTER = 0x64


class ComsMessageType(IntEnum):
    """Table 71."""

    COMS_SETUP = 0x05
    COMS_CONNECT = 0x07
    COMS_NOTIFY = 0x08
    COMS_RELEASE = 0x4D
    COMS_RELEASE_COM = 0x5A
    COMS_ACK = 0x78
    COMS_INFO = 0x7B


class ClmsMessageType(IntEnum):
    """Table 72 ({CLMS-FIXED} is a B-format message, not coded here)."""

    CLMS_VARIABLE = 0x01


class MmMessageType(IntEnum):
    """Table 73."""

    AUTHENTICATION_REQUEST = 0x40
    AUTHENTICATION_REPLY = 0x41
    KEY_ALLOCATE = 0x42
    AUTHENTICATION_REJECT = 0x43
    ACCESS_RIGHTS_REQUEST = 0x44
    ACCESS_RIGHTS_ACCEPT = 0x45
    ACCESS_RIGHTS_REJECT = 0x47
    ACCESS_RIGHTS_TERMINATE_REQUEST = 0x48
    ACCESS_RIGHTS_TERMINATE_ACCEPT = 0x49
    ACCESS_RIGHTS_TERMINATE_REJECT = 0x4B
    CIPHER_REQUEST = 0x4C
    CIPHER_SUGGEST = 0x4E
    CIPHER_REJECT = 0x4F
    MM_INFO_REQUEST = 0x50
    MM_INFO_ACCEPT = 0x51
    MM_INFO_SUGGEST = 0x52
    MM_INFO_REJECT = 0x53
    LOCATE_REQUEST = 0x54
    LOCATE_ACCEPT = 0x55
    DETACH = 0x56
    LOCATE_REJECT = 0x57
    IDENTITY_REQUEST = 0x58
    IDENTITY_REPLY = 0x59
    MM_IWU = 0x5B
    TEMPORARY_IDENTITY_ASSIGN = 0x5C
    TEMPORARY_IDENTITY_ASSIGN_ACK = 0x5D
    TEMPORARY_IDENTITY_ASSIGN_REJ = 0x5F
    MM_NOTIFY = 0x6E


class LceMessageType(IntEnum):
    """Table 74 ({LCE-REQUEST-PAGE} is a B-format message, not coded here)."""

    LCE_PAGE_RESPONSE = 0x71
    LCE_PAGE_REJECT = 0x72


MESSAGE_TYPES: dict[ProtocolDiscriminator, type[IntEnum]] = {
    ProtocolDiscriminator.LCE: LceMessageType,
    ProtocolDiscriminator.CC: CcMessageType,
    ProtocolDiscriminator.CISS: CissMessageType,
    ProtocolDiscriminator.MM: MmMessageType,
    ProtocolDiscriminator.CLMS: ClmsMessageType,
    ProtocolDiscriminator.COMS: ComsMessageType,
}


# --- information element identifiers (§7.5.1, tables 75 and 76) ---------------------------

FIXED_LENGTH_BIT = 0x80
DOUBLE_OCTET_MASK = 0xF0
DOUBLE_OCTET_PREFIX = 0xE0
SHIFT_MASK = 0xF0
SHIFT_PREFIX = 0x90
SHIFT_NON_LOCKING = 0x08
SHIFT_CODESET_MASK = 0x07
REPEAT_INDICATOR_MASK = 0xF0
REPEAT_INDICATOR_PREFIX = 0xD0
CODESET_0 = 0


class SingleOctetIe(IntEnum):
    """Table 75, single octet elements without contents."""

    SENDING_COMPLETE = 0xA1
    DELIMITER_REQUEST = 0xA2
    USE_TPUI = 0xA3


class DoubleOctetIe(IntEnum):
    """Table 75, double octet elements (identifier octet in full)."""

    BASIC_SERVICE = 0xE0
    RELEASE_REASON = 0xE2
    SIGNAL = 0xE4
    TIMER_RESTART = 0xE5
    TEST_HOOK_CONTROL = 0xE6
    SINGLE_DISPLAY = 0xE8
    SINGLE_KEYPAD = 0xE9


class VariableIe(IntEnum):
    """Table 76."""

    INFO_TYPE = 0x01
    IDENTITY_TYPE = 0x02
    PORTABLE_IDENTITY = 0x05
    FIXED_IDENTITY = 0x06
    LOCATION_AREA = 0x07
    NWK_ASSIGNED_IDENTITY = 0x09
    AUTH_TYPE = 0x0A
    ALLOCATION_TYPE = 0x0B
    RAND = 0x0C
    RES = 0x0D
    RS = 0x0E
    IWU_ATTRIBUTES = 0x12
    CALL_ATTRIBUTES = 0x13
    SERVICE_CHANGE_INFO = 0x16
    CONNECTION_ATTRIBUTES = 0x17
    CIPHER_INFO = 0x19
    CALL_IDENTITY = 0x1A
    CONNECTION_IDENTITY = 0x1B
    FACILITY = 0x1C
    PROGRESS_INDICATOR = 0x1E
    MMS_GENERIC_HEADER = 0x20
    MMS_OBJECT_HEADER = 0x21
    MMS_EXTENDED_HEADER = 0x22
    TIME_DATE = 0x23
    MULTI_DISPLAY = 0x28
    MULTI_KEYPAD = 0x2C
    FEATURE_ACTIVATE = 0x38
    FEATURE_INDICATE = 0x39
    NETWORK_PARAMETER = 0x41
    EXT_HO_INDICATOR = 0x42
    ZAP_FIELD = 0x52
    SERVICE_CLASS = 0x54
    KEY = 0x56
    REJECT_REASON = 0x60
    SETUP_CAPABILITY = 0x62
    TERMINAL_CAPABILITY = 0x63
    END_TO_END_COMPATIBILITY = 0x64
    RATE_PARAMETERS = 0x65
    TRANSIT_DELAY = 0x66
    WINDOW_SIZE = 0x67
    ULE_MAC_CONFIGURATION_INFO = 0x68
    CALLING_PARTY_NUMBER = 0x6C
    CALLING_PARTY_NAME = 0x6D
    CALLED_PARTY_NUMBER = 0x70
    CALLED_PARTY_SUBADDR = 0x71
    DURATION = 0x72
    CALLED_PARTY_NAME = 0x73
    LIST_CHANGE_DETAILS = 0x74
    SEGMENTED_INFO = 0x75
    ALPHANUMERIC = 0x76
    IWU_TO_IWU = 0x77
    MODEL_IDENTIFIER = 0x78
    IWU_PACKET = 0x7A
    ESCAPE_TO_PROPRIETARY = 0x7B
    CODEC_LIST = 0x7C
    EVENTS_NOTIFICATION = 0x7D
    CALL_INFORMATION = 0x7E
    ESCAPE_FOR_EXTENSION = 0x7F


# Where a fixed length element stands among the variable length ones, which go in ascending
# identifier order (§7.5.1): the identifier it follows in the §6.3 message tables, plus a
# fraction. Elements not listed go last.
FIXED_IE_POSITION: dict[int, float] = {
    DoubleOctetIe.RELEASE_REASON: 0.0,
    DoubleOctetIe.TIMER_RESTART: 0.0,
    DoubleOctetIe.BASIC_SERVICE: VariableIe.NWK_ASSIGNED_IDENTITY + 0.5,
    SingleOctetIe.USE_TPUI: VariableIe.LOCATION_AREA + 0.5,
    DoubleOctetIe.SINGLE_DISPLAY: VariableIe.MULTI_DISPLAY - 0.5,
    DoubleOctetIe.SINGLE_KEYPAD: VariableIe.MULTI_KEYPAD - 0.5,
    DoubleOctetIe.SIGNAL: VariableIe.MULTI_KEYPAD + 0.5,
    SingleOctetIe.DELIMITER_REQUEST: VariableIe.WINDOW_SIZE + 0.5,
    SingleOctetIe.SENDING_COMPLETE: VariableIe.CALLED_PARTY_SUBADDR + 0.5,
    DoubleOctetIe.TEST_HOOK_CONTROL: VariableIe.CALLED_PARTY_SUBADDR + 0.7,
}
LAST_POSITION = 256.0


class RepeatListType(IntEnum):
    """REPEAT-INDICATOR, octet 1 bits 4-1 (§7.6.3)."""

    NON_PRIORITIZED_LIST = 0x1
    PRIORITIZED_LIST = 0x2


# --- field values ---------------------------------------------------------------------------

CALL_CLASS: dict[int, str] = {  # §7.6.4, octet 2 bits 8-5
    0x2: "LiA service setup",
    0x3: "ULE service call setup",
    0x4: "Message call setup",
    0x7: "DECT/ISDN IIP",
    0x8: "Normal call setup",
    0x9: "Internal call setup",
    0xA: "Emergency call setup",
    0xB: "Service call setup",
    0xC: "External handover call setup",
    0xD: "Supplementary service call setup",
    0xE: "OA&M call setup",
}
CALL_CLASS_NORMAL = 0x8
CALL_CLASS_INTERNAL = 0x9

BASIC_SERVICE: dict[int, str] = {  # §7.6.4, octet 2 bits 4-1
    0x0: "Basic speech default setup attributes",
    0x4: "DECT GSM IWP profile (Phase 2)",
    0x5: "LRMS (E-profile) service",
    0x6: "DECT UMTS IWP / GSM IWP SMS",
    0x8: "Wideband speech default setup attributes",
    0x9: "Light data services: SUOTA, Class 4 DPRS management",
    0xA: "Light data services: SUOTA, Class 3 DPRS management",
    0xB: "DTAM Wideband speech default setup attributes",
    0xF: "Other",
}
BASIC_SERVICE_SPEECH = 0x0
BASIC_SERVICE_WIDEBAND = 0x8


class ReleaseReasonCode(IntEnum):
    """§7.6.7."""

    NORMAL = 0x00
    UNEXPECTED_MESSAGE = 0x01
    UNKNOWN_TRANSACTION_IDENTIFIER = 0x02
    MANDATORY_INFORMATION_ELEMENT_MISSING = 0x03
    INVALID_INFORMATION_ELEMENT_CONTENTS = 0x04
    INCOMPATIBLE_SERVICE = 0x05
    SERVICE_NOT_IMPLEMENTED = 0x06
    NEGOTIATION_NOT_SUPPORTED = 0x07
    INVALID_IDENTITY = 0x08
    AUTHENTICATION_FAILED = 0x09
    UNKNOWN_IDENTITY = 0x0A
    NEGOTIATION_FAILED = 0x0B
    COLLISION = 0x0C
    TIMER_EXPIRY = 0x0D
    PARTIAL_RELEASE = 0x0E
    UNKNOWN = 0x0F
    USER_DETACHED = 0x10
    USER_NOT_IN_RANGE = 0x11
    USER_UNKNOWN = 0x12
    USER_ALREADY_ACTIVE = 0x13
    USER_BUSY = 0x14
    USER_REJECTION = 0x15
    USER_CALL_MODIFY = 0x16
    EXTERNAL_HANDOVER_NOT_SUPPORTED = 0x21
    NETWORK_PARAMETERS_MISSING = 0x22
    EXTERNAL_HANDOVER_RELEASE = 0x23
    OVERLOAD = 0x31
    INSUFFICIENT_RESOURCES = 0x32
    INSUFFICIENT_BEARERS_AVAILABLE = 0x33
    IWU_CONGESTION = 0x34
    SECURITY_ATTACK_ASSUMED = 0x40
    ENCRYPTION_ACTIVATION_FAILED = 0x41
    RE_KEYING_FAILED = 0x42
    NO_CIPHER_KEY_AVAILABLE = 0x43


class RejectReasonCode(IntEnum):
    """§7.7.34."""

    TPUI_UNKNOWN = 0x01
    IPUI_UNKNOWN = 0x02
    NETWORK_ASSIGNED_IDENTITY_UNKNOWN = 0x03
    IPEI_NOT_ACCEPTED = 0x05
    IPUI_NOT_ACCEPTED = 0x06
    AUTHENTICATION_FAILED = 0x10
    NO_AUTHENTICATION_ALGORITHM = 0x11
    AUTHENTICATION_ALGORITHM_NOT_SUPPORTED = 0x12
    AUTHENTICATION_KEY_NOT_SUPPORTED = 0x13
    UPI_NOT_ENTERED = 0x14
    NO_CIPHER_ALGORITHM = 0x17
    CIPHER_ALGORITHM_NOT_SUPPORTED = 0x18
    CIPHER_KEY_NOT_SUPPORTED = 0x19
    INCOMPATIBLE_SERVICE = 0x20
    FALSE_LCE_REPLY = 0x21
    LATE_LCE_REPLY = 0x22
    INVALID_TPUI = 0x23
    TPUI_ASSIGNMENT_LIMITS_UNACCEPTABLE = 0x24
    INSUFFICIENT_MEMORY = 0x2F
    OVERLOAD = 0x30
    TEST_CALL_BACK_NORMAL_EN_BLOC = 0x40
    TEST_CALL_BACK_NORMAL_PIECEWISE = 0x41
    TEST_CALL_BACK_EMERGENCY_EN_BLOC = 0x42
    TEST_CALL_BACK_EMERGENCY_PIECEWISE = 0x43
    INVALID_MESSAGE = 0x5F
    INFORMATION_ELEMENT_ERROR = 0x60
    INVALID_INFORMATION_ELEMENT_CONTENTS = 0x64
    TIMER_EXPIRY = 0x70
    PLMN_NOT_ALLOWED = 0x76
    LOCATION_AREA_NOT_ALLOWED = 0x80
    NATIONAL_ROAMING_NOT_ALLOWED = 0x81


SIGNAL: dict[int, str] = {  # §7.6.8
    0x00: "Dial tone on",
    0x01: "Ring-back tone on",
    0x02: "Intercept tone on",
    0x03: "Network congestion tone on",
    0x04: "Busy tone on",
    0x05: "Confirm tone on",
    0x06: "Answer tone on",
    0x07: "Call waiting tone on",
    0x08: "Off-hook warning tone on",
    0x09: "Negative acknowledgement tone",
    0x3F: "Tones off",
    **{0x40 + n: f"Alerting on - pattern {n}" for n in range(8)},
    0x48: "Alerting on - continuous",
    0x4F: "Alerting off",
}
SIGNAL_TONES_OFF = 0x3F
SIGNAL_ALERTING_PATTERN_0 = 0x40
SIGNAL_ALERTING_OFF = 0x4F

TIMER_RESTART: dict[int, str] = {0x00: "Restart timer", 0x01: "Stop timer"}  # §7.6.9
TEST_HOOK_CONTROL: dict[int, str] = {0x00: "On-Hook", 0x01: "Off-Hook"}  # §7.6.10


class AuthAlgorithm(IntEnum):
    """AUTH-TYPE / ALLOCATION-TYPE octet 3 (§7.7.4, §7.7.2)."""

    DSAA = 0x01
    DSAA2 = 0x02
    UMTS = 0x20
    GSM = 0x40
    PROPRIETARY = 0x7F


class AuthKeyType(IntEnum):
    """AUTH-TYPE octet 4 bits 8-5."""

    UAK = 0x1
    UPI = 0x3
    AC = 0x4


KEY_NUMBER_IPUI_PARK = 0x8  # MSB of a 4-bit key number: key bound to the IPUI/PARK pair
DEFAULT_CIPHER_KEY_ALGORITHM: dict[int, str] = {0: "DSC", 1: "DSC2"}  # AUTH-TYPE octet 5c


class CipherAlgorithm(IntEnum):
    """CIPHER-INFO octet 3 bits 7-1 (§7.7.10)."""

    DSC = 0x01
    DSC2 = 0x02
    GPRS_NOT_USED = 0x28
    GEA1 = 0x29
    GEA2 = 0x2A
    GEA3 = 0x2B
    GEA4 = 0x2C
    GEA5 = 0x2D
    GEA6 = 0x2E
    GEA7 = 0x2F
    PROPRIETARY = 0x7F


class CipherKeyType(IntEnum):
    """CIPHER-INFO octet 4 bits 8-5."""

    DERIVED = 0x9
    STATIC = 0xA


class KeyType(IntEnum):
    """KEY octet 3 (§7.7.24)."""

    DCK_DSC = 0x90
    DCK_DSC2 = 0x91
    CCM_MULTICAST = 0x92
    DEFCK_DSC = 0x94
    DEFCK_DSC2 = 0x95


class PortableIdentityType(IntEnum):
    """PORTABLE-IDENTITY octet 3 bits 7-1 (§7.7.30); also IDENTITY-TYPE values."""

    IPUI = 0x00
    IPEI = 0x10
    TPUI = 0x20


class FixedIdentityType(IntEnum):
    """FIXED-IDENTITY octet 3 bits 7-1 (§7.7.18)."""

    ARI = 0x00
    ARI_RPN = 0x01
    ARI_RPN_WRS = 0x02
    PARK = 0x20


class IdentityGroup(IntEnum):
    """IDENTITY-TYPE octet 3 bits 4-1 (§7.7.19)."""

    PORTABLE = 0x0
    NETWORK_ASSIGNED = 0x1
    FIXED = 0x4
    APPLICATION_ASSIGNED = 0x8
    PROPRIETARY = 0xF


NWK_ASSIGNED_IDENTITY_TYPE: dict[int, str] = {0x74: "TMSI", 0x7F: "Proprietary"}  # §7.7.28
TPUI_ASSIGNMENT_TYPE: dict[int, str] = {0x0: "TPUI", 0x1: "TPUI with number assigned"}

INFO_TYPE: dict[int, str] = {  # §7.7.20 (the parameters a SIP-DECT flow meets)
    0x00: "Locate suggest",
    0x01: "Access rights modify suggest",
    0x04: "Authentication of PP failure",
    0x06: "Dynamic parameters allocation",
    0x08: "External handover parameters",
    0x09: "Location area",
    0x0A: "Hand over reference",
    0x0B: "Multiframe and PSCN synchronized external handover candidate",
    0x0C: "External handover candidate",
    0x0D: "Multiframe synchronized external handover candidate",
}

LOCATION_INFO_TYPE: dict[int, str] = {  # §7.7.25 octet 3 bits 8-7
    0b01: "Location area level",
    0b10: "Extended location information only",
    0b11: "Location area level and extended location information",
}
LOCATION_AREA_LEVEL_ONLY = 0b01

NUMBER_TYPE: dict[int, str] = {  # §7.7.7 / §7.7.9 octet 3 bits 7-5
    0b000: "Unknown",
    0b001: "International number",
    0b010: "National number",
    0b011: "Network specific number",
    0b100: "Subscriber number",
    0b110: "Abbreviated number",
    0b111: "Reserved for extension",
}
NUMBERING_PLAN: dict[int, str] = {  # octet 3 bits 4-1
    0x0: "Unknown",
    0x1: "ISDN/telephony plan E.164",
    0x3: "Data plan X.121",
    0x7: "TCP/IP address",
    0x8: "National standard plan",
    0x9: "Private plan",
    0xA: "SIP addressing scheme",
    0xB: "Internet character format address",
    0xC: "LAN MAC address",
    0xD: "X.400 address",
    0xE: "Profile service specific alphanumeric identifier",
}
PRESENTATION: dict[int, str] = {  # §7.7.9 octet 3a bits 7-6, §7.7.53 octet 3 bits 7-6
    0b00: "Presentation allowed",
    0b01: "Presentation restricted",
    0b10: "Number not available",
    0b11: "Handset locator",
}
SCREENING: dict[int, str] = {  # octet 3a bits 2-1
    0b00: "User-provided, not screened",
    0b01: "User-provided, verified and passed",
    0b10: "User-provided, verified and failed",
    0b11: "Network provided",
}
ALPHABET: dict[int, str] = {0b000: "DECT standard", 0b001: "UTF-8", 0b111: "Network specific"}
ALPHABET_UTF8 = 0b001

LOCK_LIMITS: dict[int, str] = {  # §7.7.13 octet 3 bits 7-5
    0b110: "Temporary user limit",
    0b111: "No limits",
    0b101: "Temporary user limits 2",
}
TIME_LIMITS: dict[int, str] = {  # octet 3 bits 4-1
    0x0: "Erase (time limit zero)",
    0x1: "Defined time limit 1",
    0x2: "Defined time limit 2",
    0x4: "Standard time limit",
    0xF: "Infinite",
}

FEATURE: dict[int, str] = {  # §7.7.16
    0x01: "Register recall",
    0x0F: "External handover switch",
    0x20: "Queue entry request",
    0x30: "Indication of subscriber number",
    0x42: "Feature key",
    0x44: "Specific line selection",
    0x47: "Specific trunk carrier selection",
    0x48: "Control of echo control functions",
    0x60: "Cost information",
}

IWU_PROTOCOL: dict[int, str] = {  # §7.7.23 octet 3 bits 6-1
    0x00: "User Specific",
    0x01: "OSI high layer protocols",
    0x02: "X.263",
    0x03: "List Access",
    0x04: "IA5 characters",
    0x05: "ULE Configuration and Control",
    0x06: "Light data service, SUOTA",
    0x07: "V.120 Rate adaption",
    0x08: "Q.931 message",
    0x09: "Q.931 information element(s)",
    0x0A: "Q.931 partial message",
    0x10: "GSM message",
    0x11: "GSM information element(s)",
    0x12: "UMTS/GPRS information element(s)",
    0x13: "UMTS/GPRS messages",
    0x14: "LRMS",
    0x15: "RLL Access Profile",
    0x16: "WRS",
    0x20: "DECT/ISDN Intermediate System C-plane specific",
    0x21: "DECT/ISDN Intermediate System U-plane specific",
    0x22: "DECT/ISDN Intermediate System Operation and Maintenance",
    0x23: "Terminal Data",
    0x24: "DECT access to IP Networks specific",
    0x25: "MPEG-4 ER AAC-LD Configuration Description",
    0x3F: "Unknown",
}
IWU_PROTOCOL_USER_SPECIFIC = 0x00


class Discriminator(IntEnum):
    """ESCAPE-TO-PROPRIETARY octet 3 / IWU-TO-IWU octet 4 (§7.7.45, §7.7.23), bit 8 included."""

    UNSPECIFIED = 0x80
    EMC = 0x81


CODEC: dict[int, str] = {  # §7.7.54 codec identifier
    0x01: "user specific 32 kbit/s",
    0x02: "G.726 ADPCM",
    0x03: "G.722",
    0x04: "G.711 A law",
    0x05: "G.711 mu law",
    0x06: "G.729.1",
    0x07: "MPEG-4 ER AAC-LD 32 kbit/s",
    0x08: "MPEG-4 ER AAC-LD 64 kbit/s",
    0x09: "user specific 64 kbit/s",
}
MAC_DLC_SERVICE: dict[int, str] = {
    0x0: "LU1/INA",
    0x1: "LU1/INB",
    0x2: "LU1/IPM",
    0x3: "LU1/IPQ",
    0x4: "LU7/INB",
    0x5: "LU12/INB",
}
CPLANE_ROUTING: dict[int, str] = {
    0b000: "CS only",
    0b001: "CS preferred/CF accepted",
    0b010: "CF preferred/CS accepted",
    0b100: "CF only",
}
SLOT_SIZE: dict[int, str] = {
    0x0: "Half slot",
    0x1: "Long slot j=640",
    0x2: "Long slot j=672",
    0x4: "Full slot",
    0x5: "Double slot",
}
CODEC_NEGOTIATION: dict[int, str] = {0b000: "Negotiation not possible", 0b001: "Codec negotiation"}

TONE_CAPABILITY: dict[int, str] = {  # §7.7.41 octet 3 bits 7-5
    0b000: "Not applicable",
    0b001: "No tone capability",
    0b010: "Dial tone only",
    0b011: "E.182 tones supported",
    0b100: "Complete DECT tones supported",
}
DISPLAY_CAPABILITY: dict[int, str] = {  # octet 3 bits 4-1
    0x0: "Not applicable",
    0x1: "No display",
    0x2: "Numeric",
    0x3: "Numeric-plus",
    0x4: "Alphanumeric",
    0x5: "Full display",
}
PROFILE_7_REKEYING_EARLY_ENCRYPTION = 0x10  # octet 4f bit 5 (dect-security.md §4.1)
TERMINAL_CAP_DSAA2 = 0x40  # octet 5 bit 7
TERMINAL_CAP_DSC2 = 0x20  # octet 5 bit 6
TERMINAL_CAP_CONTROL_CODES = 0x07  # octet 5 bits 3-1

# DECT control codes in display text (annex D as rfpproxy's DECTControlCodes lists them).
DISPLAY_CONTROL_CODES: dict[int, str] = {
    0x00: "null",
    0x02: "return home",
    0x03: "return end",
    0x05: "dialling pause",
    0x06: "next column (tab)",
    0x07: "previous column (tab)",
    0x08: "one column back",
    0x09: "one column forward",
    0x0A: "down one row",
    0x0B: "up one row",
    0x0C: "clear display and home",
    0x0D: "start of row",
    0x0E: "flash off",
    0x0F: "flash on",
    0x11: "XON",
    0x12: "pulse dialling",
    0x13: "XOFF",
    0x14: "DTMF, defined tone length",
    0x15: "register recall",
    0x16: "DTMF, infinite tone length",
    0x17: "internal call",
    0x18: "service call",
    0x19: "clear to end of display",
    0x1A: "clear to end of line",
    0x1B: "ESC",
    0x1C: "supplementary service",
}
