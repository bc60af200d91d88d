import pytest

from stb.reliability import pairing
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", pairing.CASES, ids=ids)
def test_pairing_holds_against_a_hostile_household_member(case, tmp_path):
    check_case(case, tmp_path)
