"""The confirmation's greeting as customers' mail clients name them: `maild ingest`,
a real aiosmtpd relay takes the mail."""

from __future__ import annotations

import pytest

from tests.helpers import make_mail

ADDRESS = "ivan@shop-example.ru"


@pytest.mark.parametrize(
    ("display", "greeting"),
    [
        ("ivan@shop-example.ru", "Здравствуйте!"),
        ("info", "Здравствуйте!"),
        ("Support Team", "Здравствуйте!"),
        ('"Петров, Иван"', "Здравствуйте!"),
        ("Иван Петров | ИП Петров | +7 900 000-00-00", "Здравствуйте!"),
        ("Иван Петров", "Здравствуйте, Иван Петров!"),
    ],
)
def test_the_confirmation_greets_by_name_only_a_persons_name(desk, sink, display, greeting):
    """It greeted the display name as it came: «Здравствуйте, ivan@shop-example.ru!»,
    «Здравствуйте, info!», «Здравствуйте, Петров, Иван!»."""
    desk.ingest_tid(make_mail(sender=f"{display} <{ADDRESS}>"))
    desk.flush()
    [conf] = sink.wait_for(2) and sink.to(ADDRESS)
    assert conf.text.splitlines()[0] == greeting
