import pytest

from stb.reliability import mdns
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", mdns.CASES, ids=ids)
def test_discovery_survives_a_hostile_lan(case, tmp_path):
    check_case(case, tmp_path)
