"""Codes and constants of the OMM-RFP link ("AaMiDe"): the one place they are written down.

omm-rfp.md §1 (transport), §2.2-§2.7 (crypto constants), §3 (message, DNM, RFPC and SYNC
codes), §4 (field values). Names are spelled as the spec spells them.
"""

from __future__ import annotations

from enum import Enum, IntEnum, IntFlag

# -- transport (§1) ------------------------------------------------------------------------
PORT = 16321
"""TCP port of the OMM; the RFP is the client."""
HEADER_LENGTH = 4
"""type:u16 BE, length:u16 BE; the length excludes these 4 bytes."""
MAX_PAYLOAD_LENGTH = 0x4000
"""Sane upper bound for a payload (assumption: the largest layout known, a MEDIA_TONE2 with
255 tone records, is 6 128 bytes; the u16 field would allow 65 535)."""


class Direction(Enum):
    """Which way a byte stream flows; each has its own cipher key, IV and CBC chain."""

    OMM_TO_RFP = "OMM->RFP"
    RFP_TO_OMM = "RFP->OMM"


# -- message types (§3, MsgTypes.cs) ---------------------------------------------------------
class MessageType(IntEnum):
    """The u16 at message offset 0."""

    ACK = 0x0001
    NACK = 0x0002
    HEARTBEAT = 0x0003

    SYS_IP_OPTIONS = 0x0101
    SYS_LED = 0x0102
    SYS_INFO = 0x0103
    SYS_SPY = 0x0104
    SYS_HEARTBEAT_INTERVAL = 0x0105
    SYS_RSX = 0x0106
    SYS_SYSLOG = 0x0107
    SYS_MAX_CHANNELS = 0x0108
    SYS_HTTP_SET = 0x0109
    SYS_PASSWD = 0x010A
    SYS_CRYPTED_PACKET = 0x010B
    SYS_OMM_CONTROL = 0x010C
    SYS_STATE_DUMP = 0x010D
    SYS_RPING = 0x010E
    SYS_STATE_DUMP_REQ = 0x010F
    SYS_STATE_DUMP_RES = 0x0110
    SYS_NEW_SW = 0x0111
    SYS_AUDIO_LOG = 0x0112
    SYS_USB_OVERLOAD = 0x0113
    SYS_SW_CONTAINER = 0x0115
    SYS_CORE_DUMP = 0x0116
    SYS_VSNTP_TIME = 0x0117
    SYS_RANDOM_VALUE = 0x0118
    SYS_UPDATE_802_1X_SUPPLICANT = 0x0119
    SYS_INIT = 0x0120
    SYS_RESET = 0x0121
    SYS_SUPPLICANT_MD5 = 0x0122
    SYS_STREAM_INFO = 0x0123
    SYS_RFP_AUTH_KEY = 0x0124
    SYS_RFP_RE_ENROLEMENT = 0x0125
    SYS_ENCRYPTION_CONF = 0x0126
    SYS_FIRMWARE_UPDATE = 0x0127
    SYS_COUNTRY_TAG = 0x0128
    SYS_PING = 0x0129
    SYS_AUTHENTICATE = 0x012D
    SYS_LICENSE_TIMER = 0x0134

    MEDIA_OPEN = 0x0200
    MEDIA_CONF = 0x0201
    MEDIA_CLOSE = 0x0202
    MEDIA_START = 0x0203
    MEDIA_STOP = 0x0204
    MEDIA_STATISTICS = 0x0205
    MEDIA_REDIRECT_START = 0x0206
    MEDIA_REDIRECT_STOP = 0x0207
    MEDIA_RESTART = 0x0208
    MEDIA_DTMF = 0x0209
    MEDIA_DSP_CLOSE = 0x020A
    MEDIA_TONE2 = 0x020B
    MEDIA_BANDWIDTH_SWO = 0x020C
    MEDIA_MUTE = 0x020D
    MEDIA_G729_USED = 0x020E
    MEDIA_TRACE_PPN = 0x020F
    MEDIA_EOS_DETECT = 0x0210
    MEDIA_AUDIO_STATISTICS = 0x0211
    MEDIA_VIDEO_STATE = 0x0212
    MEDIA_CHANNEL_MOD_INFO = 0x0213

    DNM = 0x0301
    SYNC = 0x0302

    WLAN_RFP_CONFIG = 0x0401
    WLAN_RFP_UP = 0x0402
    WLAN_RFP_DOWN = 0x0403
    WLAN_RFP_CLIENT_REQ = 0x0404
    WLAN_RFP_CLIENT_REP = 0x0405
    WLAN_RFP_SET_ACL = 0x0406
    WLAN_RFP_CLIENT_INFO = 0x0407
    WLAN_RFP_ACK = 0x0408
    WLAN_RFP_LINK_NOK_NACK = 0x0409
    WLAN_RFP_IFACE_REP = 0x040E

    SNMP_RFP_UPDATE = 0x0501

    CONF_OPEN = 0x0600
    CONF_ADD_SUBSCR = 0x0601
    CONF_CHG_SUBSCR = 0x0602
    CONF_DEL_SUBSCR = 0x0603
    CONF_CLOSE = 0x0604
    CONF_RTP = 0x0605

    BLUETOOTH_DEVICE = 0x0700
    BLUETOOTH_CONFIG = 0x0701
    BLUETOOTH_DATA = 0x0702

    VIDEO_DEVICE = 0x0800
    VIDEO_CONFIG = 0x0801


def message_type_name(code: int) -> str:
    """The spec's name of a message type, or "UNKNOWN_0x...." for a code the table lacks."""
    if code in MessageType._value2member_map_:
        return MessageType(code).name
    return f"UNKNOWN_{code:#06x}"


# -- ACK / NACK (§4.3) ---------------------------------------------------------------------
SYS_INIT_ACK_HANDLE = 0xFFFF
"""The call id / handle field of the ACK that answers SYS_INIT."""
SYS_INIT_ACK_TAIL = bytes.fromhex("01000000")
"""The 4 optional bytes of that ACK (`0001 0008 0120 ffff 01000000`)."""


class NackReason(IntEnum):
    """NACK reason, u32 BE at offset 8."""

    OK = 0x04000000
    INVALID_ELEMENT = 0x04000001
    NO_RESOURCE = 0x04000002
    WRONG_STATE = 0x04000003
    INVALID_PARAMETERS = 0x04000004
    PORT_IN_USE = 0x04000005
    CODEC_NOT_SUPPORTED = 0x04000006
    VIDEO_NOT_SUPPORTED = 0x04000007


# -- SYS_INIT (§4.2) -----------------------------------------------------------------------
class HardwareType(IntEnum):
    """SYS_INIT hardware type, u32 BE at offset 4."""

    RFP31 = 0x01
    RFP33 = 0x02
    RFP41 = 0x03
    RFP32 = 0x04
    RFP32US = 0x05
    RFP34 = 0x06
    RFP34US = 0x07
    RFP42 = 0x08
    RFP42US = 0x09
    RFP35 = 0x0B
    RFP36 = 0x0C
    RFP43 = 0x0D
    RFP37 = 0x0E
    RFP44 = 0x10
    RFP45 = 0x11
    RFP47 = 0x12
    RFP48 = 0x13
    PC_ECM = 0x14
    PC = 0x15
    # The spec lists the L-models as a range 0x1001-0x100E; the codes below mirror the
    # numbering of the plain models (an inference: no L code skipped 0x04/0x0a explicitly).
    RFP_L31 = 0x1001
    RFP_L33 = 0x1002
    RFP_L41 = 0x1003
    RFP_L32US = 0x1005
    RFP_L34 = 0x1006
    RFP_L34US = 0x1007
    RFP_L42 = 0x1008
    RFP_L42US = 0x1009
    RFP_L35 = 0x100B
    RFP_L36 = 0x100C
    RFP_L43 = 0x100D
    RFP_L37 = 0x100E
    RFP_SL35 = 0x200B
    RFP_SL36 = 0x200C
    RFP_SL43 = 0x200D
    RFP_SL37 = 0x200E


VOICE_CHANNELS = 8
"""Voice (DSP) channels of an RFP: 8 media streams (SIP-DECT R1.8 guide §2.6); RFP 32, 34, 35,
36, 37, 42, 43, 45, 47 and 48 have 8 (features.md §1 row 5)."""
VOICE_CHANNELS_BY_HW_TYPE: dict[int, int] = {HardwareType.RFP44: 4}
"""Models with fewer (features.md §1 row 5: RFP 44 IP has 4). Every other code, PC ECM and
unknown ones included, gets VOICE_CHANNELS (sipdect's choice)."""


def voice_channels(hw_type: int) -> int:
    """The voice channels of an RFP of this SYS_INIT hardware type."""
    return VOICE_CHANNELS_BY_HW_TYPE.get(hw_type, VOICE_CHANNELS)


class Capability(IntFlag):
    """SYS_INIT capabilities, u32 BE at offset 24."""

    UNKNOWN_04 = 0x04
    NORMAL_TX = 0x08
    INDOOR = 0x10
    WLAN = 0x20
    ENCRYPTION = 0x100
    FREQUENCY_SHIFT = 0x200
    LOW_TX = 0x400
    ADVANCED_FEATURE = 0x800 | 0x2000 | 0x4000 | 0x8000
    WLAN_DFS = 0x10000


class Branding(IntFlag):
    """Branding in the SYS_INIT identity block (u16 LE, low 10 bits)."""

    AVAYA = 0x01
    FFSIP = 0x02
    A5000 = 0x04
    MITEL = 0x08
    OC01XX = 0x10
    OCX = 0x20


BRANDING_MASK = 0x3FF

SYS_INIT_LAYOUTS: dict[int, tuple[int, int]] = {
    0x110: (20, 144),  # 8.1 and later (protocol > 0x080000)
    0x104: (8, 144),  # 8.0, 7.1
    0xF4: (8, 128),  # OC 4.0
}
"""SYS_INIT payload length -> (reserved bytes after the protocol field, SW version field size).
The signature is always the last 16 bytes."""
SYS_INIT_PAYLOAD_LENGTH = 0x110
SIGNATURE_LENGTH = 16

SOFTRFP_HARDWARE = HardwareType.RFP35
SOFTRFP_CAPABILITIES = Capability.INDOOR | Capability.ENCRYPTION | Capability.ADVANCED_FEATURE
"""`0000e910`, what SoftRfp announces."""
SOFTRFP_PROTOCOL = 0x080500
"""The protocol SoftRfp sends with "SIP-DECT 9.2-eventphone"."""

# -- key material and ciphers (§2.2-§2.7) --------------------------------------------------
RFP_KEY_LENGTH = 64
"""The per-RFP key K."""
AUTHENTICATE_LENGTH = 0x20
"""SYS_AUTHENTICATE payload: the challenge / IV seed."""
OMM_TO_RFP_KEY = slice(0, 56)
"""K[0..55] keys the OMM->RFP Blowfish (56 bytes, the Blowfish maximum)."""
RFP_TO_OMM_KEY = slice(8, 64)
"""K[8..63] keys the RFP->OMM Blowfish."""
RFP_TO_OMM_IV_SEED = slice(7, 15)
"""SYS_AUTHENTICATE payload bytes 7-14 (message bytes 11-18)."""
OMM_TO_RFP_IV_SEED = slice(23, 31)
"""SYS_AUTHENTICATE payload bytes 23-30 (message bytes 27-34)."""
BLOCK_SIZE = 8
"""Blowfish block; every encrypted message is padded to a multiple of it."""

BASE_IV_RFP_TO_OMM = bytes.fromhex("68e8364be9c234c1")
BASE_IV_OMM_TO_RFP = bytes.fromhex("dfe66571fac45a42")
LEGACY_BASE_IV_RFP_TO_OMM = bytes.fromhex("6f9f5b898c88ace6")
LEGACY_BASE_IV_OMM_TO_RFP = bytes.fromhex("0c8213a6b79642bc")
LEGACY_KEY_OMM_TO_RFP = bytes.fromhex(
    "9DC880C7C2DA904C841515CA34BF7E9C51D41DABBD8E9E07BBEB457EF4A16D88"
    "4F7DC48414D1EA501C77BBF73C586C4D684BB1869246C895"
)
"""SIP-DECT <= 7.x: one fixed key for all RFPs (§2.6)."""
LEGACY_KEY_RFP_TO_OMM = bytes.fromhex(
    "87E0F9B38927F7231541FA19C2E2DE7629EB96C85E7C794D2EA55DE608E4AE07"
    "CFF431A267B8790A36C6E41C21F8350C77871E168798731F"
)
LEGACY_REKEY_INTERVAL = 2500
"""Legacy only: encrypted messages per direction before a rekey (not implemented here: the
224-byte rekey table is not in the spec)."""

SYS_INIT_AES_KEY = bytes.fromhex(
    "e705bc1a92412f3262c547f87946936997e690ada46fad25bbc626f6f5a5a6ce"
)
"""AES-256-ECB key of the SYS_INIT identity block (§2.3)."""
SYS_INIT_SIGNATURE_KEY = bytes.fromhex(
    "e7adda3adb0521f3d3fbdf3a18ee8648b47398b1570c2b45ef8d2a9180a1a32c"
    "69284a9c97d444abf87f5c578f9428214dd0183cba969dc5"
)
"""Appended to the MD5 input of the SYS_INIT signature (§2.3)."""
IDENTITY_BLOCK_MAGIC = bytes.fromhex("00037a20000529d9")
IDENTITY_BLOCK_LENGTH = 64
IDENTITY_FILLER_LENGTH = 44
IDENTITY_CRC_SPAN = 60
"""The cksum CRC covers plaintext bytes 0-59 and sits in bytes 60-63."""
CKSUM_POLY = 0x04C11DB7
"""POSIX cksum CRC-32: MSB first, init 0, length appended, result inverted."""

RE_ENROLEMENT_ROOT_HASH_LENGTH = 26
"""The root user's md5-crypt string, e.g. `$1$$juPq1oleiGg7WHdZ5itlC/`."""
RE_ENROLEMENT_AUTH_KEY_PART = slice(26, 32)
"""SYS_AUTHENTICATE payload bytes 26-31 complete the 32-byte AES key after the root hash."""
MD5_CRYPT_PREFIX = "$1$$"
"""What SYS_PASSWD leaves out of the hash it carries (that the RFP prepends it: inference)."""

OMM_CONF_XAC_KEY = bytes.fromhex("096ba9879890b67a1893e397b977f3")
"""omm_conf.txt "XAC" password key (Blowfish-ECB, LE words)."""

# -- timers and defaults (§2.1, §5) --------------------------------------------------------
DEFAULT_HEARTBEAT_INTERVAL = 15
"""Seconds; the value observed in SYS_HEARTBEAT_INTERVAL."""
LICENSE_TIMER_QUERY = 0xFFFFFFFF
"""SYS_LICENSE_TIMER grace value meaning "query"; any value > 0x7FFFFFFF counts as one."""
LICENSE_TIMER_QUERY_THRESHOLD = 0x7FFFFFFF
DEFAULT_LICENSE_GRACE_MINUTES = 0xFFFF
"""SoftRfp's initial answer to the query."""
NTP_UNIX_OFFSET = 2208988800
"""Seconds from 1900-01-01 (SYS_VSNTP_TIME epoch) to 1970-01-01."""


# -- SYS field values (§4.7) ---------------------------------------------------------------
class LedColour(IntEnum):
    """SYS_LED colour at offset 5."""

    OFF = 0
    GREEN = 1
    GREEN_FLASH = 2
    GREEN_ORANGE_FLASH = 3
    GREEN_RED_FLASH = 4
    RED = 5
    ORANGE = 6
    GREEN_RED_CYCLE = 7


class ResetType(IntEnum):
    """SYS_RESET type at offset 4."""

    RESET = 0x02
    CHECK_IMAGE_WITH_REBOOT = 0x05
    CHECK_IMAGE_WITHOUT_REBOOT = 0x06
    ENABLE_IMAGE_AUTO_CHECK = 0x07
    DISABLE_IMAGE_AUTO_CHECK = 0x08


class FirmwareUpdateTag(IntEnum):
    """SYS_FIRMWARE_UPDATE TLV types (names are descriptive; the spec gives meanings only)."""

    BUILD = 3
    BUILD_OLD = 4
    VERSION = 5
    VERSION_OLD = 6
    TFTP_URL = 7
    FLAG_8 = 8
    FLAG_9 = 9


# -- MEDIA (§3.3, §4.8) --------------------------------------------------------------------
class Codec(IntEnum):
    """MEDIA_CONF codec id."""

    G711_ALAW = 0
    G723_53 = 1
    G723_63 = 2
    G729 = 3
    G711_ULAW = 4


class MediaDirection(IntEnum):
    """MEDIA_START / MEDIA_STOP / MEDIA_TONE2 direction."""

    NONE = 0
    RX = 1
    TX = 2
    TX_RX = 3


MEDIA_CONF_MAX_CODECS = 17
"""Codec triples fit between offsets 11 and 61."""
TONE_RECORD_LENGTH = 24


# -- DNM (§3.4-§3.6, §4.9) -----------------------------------------------------------------
class DnmLayer(IntEnum):
    """DNM byte at message offset 4."""

    RFPC = 0x78
    LC = 0x79
    MAC = 0x7A
    MT = 0x7C
    SYNC = 0x7D


class DnmPrimitive(IntEnum):
    """Primitive at offset 5 for the LC (0x79) and MAC (0x7A) layers (one table for both)."""

    MAC_CON_IND = 0x01
    MAC_DIS_REQ = 0x02
    MAC_DIS_IND = 0x03
    LC_DATA_REQ = 0x05
    LC_DATA_IND = 0x06
    LC_DTR_IND = 0x07
    MAC_PAGE_REQ = 0x08
    MAC_ENC_KEY_REQ = 0x09
    MAC_ENC_EKS_IND = 0x0A
    HO_IN_PROGRESS_IND = 0x0B
    HO_IN_PROGRESS_RES = 0x0C
    HO_FAILED_IND = 0x0D
    HO_FAILED_REQ = 0x0E
    DLC_RFP_ERROR_IND = 0x14
    MAC_CON_EXT_IND = 0x15
    HO_IN_PROGRESS_EXT_IND = 0x16
    MAC_MOD_REQ = 0x17
    MAC_MOD_CNF = 0x18
    MAC_MOD_IND = 0x19
    MAC_MOD_REJ = 0x1A
    MAC_RECORD_AUDIO = 0x1B
    MAC_INFO_IND = 0x1C
    MAC_GET_DEF_CKEY_IND = 0x1D
    MAC_GET_DEF_CKEY_RES = 0x1E
    MAC_CLEAR_DEF_CKEY_REQ = 0x1F
    MAC_GET_CURR_CKEY_ID_REQ = 0x20
    MAC_GET_CURR_CKEY_ID_CNF = 0x21


DNM_WITHOUT_MCEI = frozenset({DnmPrimitive.MAC_PAGE_REQ, DnmPrimitive.MAC_CLEAR_DEF_CKEY_REQ})
"""LC/MAC primitives whose offset 6 is not an MCEI."""
DNM_MCEI_LAYERS = frozenset({DnmLayer.LC, DnmLayer.MAC})
DNM_TLV_LAYERS = frozenset({DnmLayer.RFPC, DnmLayer.MT})
"""Layers whose payload from offset 6 is a list of (key u8, len u8, value)."""


class RfpcPrimitive(IntEnum):
    """Primitive at offset 5 for the RFPC layer (0x78)."""

    READY_IND = 0x01
    INIT_REQ = 0x02
    INIT_CFM = 0x03
    SARI_LIST_REQ = 0x05
    CHANGE_HIGHER_LAYER_CAPABILITIES_REQ = 0x06
    CHANGE_HIGHER_LAYER_CAPABILITIES_CFM = 0x07
    CHANGE_STATUS_INFO_REQ = 0x08
    CHANGE_STATUS_INFO_CFM = 0x09
    ACTIVATE_REQ = 0x0F
    ACTIVATE_CFM = 0x10
    DEACTIVATE_REQ = 0x11
    DEACTIVATE_CFM = 0x12
    RESET_REQ = 0x13
    STATISTICS_DATA_REQ = 0x16
    STATISTICS_DATA_CFM = 0x17
    ERROR_IND = 0x18
    TO_RFP_IND = 0x20
    TO_RFP_REQ = 0x21
    TOPO_DATA_REQ = 0x22
    TOPO_DATA_IND = 0x23
    BMC_RESTART_REQ = 0x24
    CHANGE_MASTER_REQ = 0x25
    INFO_IND = 0x26
    ACTIVE_IND = 0x30
    ACTIVE_RES = 0x31
    PAGING_QUEUE_OVERFLOW_IND = 0x32


class RfpcKey(IntEnum):
    """RFPC TLV keys (spelled as the spec, which takes rfpproxy's names; 0x16 is unnamed)."""

    NumberOfUpn = 0x01
    Revision = 0x02
    NumberOfBearer = 0x03
    RFPI = 0x04
    SARI = 0x05
    HigherLayerCapabilities = 0x06
    ExtendedCapabilities = 0x07
    StatusInfo = 0x08
    MacCapabilities = 0x0D
    StatisticDataReset = 0x0F
    StatisticData = 0x10
    ErrorCause = 0x11
    RfpFu6WindowSize = 0x12
    RfpToRfp = 0x14
    RfpTopo = 0x15
    LastError = 0x20
    PabxData = 0x21
    MoniData = 0x22
    LastErrorExt = 0x23
    FpgaRevision = 0x24
    RfpString = 0x25
    RfpSiteLocation = 0x26
    RfpPli = 0x27
    ReflectingEnvironment = 0x28
    ExtendedCapabilities2 = 0x29
    FrequencyBand = 0x2A
    RfPower = 0x2B


class MacDisReason(IntEnum):
    """MAC_DIS_IND reason at offset 7."""

    UNSPECIFIED = 0
    NORMAL = 1
    ABNORMAL = 2


class HoFailedReason(IntEnum):
    """HO_FAILED_IND reason at offset 7."""

    SETUP_FAILED = 1


MAC_CON_IND_HANDOVER = 0x02
"""MAC_CON_IND flags bit 1: the connection arrives from another RFP."""
HO_KEY_ID_NONE = 0xFF
"""HO_IN_PROGRESS_RES key id when the connection is not encrypted."""


# -- LC / DLC frames (§4.9, EN 300 175-4 §7.11) ----------------------------------------------
class LogicalChannel(IntEnum):
    """Low nibble of offset 7 in LC_DATA_REQ/IND."""

    CS = 0x0
    CF = 0xF


LC_MAX_NWK_PER_FRAME = 63
"""L is 6 bits; longer NWK messages are fragmented (M = 1)."""
LC_PADDING = 0xF0
"""The byte RFPs pad LC_DATA_IND frames with."""


class DlcSupervisory(IntEnum):
    """S-frame type, control bits 3-2."""

    RR = 0
    RNR = 1
    REJ = 2


DLC_UNNUMBERED: dict[int, str] = {
    0x2F: "SABM",
    0x0F: "DM",
    0x03: "UI",
    0x43: "DISC",
    0x63: "UA",
}
"""U-frame control octets with P/F (bit 4) cleared."""
DLC_PF = 0x10


# -- SYNC (§3.7) ---------------------------------------------------------------------------
class SyncType(IntEnum):
    """SYNC sub-type, u16 BE at offset 4 (0x7d32 and 0x7d33 are unnamed)."""

    GET_REQ_RSSI_COMP_IND = 0x7D0E
    GET_REQ_RSSI_COMP_CFM = 0x7D0F
    FREQ_CTRL_MODE_IND = 0x7D15
    FREQ_CTRL_MODE_CFM = 0x7D16
    PHASE_OFFSET_IND = 0x7D17
    SET_FREQUENCY = 0x7D18
    SET_REPORT_LIMIT = 0x7D1A
    RESET_MAC_IND = 0x7D1B
    START_MAC_MASTER_IND = 0x7D1C
    START_MAC_SLAVE_MODE_IND = 0x7D1D
    SYSTEM_SEARCH_IND = 0x7D1E
    SYSTEM_SEARCH_CFM = 0x7D1F
    MAC_STARTED_IND = 0x7D20
    RESET_MAC_CFM = 0x7D21
    START_MAC_MASTER_CFM = 0x7D22
    START_MAC_MASTER_REJ = 0x7D23
    START_MAC_SLAVE_MODE_CFM = 0x7D24
    START_MAC_SLAVE_MODE_REJ = 0x7D25
    SYSTEM_SEARCH_REJ = 0x7D26
    READY_FOR_SYNC_IND = 0x7D27
    GET_ACTIVE_CHANNEL_CFM = 0x7D29
    PHASE_OFS_WITH_RSSI_IND = 0x7D2C
    RESET_MAC_IF_IDLE_CFM = 0x7D2F


SYNC_OFFSET_UNIT_NS = 48
"""PHASE_OFS_WITH_RSSI_IND offsets count in 48 ns steps."""


def code_name(table: type[IntEnum], code: int) -> str:
    """The name of `code` in `table`, or its hex value when the table lacks it."""
    if code in table._value2member_map_:
        return table(code).name
    return f"{code:#04x}"
