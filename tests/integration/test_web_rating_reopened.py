"""A rating posted on the site while a reopening of its ticket waits in the spool
ahead of it: the page read the ticket closed and sent the rating, the store took the
reopening first and the rating with no closing to rate (kept as the customer's text).
The page said «Спасибо за оценку!» for a rating recorded nowhere; it says now that a
rating is given once the ticket is closed, as for a page left open while it was
reopened. The window is held open with the real store lock, as a busy worker holds it."""

from __future__ import annotations

import threading

from tests.helpers import Daemon, Sink, make_mail, staff_to
from tests.integration.test_backup_race import store_lock
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.integration.test_web_customer import opened, staff_close
from tests.integration.test_web_rating_restart import spooled
from tests.webclient import post, request, site_desk

WHO = "vera@shop-example.ru"


def test_a_rating_the_store_takes_after_a_reopening_is_not_thanked_for(tmp_path):
    sink = Sink().start()
    desk, base = site_desk(tmp_path, sink.port)
    store = tmp_path / "data"
    daemon = Daemon(desk).start()
    site = (desk, daemon, sink, base)
    try:
        assert wait_until(lambda: "site on" in daemon.logtext(), 10)
        link, tid = opened(site, WHO)
        staff_close(site, tid, "Готово.\n#close")
        form = request(link).form_token()  # the page with its rating form
        answers = {}
        with store_lock(store):  # the worker busy: what comes waits in the spool, in order
            to = staff_to(tid, "boris@example.com")
            body = "Открываю снова: клиент звонил.\n#reopen"
            mail_in(daemon, make_mail(sender="boris@example.com", to=to, body=body), to=to)
            assert wait_until(lambda: spooled(store) == 1, timeout=10)

            def rate() -> None:
                answers["page"] = post(link + "/rate", {"form": form, "rating": "5"})

            poster = threading.Thread(target=rate)
            poster.start()  # (the ticket on disk is still closed: the post is spooled)
            assert wait_until(lambda: spooled(store) == 2, timeout=10)
        poster.join(30)
        ticket = desk.ticket(tid)
        assert ticket["status"] == "open" and ticket["rating"] is None
        page = answers["page"]
        assert page.status == 400, page.headers
        assert "Спасибо за оценку" not in page.text
        assert "Оценку можно поставить, когда обращение будет закрыто" in page.text
    finally:
        assert daemon.stop() == 0
        sink.stop()
