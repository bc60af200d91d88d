import pytest

from stb.reliability import faults
from tests.reliability.check import check_case, ids

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", faults.CASES, ids=ids)
def test_a_fault_loses_nothing_and_the_box_comes_back(case, tmp_path, media_dir):
    check_case(case, tmp_path)
