"""omm-rfp.md §7.1: DeTeWe proprietary element bodies (DeTeWeProprietaryTest.cs), D1-D23."""

from __future__ import annotations

import datetime

import pytest

from dect.errors import DectValueError
from dect.nwk.proprietary import (
    AastraContent,
    DateTime,
    DeTeWeContent,
    DeTeWeElement,
    DeTeWeRaw,
    DeTeWeType,
    Display,
    Display2,
    HomeScreenText,
    RawContent,
    Reserved1,
    SendText,
    SiemensContent,
    decode_content,
    decode_detewe_element,
)

DISPLAY = DeTeWeType.DISPLAY
D_VECTORS: list[tuple[str, int, str, DeTeWeElement]] = [
    (
        "D1",
        DeTeWeType.DATE_TIME,
        "c019031121500000",
        DateTime(datetime.datetime(2019, 3, 11, 21, 50)),
    ),
    (
        "D2",
        DeTeWeType.HOME_SCREEN_TEXT,
        "900d506f43207a6976696c6c69616e0a4556454e5450484f4e450434353032",
        HomeScreenText(("PoC zivillian", "EVENTPHONE", "4502")),
    ),
    ("D3", DISPLAY, "8110044e616d6500", Display(0x81, ("Name", ""), 0x10)),
    (
        "D4",
        DISPLAY,
        "a4ff0b54656c65666f6e627563680a5a656974204c696d6974",
        Display(0xA4, ("Telefonbuch", "Zeit Limit")),
    ),
    (
        "D5",
        DISPLAY,
        "a0ff000f4e696368742076657266c3bc67622e",
        Display(0xA0, ("", "Nicht verfügb.")),
    ),
    ("D6", DISPLAY, "a0ff000a416267656d656c646574", Display(0xA0, ("", "Abgemeldet"))),
    (
        "D7",
        DISPLAY,
        "b2ff0c53797374656d204d656ec3bc41506167696e670a764361726420656d7066616e67656e0a52c3bc636b52756620622e48616c74656e0a416e6b6c6f7066656e0a41646d696e697374726174696f6e",
        Display(
            0xB2,
            ("System Menü", "Paging\nvCard empfangen\nRückRuf b.Halten\nAnklopfen\nAdministration"),
        ),
    ),
    (
        "D8",
        DISPLAY,
        "89400f45696e6761626520642e5a69656c730434353032",
        Display(0x89, ("Eingabe d.Ziels", "4502"), 0x40),
    ),
    (
        "D9",
        DISPLAY,
        "89400c52c3bc636b727566204e722e0434353032",
        Display(0x89, ("Rückruf Nr.", "4502"), 0x40),
    ),
    (
        "D10",
        DISPLAY,
        "b2ff06506167696e671074656c3a343530320a63623a34353032",
        Display(0xB2, ("Paging", "tel:4502\ncb:4502")),
    ),
    (
        "D11",
        DISPLAY,
        "b2ff0a41757377c3a4686c656e086162636465762c20",
        Display(0xB2, ("Auswählen", "abcdev, ")),
    ),
    (
        "D12",
        DISPLAY,
        "b2ff086162636465762c200754203a33373130",
        Display(0xB2, ("abcdev, ", "T :3710")),
    ),
    (
        "D13",
        DISPLAY,
        "a4ff06506167696e6709476573746172746574",
        Display(0xA4, ("Paging", "Gestartet")),
    ),
    (
        "D14",
        DISPLAY,
        "b3ff0a41757377c3a4686c656e58506f6361686f6e6465726963682c200a506f43204265462c200a506f43204265726e69652c200a506f43204472346b332c200a506f43204641582c200a506f432047617277696e2c200a506f432048656c706465736b2c20",
        Display(
            0xB3,
            (
                "Auswählen",
                "Pocahonderich, \nPoC BeF, \nPoC Bernie, \nPoC Dr4k3, \nPoC FAX, \nPoC Garwin, \nPoC Helpdesk, ",  # noqa: E501
            ),
        ),
    ),
    ("D15", DISPLAY, "b8ff000d506f4320486f746c696e652c20", Display(0xB8, ("", "PoC Hotline, "))),
    (
        "D16",
        DISPLAY,
        "b7ff0015506f43205365727669636520486f746c696e652c20",
        Display(0xB7, ("", "PoC Service Hotline, ")),
    ),
    ("D17", DeTeWeType.SEND_TEXT, "416263", SendText("Abc")),
    ("D18", DeTeWeType.SEND_TEXT, "34353032", SendText("4502")),
    ("D19", DeTeWeType.SEND_TEXT, "506f6320", SendText("Poc ")),
    (
        "D20",
        DeTeWeType.RESERVED_1,
        "063337313038383835353535343430506a616d670000",
        Reserved1("37108885555440Pjamg", ""),
    ),
    (
        "D21",
        DeTeWeType.RESERVED_1,
        "063435303200506f43207a6976696c6c69616e00",
        Reserved1("4502", "PoC zivillian"),
    ),
    ("D22", DeTeWeType.DISPLAY_2, "812a310a", Display2("*1\n")),
    (
        "D23",
        DeTeWeType.DISPLAY_2,
        "81506f43207a6976696c6c69616e0a0a42657365747a740a",
        Display2("PoC zivillian\n\nBesetzt\n"),
    ),
]


@pytest.mark.parametrize(
    ("name", "element_type", "body", "expected"), D_VECTORS, ids=[v[0] for v in D_VECTORS]
)
def test_detewe_element_bodies(
    name: str, element_type: int, body: str, expected: DeTeWeElement
) -> None:
    value = bytes.fromhex(body)
    element = decode_detewe_element(element_type, value)
    assert element == expected
    assert element.payload() == value
    tlv = bytes([element_type, len(value)]) + value
    assert element.encode() == tlv
    assert decode_content(0x0031, tlv) == DeTeWeContent((expected,))


def test_display_types_and_the_lone_empty_display() -> None:
    assert Display(0xB2, ("a",)).to_json()["display_type"] == "no scroll"
    empty = decode_detewe_element(DISPLAY, b"\xfe")
    assert empty == Display(0xFE, (), None)
    assert empty.payload() == b"\xfe"
    with pytest.raises(DectValueError, match="empty"):
        Display(0xB2, (), None)


def test_malformed_known_elements_stay_raw() -> None:
    assert decode_detewe_element(
        DeTeWeType.DATE_TIME, bytes.fromhex("c019131121500000")
    ) == DeTeWeRaw(DeTeWeType.DATE_TIME, bytes.fromhex("c019131121500000"))  # month 13
    assert decode_detewe_element(DISPLAY, b"\xb2\xff\x05ab") == DeTeWeRaw(
        DISPLAY, b"\xb2\xff\x05ab"
    )
    assert decode_detewe_element(DeTeWeType.SEND_TEXT, b"\xff") == DeTeWeRaw(
        DeTeWeType.SEND_TEXT, b"\xff"
    )
    assert decode_detewe_element(DeTeWeType.LANGUAGE, b"") == DeTeWeRaw(DeTeWeType.LANGUAGE, b"")


def test_contents_by_emc() -> None:
    assert decode_content(0x0031, b"\x16\x05\x01") == RawContent(b"\x16\x05\x01")  # TLV overruns
    assert decode_content(0x0071, b"\x01\x02") == RawContent(b"\x01\x02")
    assert decode_content(None, b"\x01") == RawContent(b"\x01")
    aastra = decode_content(0x0094, bytes.fromhex("0203414243"))
    assert aastra == AastraContent(0x02, b"ABC")
    assert aastra.to_json() == {"type": "FIRMWARE-2", "data": "414243"}
    assert decode_content(0x0094, bytes.fromhex("0101410201")) == RawContent(
        bytes.fromhex("0101410201")
    )
    assert isinstance(decode_content(0x0002, b""), SiemensContent)
