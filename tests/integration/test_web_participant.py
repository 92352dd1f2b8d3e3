"""A participant's page over HTTP against a real `maild serve` and relay sink: it shows
what their mail gave them (domain.pageshown), not a co-participant's mail that went to
support alone, nor its files and whole text; the requester's page shows it all."""

from __future__ import annotations

import re

import pytest

from tests.helpers import AUTHSERV, PNG, Daemon, Sink, dkim_pass, make_mail, staff_reply
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, post, request, site_desk

IVAN = "ivan@shop.example"
PETR = "petr@shop.example"
OLGA = "olga@shop.example"
SECRET = "RdpPass77"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sink = Sink().start()
    # its MTA's DKIM verdicts count: a first mail so proven adds whom it copies
    trusted = {"authserv_id": AUTHSERV}
    desk, base = site_desk(tmp_path_factory.mktemp("participant"), sink.port, support=trusted)
    daemon = Daemon(desk).start()
    assert wait_until(lambda: "site on" in daemon.logtext(), 10)
    yield desk, daemon, sink, base
    assert daemon.stop() == 0
    sink.stop()


def _opened(site, subject: str) -> str:
    """Ivan's ticket, Petr in Cc of its first mail (DKIM proves Ivan), answered by
    staff to both: its TID."""
    _desk, daemon, sink, _base = site
    headers = {"Cc": PETR, **dkim_pass(IVAN)}
    first = make_mail(
        sender=f"Иван <{IVAN}>", subject=subject, body="Сайт не работает.", headers=headers
    )
    mail_in(daemon, first, sender=IVAN)
    # each awaited by what it is, not by a count: a mail of the test before (the answer's
    # copy to the other of them) may come after the count was read, and pass for it
    [conf] = wait_until(lambda: _about(sink, IVAN, f"Обращение зарегистрировано: {subject} "))
    tid = re.search(r"TID#(\d{4}-\d{4})", conf.subject).group(1)
    mail_in(daemon, staff_reply(tid, "Пришлите, пожалуйста, доступы."), sender="anna@example.com")
    assert wait_until(lambda: _about(sink, PETR, f"[TID#{tid}]"))  # he has no confirmation
    return tid


def _about(sink: Sink, who: str, part: str) -> list:
    """The mail to `who` whose subject holds `part`."""
    return [m for m in sink.to(who) if part in m.subject]


def _link(site, who: str) -> str:
    _desk, _daemon, sink, base = site
    return link_in(wait_until(lambda: sink.to(who))[-1].text, base)


def test_a_cc_participant_does_not_see_the_requesters_mail_to_support_alone(site):
    desk, daemon, sink, _base = site
    tid = _opened(site, "Сайт")
    petr_before = len(sink.to(PETR))
    body = f"Доступы (только для поддержки):\nRDP: 203.0.113.5 administrator {SECRET}\n"
    private = make_mail(
        sender=f"Иван <{IVAN}>",
        subject=f"Re: Сайт [TID#{tid}]",
        body=body,
        attachments=[("dostup.png", "image/png", PNG)],
    )
    mail_in(daemon, private, sender=IVAN)
    # its acknowledgement, so it is stored (counting Ivan's mail passed on the answer's
    # copy to him when that came after Petr's, before this mail was even taken)
    acked = f"Письмо добавлено к обращению: Сайт [TID#{tid}]"
    assert wait_until(lambda: _about(sink, IVAN, acked))
    assert len(sink.to(PETR)) == petr_before  # no mail of it reached Petr

    ivan = request(_link(site, IVAN))
    assert ivan.status == 200 and "только для поддержки" in ivan.text  # the requester's: all
    file_path = re.search(r"/file/(\d+)/0", ivan.text)
    n = file_path.group(1)
    assert request(_link(site, IVAN) + f"/file/{n}/0").body == PNG

    petr_link = _link(site, PETR)
    petr = request(petr_link)
    assert petr.status == 200
    assert "Сайт не работает." in petr.text  # the first mail, he was in its Cc
    assert "Пришлите, пожалуйста, доступы." in petr.text  # the answer that went to him
    assert "только для поддержки" not in petr.text and SECRET not in petr.text
    assert "dostup.png" not in petr.text
    # its file and whole text are no more his than the page's text: as an invalid link
    assert request(f"{petr_link}/file/{n}/0").status == 404
    assert request(f"{petr_link}/text/{n}").status == 404

    # Petr's own reply to all, and the answer to both after it: both pages show them
    mail_in(
        daemon,
        make_mail(
            sender=f"Пётр <{PETR}>",
            subject=f"Re: Сайт [TID#{tid}]",
            body="У меня тоже не открывается.",
            headers={"Cc": IVAN},
        ),
        sender=PETR,
    )
    mail_in(daemon, staff_reply(tid, "Починили, проверьте."), sender="anna@example.com")
    # the answer itself at the relay (Petr's own mail may bring him an acknowledgement first)
    assert wait_until(lambda: any("Починили, проверьте." in r.text for r in sink.to(PETR)))
    for who in (IVAN, PETR):
        page = request(_link(site, who)).text
        assert "У меня тоже не открывается." in page and "Починили, проверьте." in page
    assert desk.ticket(tid)["requester"] == IVAN


def test_one_added_by_cc_sees_from_the_answer_that_added_them(site):
    _desk, daemon, sink, _base = site
    tid = _opened(site, "Почта")
    mail_in(
        daemon,
        make_mail(
            sender=f"Иван <{IVAN}>", subject=f"Re: Почта [TID#{tid}]", body="Номер заказа 5512."
        ),
        sender=IVAN,
    )
    answer = f"#cc {OLGA}\nОльга, посмотрите, пожалуйста, настройки."
    mail_in(daemon, staff_reply(tid, answer), sender="anna@example.com")
    assert wait_until(lambda: sink.to(OLGA))
    olga = request(_link(site, OLGA))
    assert olga.status == 200
    assert "посмотрите, пожалуйста, настройки" in olga.text  # the answer that added her
    assert "Сайт не работает." not in olga.text  # mail from before she was in it
    assert "Пришлите, пожалуйста, доступы." not in olga.text
    assert "Номер заказа 5512." not in olga.text
    assert "Номер заказа 5512." in request(_link(site, IVAN)).text


def test_a_participants_rating_is_not_called_the_requesters_own(site):
    """Petr (in Cc) rated the closing 1: Ivan's page said «Ваша оценка: 1 из 5», and
    Ivan's own rating was refused «Вы уже оценили работу поддержки: 1 из 5», words of
    a rating he never gave. The page names who rated; the closing is still rated once."""
    desk, daemon, _sink, _base = site
    tid = _opened(site, "Отчёт")
    mail_in(daemon, staff_reply(tid, "Исправлено.\n#close"), sender="anna@example.com")
    assert wait_until(lambda: desk.ticket(tid)["status"] == "closed")
    petr_link, ivan_link = _link(site, PETR), _link(site, IVAN)
    rated = post(petr_link + "/rate", {"form": request(petr_link).form_token(), "rating": "1"})
    assert rated.status == 303 and rated.headers["location"].endswith("?sent=rate")
    assert wait_until(lambda: desk.ticket(tid).get("rating") == 1)
    petr = request(petr_link).text
    assert '<dt>Ваша оценка</dt><dd id="rating">1 из 5</dd>' in petr
    ivan = request(ivan_link).text
    assert f'<dt>Оценка участника {PETR}</dt><dd id="rating">1 из 5</dd>' in ivan
    assert "Ваша оценка" not in ivan and "Оцените работу" not in ivan  # rated once
    again = post(ivan_link + "/rate", {"form": request(ivan_link).form_token(), "rating": "5"})
    assert again.status == 400
    assert "Вы уже оценили" not in again.text
    assert f"уже оценил участник {PETR}: 1 из 5" in again.text
    assert desk.ticket(tid)["rating"] == 1
