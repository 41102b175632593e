"""The MOM <-> OMM sync contract's identities (docs/mom.md)."""

from dect.conventions import default_park
from dect.identities import Park
from sipdect.axi.sync import omm_id, registered_here


def test_omm_id_is_the_ari_of_the_park_as_a_real_omm_shows_it() -> None:
    assert omm_id(Park.parse("1F102A7C82")) == "102A7C82"


def test_each_omm_of_a_system_has_its_own_id() -> None:
    ids = {omm_id(default_park(i)) for i in range(20)}
    assert len(ids) == 20 and all(len(i) == 8 for i in ids)


def test_a_user_is_registered_only_where_its_device_is_confirmed() -> None:
    assert registered_here("102A7C82", "")
    assert registered_here("102A7C82", "102A7C82")
    assert not registered_here("102A7C82", "10DEC700")
