import pytest

from stb.reliability import skins
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", skins.CASES, ids=ids)
def test_hostile_skin_is_refused_and_the_box_falls_back(case, tmp_path):
    check_case(case, tmp_path)
