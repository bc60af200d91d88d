import pytest

from stb.reliability import streams
from tests.reliability.check import check_case, ids

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", streams.CASES, ids=ids)
def test_a_bad_stream_gets_a_clear_answer_on_the_tv_and_the_relay(case, tmp_path, media_dir):
    check_case(case, tmp_path)
