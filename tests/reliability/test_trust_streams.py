import pytest

from stb.reliability import trust_streams
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", trust_streams.CASES, ids=ids)
def test_streams_and_request_slots_hold_against_hostile_clients(case, tmp_path):
    check_case(case, tmp_path)
