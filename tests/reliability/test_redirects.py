import pytest

from stb.reliability import redirects
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", redirects.CASES, ids=ids)
def test_redirects_never_lead_the_box_into_its_own_files_or_loopback(case, tmp_path):
    check_case(case, tmp_path)
