import pytest

from stb.reliability import recordings
from tests.reliability.check import check_case, ids

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", recordings.CASES, ids=ids)
def test_recordings_on_other_screens_hold_against_faults_and_hostile_clients(case, tmp_path):
    check_case(case, tmp_path)
