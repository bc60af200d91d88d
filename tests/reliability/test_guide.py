import pytest

from stb.reliability import guide
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", guide.CASES, ids=ids)
def test_hostile_guide_is_refused_and_the_old_guide_kept(case, tmp_path):
    check_case(case, tmp_path)
