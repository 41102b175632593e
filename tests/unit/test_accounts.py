"""Tests for sipdect.accounts (axi.md §5.5, §2.3; features.md §2.10)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect import accounts
from sipdect.accounts import Account, PasswordRejected, check_password_rules

GOOD = "Blue-Kettle7"


def test_permission_order_is_the_schema_order() -> None:
    assert accounts.PERMISSIONS[:2] == ("AllCnfWrite", "AllCnfRead")
    assert accounts.PERMISSIONS[-1] == "Video" and len(accounts.PERMISSIONS) == 10


def test_presets() -> None:
    assert accounts.PRESET_ACCOUNTS == ("omm", "root", "user")
    assert accounts.DEFAULT_CREDENTIALS == {"omm": "omm"}
    assert accounts.PASSWORD_MAX_LEN == 64


# --- hashing ------------------------------------------------------------------------------


def test_hash_round_trip() -> None:
    stored = accounts.hash_password(GOOD)
    assert stored.startswith("scrypt$16384$8$1$")
    assert accounts.verify_password(GOOD, stored)
    assert not accounts.verify_password(GOOD.lower(), stored)
    assert not accounts.verify_password("", stored)


def test_salts_differ() -> None:
    a, b = accounts.hash_password(GOOD), accounts.hash_password(GOOD)
    assert a != b
    assert a.split("$")[4] != b.split("$")[4]


def test_unicode_password() -> None:
    stored = accounts.hash_password("Grüße-Ωmega9")
    assert accounts.verify_password("Grüße-Ωmega9", stored)
    assert not accounts.verify_password("Grusse-Omega9", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "md5$1$2$3$4$5",
        "scrypt$16384$8$1$!!!$AAAA",
        "scrypt$3$8$1$AAAA$AAAA",
        "scrypt$x$8$1$AAAA$AAAA",
        "scrypt$16384$8$1$AAAA",
    ],
)
def test_malformed_stored_hash_never_matches(stored: str) -> None:
    assert accounts.verify_password("anything", stored) is False


# --- password rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "kwargs", "code"),
    [
        ("", {}, "EPwEmpty"),
        ("Ab1-xyz", {}, "EPwTooShort"),
        ("alllowercase", {}, "EPwTooWeak"),
        ("lowercase12345", {}, "EPwTooWeak"),
        ("Bluee-Keeettle7", {}, "EPwTooManySimilarChars"),
        ("xx-Alice-99", {"username": "alice"}, "EPwSimilarToName"),
        ("My-OMM-pass1", {"username": "omm"}, "EPwSimilarToName"),
        ("Zz9-Dect-Omm1-x", {"hostname": "dect-omm1.example.com"}, "EPwSimilarToHost"),
        ("Zz9-DECT-OMM1.EXAMPLE.COM", {"hostname": "dect-omm1.example.com"}, "EPwSimilarToHost"),
        (GOOD, {"old": GOOD}, "EPwUnchanged"),
        ("Blue-Kettle8", {"old": GOOD}, "EPwTooSimilar"),
        ("bLUE-kETTLE7", {"old": GOOD}, "EPwTooSimilar"),
    ],
)
def test_every_rule_code(new: str, kwargs: dict[str, str], code: str) -> None:
    kwargs = {"username": "admin2", **kwargs}
    with pytest.raises(PasswordRejected) as info:
        check_password_rules(new, **kwargs)  # type: ignore[arg-type]
    assert info.value.code == code
    assert info.value.info.endswith(".") and "\n" not in info.value.info
    assert info.value.code in str(info.value)


def test_good_passwords_pass() -> None:
    check_password_rules(GOOD, username="omm")
    check_password_rules(GOOD, username="omm", old="Red-Teapot42", hostname="omm1.example")
    check_password_rules("Blue-Kettle7xy!", username="omm", old=GOOD)  # distance 3 is enough
    check_password_rules("Ab-1Ab-1", username="ab")  # names under 3 characters ignored
    check_password_rules("aa11AA--", username="x")  # two in a row is fine


def test_rule_order() -> None:
    # Short and weak: short is reported first; weak and repeated: weak first.
    with pytest.raises(PasswordRejected, match="EPwTooShort"):
        check_password_rules("aaa", username="omm")
    with pytest.raises(PasswordRejected, match="EPwTooWeak"):
        check_password_rules("aaaaaaaaa", username="omm")
    # Equal to the old password and containing the name: name first.
    with pytest.raises(PasswordRejected, match="EPwSimilarToName"):
        check_password_rules("Omm-Kettle7", username="omm", old="Omm-Kettle7")


def test_default_password_cannot_be_kept() -> None:
    with pytest.raises(PasswordRejected) as info:
        check_password_rules("omm", username="omm", old="omm")
    assert info.value.code == "EPwTooShort"


@given(
    st.text(max_size=80),
    st.text(max_size=12),
    st.one_of(st.none(), st.text(max_size=80)),
    st.one_of(st.none(), st.text(max_size=30)),
)
def test_rules_raise_only_password_rejected(
    new: str, username: str, old: str | None, hostname: str | None
) -> None:
    try:
        check_password_rules(new, username=username, old=old, hostname=hostname)
    except PasswordRejected as exc:
        assert exc.code.startswith("EPw")
        assert exc.info


def test_levenshtein() -> None:
    assert accounts.levenshtein("kitten", "sitting") == 3
    assert accounts.levenshtein("", "abc") == 3
    assert accounts.levenshtein("same", "same") == 0


# --- Account ------------------------------------------------------------------------------


def make(permissions: tuple[str, ...], state: str = "changed") -> Account:
    return Account(1, "tool", accounts.hash_password(GOOD), permissions, state=state)


def test_roles() -> None:
    full = make(("AllCnfWrite",))
    assert full.can_read and full.can_write
    ro = make(("AllCnfRead", "Messaging"))
    assert ro.can_read and not ro.can_write
    assert ro.has("Messaging") and not ro.has("Locating")
    nothing = make(())
    assert not nothing.can_read and not nothing.can_write


def test_unknown_names_rejected() -> None:
    with pytest.raises(ValueError, match="unknown permission"):
        make(("Root",))
    with pytest.raises(ValueError, match="unknown permission"):
        make(()).has("Root")
    with pytest.raises(ValueError, match="unknown aging"):
        Account(1, "x", "", (), aging="forever")
    with pytest.raises(ValueError, match="unknown account state"):
        Account(1, "x", "", (), state="new")


def test_must_change_password() -> None:
    omm = Account(0, "omm", accounts.hash_password("omm"), ("AllCnfWrite",))
    assert omm.state == "notChanged" and omm.must_change_password
    assert omm.verify("omm")
    changed = omm.with_password(GOOD)
    assert changed.state == "changed" and not changed.must_change_password
    assert changed.verify(GOOD) and not changed.verify("omm")
    assert make((), state="expired").must_change_password
    assert not make((), state="dontCare").must_change_password
