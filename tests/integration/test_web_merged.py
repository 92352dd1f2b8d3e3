"""The site after #merge, over HTTP against a real `maild serve` and relay sink: the
merged ticket's page sends its people on to the ticket the conversation went on in."""

from __future__ import annotations

import contextlib
import re
import smtplib
from datetime import UTC, datetime, timedelta

from maild.web import tokens
from tests.helpers import Daemon, make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.webclient import link_in, post, request, site_desk

IVAN = "ivan@shop-example.ru"  # make_mail's sender
OLGA = "olga@other.example"


class Desk2:
    """A running `maild serve` with its site, and mail in and out of it."""

    def __init__(self, tmp_path, sink) -> None:
        self.desk, self.base = site_desk(tmp_path, sink.port)
        self.sink = sink
        self.daemon = Daemon(self.desk).start()
        assert wait_until(lambda: "site on" in self.daemon.logtext(), 10)

    def mail(self, raw: bytes, sender: str, to: str = "support@example.com") -> None:
        with smtplib.SMTP("127.0.0.1", self.daemon.port) as s:
            s.sendmail(sender, [to], raw)

    def ticket_of(self, sender: str, subject: str) -> tuple[str, str]:
        """A new ticket by mail from `sender`: (its TID, the link in the confirmation)."""
        before = len(self.sink.to(sender))
        self.mail(make_mail(sender=sender, subject=subject), sender)
        conf = wait_until(lambda: self.sink.to(sender)[before:])[0]
        return conf.subject.split("[TID#")[1].split("]")[0], link_in(conf.text, self.base)

    def staff(self, tid: str, command: str) -> None:
        to = staff_to(tid)
        body = make_mail(sender="anna@example.com", to=to, subject=f"[TID#{tid}]", body=command)
        self.mail(body, "anna@example.com", to)


@contextlib.contextmanager
def merged(tmp_path, sink, close_old: bool = False):
    """Ivan's ticket merged into Olga's: (desk, old TID, new TID, Ivan's old link,
    Ivan's old page as opened before the merge)."""
    d = Desk2(tmp_path, sink)
    try:
        old, link = d.ticket_of(IVAN, "Не работает оформление заказа")
        new, _ = d.ticket_of(OLGA, "Та же ошибка")
        if close_old:
            d.staff(old, "#close\nГотово.")
            assert wait_until(lambda: d.desk.ticket(old)["status"] == "closed"), "#close not done"
        opened = request(link)
        d.staff(old, f"#merge {new}")
        assert wait_until(lambda: d.desk.ticket(old).get("merged_into") == new)
        yield d, old, new, link, opened
    finally:
        assert d.daemon.stop() == 0


def test_a_fresh_link_asked_for_from_a_merged_tickets_expired_link_opens_the_surviving_one(
    tmp_path, sink
):
    with merged(tmp_path, sink) as (d, old, new, _link, _opened):
        key = (d.desk.root / "data" / "web_secret").read_bytes()
        then = datetime.now(UTC) - timedelta(days=91)
        expired = f"{d.base}/t/{tokens.ticket_token(key, old, IVAN, then, 90)}"
        page = request(expired)
        assert page.status == 403 and "Прислать новую ссылку" in page.text
        before = len(d.sink.to(IVAN))
        sent = post(expired + "/renew", {"form": page.form_token()})
        assert sent.status == 200 and f"обращение {new}" in sent.text
        # (the merge's own notice to ivan may still arrive meanwhile: not this mail)
        [fresh] = wait_until(
            lambda: [m for m in d.sink.to(IVAN)[before:] if "Та же ошибка" in m.subject]
        )
        assert f"[TID#{new}]" in fresh.subject
        fresh_link = link_in(fresh.text, d.base)
        assert fresh_link.startswith(f"{d.base}/t/{new}.")
        opened = request(fresh_link)
        assert opened.status == 200 and f"Обращение {new}" in opened.text
        assert "Обращение объединено" not in opened.text and "/reply" in opened.text


def test_a_post_from_a_merged_tickets_page_shows_on_the_surviving_tickets_page(tmp_path, sink):
    desk, base = site_desk(tmp_path, sink.port)
    daemon = Daemon(desk).start()

    def mail(raw: bytes, sender: str, to: str = "support@example.com") -> None:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail(sender, [to], raw)

    def tid_of(subject: str) -> str:
        return subject.split("[TID#")[1].split("]")[0]

    try:
        assert wait_until(lambda: "site on" in daemon.logtext(), 10)
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
        assert wait_until(lambda: desk.ticket(old).get("merged_into") == new)
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


def test_an_out_of_date_form_of_a_merged_ticket_says_where_to_write_instead(tmp_path, sink):
    with merged(tmp_path, sink) as (d, old, new, link, _opened):
        key = (d.desk.root / "data" / "web_secret").read_bytes()
        then = datetime.now(UTC) - timedelta(hours=25)  # a page left open for a day and more
        stale = tokens.form_token(key, f"t|{old}|{IVAN}", then)
        text = "Дополнение со страницы, открытой позавчера."
        page = post(link + "/reply", {"form": stale, "text": text})
        assert page.status == 400 and 'action="' not in page.text
        error = page.text.split('role="alert">')[1].split("</p>")[0]
        assert f"объединено с [TID#{new}]" in error and "свежая страница" not in error
        href = re.search(r'href="(/t/[^"]+)"', error).group(1)
        assert href.startswith(f"/t/{new}.")
        there = request(d.base + href)
        assert there.status == 200 and f"Обращение {new}" in there.text and "/reply" in there.text
        assert not [m for m in d.desk.ticket(new)["messages"] if text in m["text"]]


def test_a_rating_or_reopening_from_a_stale_page_of_a_merged_ticket_changes_nothing_there(
    tmp_path, sink
):
    with merged(tmp_path, sink, close_old=True) as (d, old, new, link, opened):
        assert "Оцените работу" in opened.text  # closed before the merge: rate and reopen
        form = opened.form_token()

        def unchanged_after(action: str, fields: dict[str, str]) -> None:
            before = d.desk.ticket(new)
            sent = post(f"{link}/{action}", {"form": form, **fields})
            after = d.desk.ticket(new)
            assert len(after["messages"]) == len(before["messages"]), action
            assert (after["status"], after.get("rating")) == (before["status"], None), action
            assert sent.status == 303, action
            landed = sent.headers["location"]
            assert landed.startswith(f"/t/{new}.") and landed.endswith("?sent=merged")
            page = request(d.base + landed)
            assert page.status == 200 and f"Обращение {new}" in page.text
            assert "форма с его страницы не отправлена" in page.text

        unchanged_after("rate", {"rating": "1"})  # the surviving ticket is open
        d.staff(new, "#close\nГотово.")
        assert wait_until(lambda: d.desk.ticket(new)["status"] == "closed"), "#close not done"
        unchanged_after("rate", {"rating": "2"})  # closed: the rating would be its own
        unchanged_after("reopen", {"text": "Снова ошибка"})
        assert d.desk.ticket(old).get("rating") is None


def test_an_answer_written_with_merge_shows_only_to_whom_it_went(tmp_path, sink):
    """An answer sent with #merge goes to the merged ticket's people alone: the
    surviving ticket's page showed it to that ticket's own customer too («Служба
    поддержки»), who never got it and whose deadline still ran. Her page shows it no
    more; the merged ticket's customer sees it there, as he got it."""
    d = Desk2(tmp_path, sink)
    try:
        old, _ = d.ticket_of(IVAN, "Не работает оформление заказа")
        new, olga_link = d.ticket_of(OLGA, "Та же ошибка")
        answer = "Иван, очистите, пожалуйста, кэш браузера."
        d.staff(old, f"{answer}\n#merge {new}")
        assert wait_until(lambda: d.desk.ticket(old).get("merged_into") == new)
        assert wait_until(lambda: [m for m in d.sink.to(IVAN) if answer in m.text]), "not to Ivan"
        assert not [m for m in d.sink.to(OLGA) if answer in m.text]
        olga_page = request(olga_link)
        assert olga_page.status == 200 and f"Обращение {new}" in olga_page.text
        assert answer not in olga_page.text
        assert "Та же ошибка" in olga_page.text  # her page, her mail on it
        key = (d.desk.root / "data" / "web_secret").read_bytes()
        token = tokens.ticket_token(key, new, IVAN, datetime.now(UTC), 90)
        ivan_page = request(f"{d.base}/t/{token}")
        assert ivan_page.status == 200 and answer in ivan_page.text
    finally:
        assert d.daemon.stop() == 0
