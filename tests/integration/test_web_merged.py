"""The site after #merge, over HTTP against a real `maild serve` and relay sink: the
merged ticket's page sends its people on to the ticket the conversation went on in."""

from __future__ import annotations

import re
import smtplib

from tests.helpers import Daemon, make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.webclient import post, request, site_desk

IVAN = "ivan@shop-example.ru"  # make_mail's sender
OLGA = "olga@other.example"


def test_a_post_from_a_merged_tickets_page_shows_on_the_surviving_tickets_page(tmp_path, sink):
    desk, base = site_desk(tmp_path, sink.port)
    daemon = Daemon(desk).start()

    def mail(raw: bytes, sender: str, to: str = "support@example.com") -> None:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail(sender, [to], raw)

    def tid_of(subject: str) -> str:
        return subject.split("[TID#")[1].split("]")[0]

    try:
        wait_until(lambda: "site on" in daemon.logtext(), 10)
        mail(make_mail(), IVAN)
        [conf] = wait_until(lambda: sink.to(IVAN))
        old = tid_of(conf.subject)
        mail(make_mail(sender=OLGA, subject="Та же ошибка"), OLGA)
        new = tid_of(wait_until(lambda: sink.to(OLGA))[0].subject)
        link = re.search(re.escape(base) + r"/t/[A-Za-z0-9_.-]+", conf.text).group(0)
        opened = request(link)  # ivan keeps the page open, its reply form and all
        assert 'action="' in opened.text and "/reply" in opened.text
        merge = make_mail(
            sender="anna@example.com",
            to=staff_to(old),
            subject=f"[TID#{old}]",
            body=f"#merge {new}",
        )
        mail(merge, "anna@example.com", staff_to(old))
        wait_until(lambda: desk.ticket(old).get("merged_into") == new)
        text = "Дополнение с сайта после объединения."
        sent = post(link + "/reply", {"form": opened.form_token(), "text": text})
        assert sent.status == 303
        landed = sent.headers["location"]
        assert landed.startswith(f"/t/{new}.") and landed.endswith("?sent=reply")
        page = request(base + landed)
        assert page.status == 200 and f"Обращение {new}" in page.text
        assert text in page.text and "Ваше сообщение добавлено" in page.text
        assert [m for m in desk.ticket(new)["messages"] if text in m["text"] and m["from"] == IVAN]
        # the merged ticket's own page says where the conversation went, with the link
        merged = request(link)
        assert merged.status == 200 and f"Обращение объединено с [TID#{new}]" in merged.text
        there = re.search(r'href="(/t/[^"]+)"', merged.text.split("объединено")[1]).group(1)
        assert there.split("?")[0] == landed.split("?")[0]
        assert 'action="' not in merged.text  # its forms would post there anyway
    finally:
        assert daemon.stop() == 0
