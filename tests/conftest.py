from __future__ import annotations

import gc

import pytest
from hypothesis import settings

from tests.dovecot import dovecot  # noqa: F401
from tests.helpers import AUTHSERV, Desk, Sink
from tests.smime import smime  # noqa: F401

# Property tests assert what holds, not how fast: hypothesis's default deadline (200 ms
# an example) failed them as "flaky" when a busy machine slowed one example down (the
# suite beside four others, a first call warming a cache). Speed is bench/run.py's.
settings.register_profile("maild", deadline=None)
settings.load_profile("maild")


@pytest.fixture
def sink():
    s = Sink().start()
    yield s
    s.stop()


@pytest.fixture
def desk(tmp_path, sink) -> Desk:
    return Desk(tmp_path, sink.port)


@pytest.fixture
def dkim_desk(tmp_path, sink) -> Desk:
    """A desk that trusts its MTA's Authentication-Results (support.authserv_id): a
    first mail with helpers.dkim_pass proves its From, and whom it copies join."""
    return Desk(tmp_path, sink.port, support={"authserv_id": AUTHSERV})


@pytest.fixture(autouse=True)
def _daily_mail(request, monkeypatch) -> None:
    """A test marked daily_mail gets desks that send the morning digest and the daily
    report at their default times (helpers.Desk.daily_mail)."""
    if request.node.get_closest_marker("daily_mail") is not None:
        monkeypatch.setattr(Desk, "daily_mail", True)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collecting made (every test module, its functions and their marks) lives as
    long as the run: it is frozen out of the garbage collector, whose full passes would
    walk it again and again (~2 of ~90 s of CPU over tests/unit; bench/FINDINGS.md 45)."""
    gc.freeze()
