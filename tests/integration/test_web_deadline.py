"""The reaction deadline on the ticket page, inside a real `maild serve` with a real
relay sink: the page says what the mail says — a deadline still ahead is a promise
(«Ответ поступит не позднее»), a passed one is an apology (status.txt,
acknowledgement.txt), judged by the clock of the page's showing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import Daemon, Sink, make_mail
from tests.integration.test_deadlines_e2e import ingest_at
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, request, site_desk

CUSTOMER = "ivan@shop-example.ru"
LATE = "Ответ задерживается: срок реакции по обращению уже истёк"


def test_a_passed_deadline_is_no_promise_on_the_ticket_page(tmp_path):
    """A ticket of a month ago nobody answered: the page promised «Ответ не позднее»
    a date long gone, while the status mail already said the answer was late. (Ten
    days ago, in the New Year days off, its deadline had not passed yet.)"""
    sink = Sink().start()
    desk, base = site_desk(tmp_path, sink.port)
    old = ingest_at(
        desk, datetime.now(UTC) - timedelta(days=30), make_mail(subject="Давний вопрос")
    )
    daemon = Daemon(desk).start()
    try:
        assert wait_until(lambda: "site on" in daemon.logtext(), 10)
        mail_in(daemon, make_mail(subject="Свежий вопрос", msgid="<fresh@c.example>"))
        mails = wait_until(lambda: len(sink.to(CUSTOMER)) >= 2 and sink.to(CUSTOMER))
        pages = {
            f"[TID#{old}]" in m.subject: request(link_in(m.text, base)).text
            for m in mails
            if "зарегистрировано" in m.subject
        }
        late, fresh = pages[True], pages[False]
        assert LATE in late and "Приносим извинения" in late
        assert "не позднее" not in late
        assert "Ответ поступит не позднее" in fresh and LATE not in fresh
    finally:
        assert daemon.stop() == 0
        sink.stop()
