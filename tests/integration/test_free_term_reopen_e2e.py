"""Free support lasts six months from an address's first ticket (sender.FREE_SUPPORT_
MONTHS). A reply that reopens a closed free ticket after that takes the level the
registry gives now, as a new ticket would (levelnow.py), and is told of the term as a
new ticket that day is: the acknowledgement and staff's notice say it is over. The
clock is fixed (ingest_at), the mail read from a real relay."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from maild.domain.plural import ru_count
from maild.domain.sender import FREE_SUPPORT_MONTHS, add_months
from tests.helpers import make_mail
from tests.integration.test_deadlines_e2e import MSK, ingest_at, mails_to
from tests.integration.test_staff_e2e import staff_reply

CUSTOMER = "ivan@shop-example.ru"
STAFF = "anna@example.com"
# the regulation's term (sender.FREE_SUPPORT_MONTHS: 6), as the texts name it, and its
# last day for a first ticket of 12 January 2026 (12 July 2026)
TERM = ru_count(FREE_SUPPORT_MONTHS, "месяц", "месяца", "месяцев")
TOLD = f"Срок бесплатной поддержки ({TERM} с первого обращения, 12.01.2026) истёк."
LAST_DAY = add_months(date(2026, 1, 12), FREE_SUPPORT_MONTHS)
STAFF_TOLD = "Бесплатная поддержка этого адреса истекла (первое обращение 12.01.2026)."


def _day(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=MSK)


def _term(days: int) -> datetime:
    """10:00 of the day ``days`` after the term's last day (before it: negative)."""
    return datetime.combine(LAST_DAY + timedelta(days=days), time(10), tzinfo=MSK)


def _about(desk, sink, address: str, subject: str) -> list[str]:
    """The words of each mail to ``address`` whose subject starts with ``subject``."""
    mails = mails_to(desk, sink, address)
    return [" ".join(m.text.split()) for m in mails if m.subject.startswith(subject)]


def test_a_reopening_after_the_free_term_is_told_it_is_over(desk, sink):
    tid = ingest_at(desk, _day(1, 12), make_mail(subject="Ошибка 500"))
    ingest_at(desk, _day(1, 13), staff_reply(tid, "Исправили.\n#close"))
    # within the term: reopened, nothing said of it
    ingest_at(desk, _term(-2), make_mail(subject=f"Re: [TID#{tid}]", body="Снова ошибка."))
    [ack] = _about(desk, sink, CUSTOMER, "Письмо добавлено к обращению")
    assert "Срок бесплатной поддержки" not in ack
    ingest_at(desk, _term(-1), staff_reply(tid, "Исправили ещё раз.\n#close"))
    mails_to(desk, sink, CUSTOMER)
    before = len(sink.received)

    ingest_at(desk, _term(18), make_mail(subject=f"Re: [TID#{tid}]", body="Опять ошибка."))
    assert desk.ticket(tid)["status"] != "closed"
    _, ack = _about(desk, sink, CUSTOMER, "Письмо добавлено к обращению")
    assert TOLD in ack and "Чтобы и дальше получать поддержку, оформите лицензию." in ack
    assert "Обращение было закрыто и теперь открыто снова." in ack
    [notice] = [
        " ".join(m.text.split())
        for m in sink.received[before:]
        if STAFF in m.rcpt_tos and m.subject.startswith("Обращение открыто снова")
    ]
    assert STAFF_TOLD in notice

    # the ticket open now, a follow-up reopens nothing: told once, with the reopening
    ingest_at(desk, _term(19), make_mail(subject=f"Re: [TID#{tid}]", body="И ещё."))
    *_, again = _about(desk, sink, CUSTOMER, "Письмо добавлено к обращению")
    assert "Срок бесплатной поддержки" not in again
    [news] = _about(desk, sink, STAFF, "Новое письмо клиента")
    assert "истекла" not in news
