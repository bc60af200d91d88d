import pytest

from stb.reliability import trust
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", trust.CASES, ids=ids)
def test_the_trust_model_holds_against_a_hostile_host(case, tmp_path):
    check_case(case, tmp_path)
