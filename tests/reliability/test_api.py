import pytest

from stb.reliability import api
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", api.CASES, ids=ids)
def test_hostile_http_clients_get_clear_answers(case, tmp_path):
    check_case(case, tmp_path)
