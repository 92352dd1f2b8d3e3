from __future__ import annotations

import pytest

from tests.dovecot import dovecot  # noqa: F401
from tests.helpers import Desk, Sink
from tests.smime import smime  # noqa: F401


@pytest.fixture
def sink():
    s = Sink().start()
    yield s
    s.stop()


@pytest.fixture
def desk(tmp_path, sink) -> Desk:
    return Desk(tmp_path, sink.port)
