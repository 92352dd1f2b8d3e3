"""deskcap: the desk-wide cap on confirmations to senders whose mail proves nothing
(support.max_confirmations_per_hour), read and counted in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from maild import deskcap

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class _Store:
    def __init__(self) -> None:
        self.times: list[datetime] = []

    def desk_confirmations(self, desk: str) -> list[datetime]:
        return list(self.times)

    def record_desk_confirmation(self, desk: str, when: datetime, keep: int) -> None:
        self.times = [*self.times, when][-keep:]


def _app(cap: int) -> SimpleNamespace:
    support = SimpleNamespace(address="support@example.com", max_confirmations_per_hour=cap)
    return SimpleNamespace(config=SimpleNamespace(support=support), store=_Store())


def test_a_cap_of_one_lets_one_confirmation_an_hour_go_and_holds_the_next() -> None:
    """1 is a cap like any other (the smallest one), not "no cap" as 0 is."""
    app = _app(1)
    assert deskcap.reached(app, NOW) is None  # type: ignore[arg-type]
    deskcap.count(app, NOW)  # type: ignore[arg-type]
    held = deskcap.reached(app, NOW + timedelta(minutes=59))  # type: ignore[arg-type]
    assert held is not None and "не больше 1 письма" in held
    assert deskcap.reached(app, NOW + timedelta(minutes=61)) is None  # type: ignore[arg-type]


def test_no_cap_counts_nothing_and_holds_nothing() -> None:
    app = _app(0)
    for _ in range(3):
        deskcap.count(app, NOW)  # type: ignore[arg-type]
    assert app.store.times == []
    assert deskcap.reached(app, NOW) is None  # type: ignore[arg-type]
