import pytest

from stb.reliability import pvr
from tests.reliability.check import check_case, ids

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", pvr.CASES, ids=ids)
def test_a_recording_fault_loses_nothing(case, tmp_path, media_dir):
    check_case(case, tmp_path)
