"""The rig of the TV's recordings tests: a guide that is on now, the box on it, and a recorder fed by hand
(tests/ui/recrig.py). Here, not in tests/ui/conftest.py: other UI tests have an ``app`` of their own."""

from __future__ import annotations

import pytest

from stb.config import StateStore
from stb.ui.app import App
from tests.ui.recrig import PROGRAMMES, GuideNow, Recorder


@pytest.fixture
def guide(tmp_path):
    made = GuideNow(tmp_path)
    made.write(PROGRAMMES)
    return made


@pytest.fixture
def app(tmp_path, guide):
    application = App(guide.lineup, headless=True, store=StateStore(tmp_path / "box"), guide_db=guide.db,
                      pretune=0)  # fmt: skip
    application.start()
    yield application
    application.close()


@pytest.fixture
def recorder(tmp_path, guide, app):
    made = Recorder(tmp_path / "pvr", guide, max_channels=1)
    app.tv.recordings.pvr = made.pvr
    yield made
    made.close()
