"""Known answers for dect.security: EN 300 175-7 Annex K.1, Annexes L/M and the reference file.

The Annex K.1 chain is repeated here so it runs even without the shared reference
directory; every case of ../shared/reference/dect/known-answers.json runs when it is there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dect import security as sec

_DEFAULT_SHARED = Path(__file__).resolve().parents[3].parent / "shared"
_REFERENCE = (
    Path(os.environ.get("SIPDECT_SHARED_DIR", _DEFAULT_SHARED))
    / "reference/dect/known-answers.json"
)


def _load() -> dict[str, Any]:
    if not _REFERENCE.exists():
        return {}
    data: dict[str, Any] = json.loads(_REFERENCE.read_text())
    return data


KNOWN = _load()
needs_reference = pytest.mark.skipif(
    not KNOWN, reason=f"reference file not found at {_REFERENCE} (set SIPDECT_SHARED_DIR)"
)


def h(text: str) -> bytes:
    """Hex in the ETSI notation: an odd digit count is padded with a zero nibble."""
    return bytes.fromhex(text + "0" * (len(text) % 2))


def _cases(*path: str) -> list[Any]:
    node: Any = KNOWN
    for key in path:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, list) else []


def _ids(cases: list[Any]) -> list[str]:
    return [str(case.get("label", case.get("set", i))) for i, case in enumerate(cases)]


# --- EN 300 175-7 Annex K.1, embedded ----------------------------------------


def test_annex_k1_key_allocation_and_authentication() -> None:
    ac = sec.pin_to_ac("9124")
    assert ac == h("ffff9124")
    k = sec.b1(ac)
    ks = sec.a11(k, bytes(8))
    assert ks == h("39c921efd057ea50f2f541ca9a7fd808")
    _, res1 = sec.a12(ks, h("d01ff9e211680421"))
    assert res1 == h("f28cf911")
    uak = sec.a21(k, bytes(8))
    assert uak == h("93638b457afd40fa585feb6030d572a2")
    assert sec.a22(uak, h("a03ff2c523d00842")) == h("eeba4db9")
    # Later PT authentication with the new UAK.
    dck, res1 = sec.a12(sec.a11(sec.b1(uak), bytes(8)), h("9b114f2554518859"))
    assert (res1, dck) == (h("961b3a9f"), h("8560dc324ea49f37"))


def test_annex_k1_dck_gives_the_spec_keystream() -> None:
    # Spec section 5.2: DCK 8560dc324ea49f37, mfn 0, fn 0.
    stream = sec.dsc_keystream(h("8560dc324ea49f37"), sec.dsc_iv(0, 0))
    assert stream[:16] == h("55932dc68cdf4d1c5c0988cc659999b2")


# --- the reference file ----------------------------------------------------------


@needs_reference
def test_reference_annex_k1_flow() -> None:
    flow = KNOWN["etsi_annex_k1_flow"]
    alloc = flow["key_allocation"]
    ac = sec.pin_to_ac(alloc["PIN"])
    assert ac == h(alloc["AC"])
    k = sec.b1(ac)
    assert k == h(alloc["K_from_AC"])
    ks = sec.a11(k, h(alloc["RS"]))
    assert ks == h(alloc["KS"])
    assert sec.a12(ks, h(alloc["RAND_F"])) == (h(alloc["DCK_discarded"]), h(alloc["RES1"]))
    ks_prime = sec.a21(k, h(alloc["RS"]))
    assert ks_prime == h(alloc["KS_prime"]) == h(alloc["UAK"])
    assert sec.a22(ks_prime, h(alloc["RAND_P"])) == h(alloc["RES2"])

    pt = flow["auth_PT_with_UAK"]
    k = sec.b1(h(pt["K_from_UAK"]))
    ks = sec.a11(k, h(pt["RS"]))
    assert ks == h(pt["KS"])
    assert sec.a12(ks, h(pt["RAND_F"])) == (h(pt["DCK"]), h(pt["RES1"]))

    ft = flow["auth_FT_with_UAK"]
    ks_prime = sec.a21(sec.b1(h(ft["K_from_UAK"])), h(ft["RS"]))
    assert ks_prime == h(ft["KS_prime"])
    assert sec.a22(ks_prime, h(ft["RAND_P"])) == h(ft["RES2"])


A11 = _cases("independent", "a11", "cases")
A12 = _cases("independent", "a12", "cases")
A21 = _cases("independent", "a21", "cases")
A22 = _cases("independent", "a22", "cases")
B1 = _cases("independent", "b1", "cases")
B2 = _cases("independent", "b2", "cases")
CORE = _cases("independent", "dsaa_core", "cases")
DSC = _cases("independent", "dsc", "cases")
DSAA2_1 = _cases("etsi_dsaa2", "DSAA2_1")
DSAA2_2 = _cases("etsi_dsaa2", "DSAA2_2")
DSC2_BLOCKS = _cases("etsi_dsc2", "aes_block_sets")
DSC2_STREAMS = _cases("etsi_dsc2", "keystream_sets")


@needs_reference
@pytest.mark.parametrize("case", A11, ids=_ids(A11))
def test_reference_a11(case: dict[str, Any]) -> None:
    assert sec.a11(h(case["K"]), h(case["RS"])) == h(case["KS"])


@needs_reference
@pytest.mark.parametrize("case", A12, ids=_ids(A12))
def test_reference_a12(case: dict[str, Any]) -> None:
    assert sec.a12(h(case["KS"]), h(case["RAND_F"])) == (h(case["DCK"]), h(case["RES1"]))


@needs_reference
@pytest.mark.parametrize("case", A21, ids=_ids(A21))
def test_reference_a21(case: dict[str, Any]) -> None:
    assert sec.a21(h(case["K"]), h(case["RS"])) == h(case["KS_prime"])


@needs_reference
@pytest.mark.parametrize("case", A22, ids=_ids(A22))
def test_reference_a22(case: dict[str, Any]) -> None:
    assert sec.a22(h(case["KS_prime"]), h(case["RAND_P"])) == h(case["RES2"])


@needs_reference
@pytest.mark.parametrize("case", B1, ids=_ids(B1))
def test_reference_pin_and_b1(case: dict[str, Any]) -> None:
    ac = sec.pin_to_ac(case["PIN"])
    assert ac == h(case["AC"])
    assert sec.b1(ac) == h(case["K"])


@needs_reference
@pytest.mark.parametrize("case", B2, ids=_ids(B2))
def test_reference_b2(case: dict[str, Any]) -> None:
    assert sec.b2(h(case["UAK"]), h(case["UPI"])) == h(case["K"])


@needs_reference
@pytest.mark.parametrize("case", CORE, ids=_ids(CORE))
def test_reference_dsaa_core(case: dict[str, Any]) -> None:
    assert sec.dsaa(h(case["D1"]), h(case["D2"])) == h(case["E"])


@needs_reference
@pytest.mark.parametrize("case", DSC, ids=_ids(DSC))
def test_reference_dsc(case: dict[str, Any]) -> None:
    iv = sec.dsc_iv(case["mfn"], case["fn"])
    assert iv == case["iv"] == int(case["iv_hex"], 16)
    key = h(case["key"])
    stream = sec.dsc_keystream(key, iv)
    assert stream == h(case["keystream_720bit"])
    assert stream[:64] == h(case["keystream_first64"])
    assert stream[:45] == h(case["SF_FP_to_PP"])
    assert stream[45:] == h(case["SP_PP_to_FP"])
    assert sec.dsc_keystream(key, iv, 512) == h(case["keystream_first64"])


@needs_reference
def test_reference_dsc_batched() -> None:
    keys = [h(case["key"]) for case in DSC] * 20  # enough lanes for the bit-sliced path
    ivs = [case["iv"] for case in DSC] * 20
    streams = sec.dsc_keystreams(keys, ivs)
    for i, row in enumerate(streams):
        assert row.tobytes() == h(DSC[i % len(DSC)]["keystream_720bit"])


@needs_reference
@pytest.mark.parametrize("case", DSAA2_1, ids=_ids(DSAA2_1))
def test_reference_dsaa2_1(case: dict[str, Any]) -> None:
    bits = {"m": case["m"], "n": case["n"], "r": case["r"]}
    e = sec.dsaa2_1(h(case["D1"]), h(case["D2"]), h(case["D3"]), **bits)
    assert e == h(case["E"])


@needs_reference
@pytest.mark.parametrize("case", DSAA2_2, ids=_ids(DSAA2_2))
def test_reference_dsaa2_2(case: dict[str, Any]) -> None:
    bits = {"m": case["m"], "n": case["n"], "r": case["r"]}
    tag, key = sec.dsaa2_2(h(case["D1"]), h(case["D2"]), h(case["D3"]), case["t"], **bits)
    assert tag == h(case["E1_tag"])
    assert key == h(case["E2_cipher_key"])


@needs_reference
@pytest.mark.parametrize("case", DSC2_BLOCKS, ids=_ids(DSC2_BLOCKS))
def test_reference_dsc2_block(case: dict[str, Any]) -> None:
    plaintext = h(case["aes_plaintext"])
    assert plaintext[8:] == case["block_j"].to_bytes(8, "big")
    block = sec.dsc2_block(h(case["aes_key"]), plaintext[:8], case["block_j"])
    assert block == h(case["aes_ciphertext"])


@needs_reference
@pytest.mark.parametrize("case", DSC2_STREAMS, ids=_ids(DSC2_STREAMS))
def test_reference_dsc2_keystream(case: dict[str, Any]) -> None:
    stream = sec.dsc2(h(case["CK"]), h(case["IV"]), case["lambda_bits"], m=case["m"], n=case["n"])
    assert stream == h(case["keystream_720bit"])
    assert h(case["aes_key"]).startswith(h(case["CK"]))


@needs_reference
def test_reference_file_is_fully_covered() -> None:
    """Every case list in the file is exercised above; a new list fails here."""
    covered = {
        ("independent", name) for name in ("a11", "a12", "a21", "a22", "b1", "b2", "dsaa_core")
    } | {("independent", "dsc"), ("etsi_dsaa2", "DSAA2_1"), ("etsi_dsaa2", "DSAA2_2")}
    covered |= {("etsi_dsc2", "aes_block_sets"), ("etsi_dsc2", "keystream_sets")}
    found = set()
    for group, content in KNOWN.items():
        if isinstance(content, dict):
            for name, value in content.items():
                if isinstance(value, list) or (isinstance(value, dict) and "cases" in value):
                    found.add((group, name))
    assert found == covered
    assert set(KNOWN["etsi_annex_k1_flow"]) == {
        "label",
        "key_allocation",
        "auth_PT_with_UAK",
        "auth_FT_with_UAK",
    }
