import pytest

from stb.reliability import escapes
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", escapes.CASES, ids=ids)
def test_lan_strings_reach_the_terminal_only_as_visible_escapes(case, tmp_path):
    check_case(case, tmp_path)
