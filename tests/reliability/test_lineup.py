import pytest

from stb.reliability import lineup
from tests.reliability.check import check_case, ids


@pytest.mark.parametrize("case", lineup.CASES, ids=ids)
def test_broken_lineup_or_playlist_is_refused_clearly(case, tmp_path):
    check_case(case, tmp_path)
