from stb.ui.numberentry import COMMIT_AFTER_S, NumberEntry


def test_commits_after_the_pause():
    entry = NumberEntry()
    assert entry.press(1, now=10.0) is None
    assert entry.press(2, now=10.5) is None
    assert entry.due(10.5 + COMMIT_AFTER_S - 0.01) is None
    assert entry.digits == "12"
    assert entry.due(10.5 + COMMIT_AFTER_S) == 12
    assert not entry.active


def test_commits_at_once_when_full():
    entry = NumberEntry()
    for d in (1, 2, 3):
        assert entry.press(d, now=0) is None
    assert entry.press(4, now=0) == 1234


def test_ok_commits_early_and_empty_commit_is_none():
    entry = NumberEntry()
    entry.press(7, now=0)
    assert entry.commit() == 7
    assert entry.commit() is None
