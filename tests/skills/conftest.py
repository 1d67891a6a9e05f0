from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpline.config import Settings
from tests.pause_reasons.wiring import running_helpline
from tests.support import Helpline


@pytest.fixture
def helpline(settings: Settings) -> Iterator[Helpline]:
    """The app with this issue's routers (see ``tests/pause_reasons/wiring.py``)."""
    yield from running_helpline(settings)
