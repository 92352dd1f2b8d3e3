"""Forms posted from another site's page, over HTTP, inside a real `maild serve` with
a real relay sink: refused with a Russian 403 before they do anything, on every
form of the site; the site's own posts, and those of clients that say nothing of
where they come from, taken. The site stands behind a proxy: its public address
(web.base_url) is not the Host the test connects to."""

from __future__ import annotations

import itertools

import pytest

from tests.helpers import make_mail, outbox_empty, spool_empty
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, post, request, running_site

PUBLIC = "https://support.example.com"  # web.base_url: what the browser's Origin names
EVIL = "https://evil.example"
_ips = itertools.count(1)

# what a browser says of a post from another site's page; the last two: a browser
# without Sec-Fetch-Site (Origin only), and the Host the proxy passes on, which is
# not the site's public origin
FOREIGN = [
    {"Origin": EVIL, "Referer": EVIL + "/page", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a sandboxed frame, or no-referrer
    {"Origin": "https://other.support.example.com", "Sec-Fetch-Site": "same-site"},
    {"Origin": EVIL},
]
# the site's own pages: Origin null is what browsers send under the site's
# Referrer-Policy no-referrer; no headers at all is curl or an old browser
OWN = [
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    {"Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"},
    {},
]


def browser(**more: str) -> dict[str, str]:
    """A visitor of its own address (the proxy's header, as behind nginx)."""
    return {"X-Forwarded-For": f"192.0.2.{next(_ips)}", **more}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("crosssite")
    web = {"base_url": PUBLIC, "max_confirmations_per_hour": 6}
    yield from running_site(root, web=web)


def refused(page) -> bool:
    """The site's 403 page for another site's post, with the site's security headers."""
    return (
        page.status == 403
        and "Доступ запрещён" in page.text
        and "со страницы другого сайта" in page.text
        and PUBLIC in page.text  # where to send it from instead
        and "default-src 'none'" in page.headers["content-security-policy"]
        and page.headers["x-content-type-options"] == "nosniff"
        and page.headers["referrer-policy"] == "no-referrer"
    )


def test_the_question_form_posted_from_another_site_mails_nothing_and_spends_no_cap(site):
    """A hostile page had its visitors' browsers post «Задать вопрос» with a token it
    fetched once: each got 200 and a confirmation letter, and enough of them used up
    the site-wide cap (6 here), so that real customers were refused. Refused now, and
    the customer after them is served."""
    desk, daemon, sink, base = site
    token = request(base + "/new", headers=browser()).form_token()
    victims = [f"target{n}@client.example" for n in range(8)]
    for n, victim in enumerate(victims):
        fields = {"email": victim, "subject": "Приз", "text": f"Приз {n}", "form": token}
        page = post(base + "/new", fields, headers=browser(**FOREIGN[n % len(FOREIGN)]))
        assert refused(page), (n, page.status, page.text[:300])
    assert "refused: posted from another site" in daemon.logtext()
    headers = browser(**OWN[0])
    form = request(base + "/new", headers=headers).form_token()
    fields = {"email": "real@client.example", "subject": "Вопрос", "text": "Как?", "form": form}
    assert post(base + "/new", fields, headers=headers).status == 200
    assert wait_until(lambda: sink.to("real@client.example"))
    # each letter was queued before its page answered: all of them sent now
    assert wait_until(lambda: outbox_empty(desk))
    assert not [r for r in sink.received if r.rcpt_tos[0].startswith("target")]


def test_the_sites_own_form_posts_are_taken(site):
    _desk, _daemon, sink, base = site
    for n, own in enumerate(OWN):
        headers = browser(**own)
        form = request(base + "/new", headers=headers).form_token()
        email = f"own{n}@client.example"
        fields = {"email": email, "subject": "Вопрос", "text": f"Вопрос {n}", "form": form}
        page = post(base + "/new", fields, headers=headers)
        assert page.status == 200 and "Проверьте почту" in page.text, (own, page.text[:300])
        assert wait_until(lambda email=email: sink.to(email))


def test_a_confirmation_click_from_another_site_opens_no_ticket(site):
    desk, _daemon, sink, base = site
    headers = browser()
    form = request(base + "/new", headers=headers).form_token()
    email = "click@client.example"
    fields = {"email": email, "subject": "Вопрос", "text": "Щелчок", "form": form}
    assert post(base + "/new", fields, headers=headers).status == 200
    [mail] = wait_until(lambda: sink.to(email))
    link = link_in(mail.text, PUBLIC, "c").replace(PUBLIC, base)
    click = {"form": request(link).form_token()}
    assert refused(post(link, click, headers={**headers, "Origin": EVIL}))
    assert wait_until(lambda: spool_empty(desk))  # what a click spools, its page waits for
    assert not [t for t in desk.tickets() if t.get("requester") == email]
    done = post(link, click, headers={**headers, **OWN[0]})
    assert done.status == 303


def test_a_reply_posted_from_another_site_is_not_stored(site):
    desk, daemon, sink, base = site
    customer = "reply@client.example"
    mail_in(daemon, make_mail(sender=customer, body="Не работает"), sender=customer)
    [conf] = wait_until(lambda: sink.to(customer))
    link = link_in(conf.text, PUBLIC).replace(PUBLIC, base)
    token = request(link).form_token()
    for n, foreign in enumerate(FOREIGN):
        fields = {"form": token, "text": f"Подложный ответ {n}"}
        assert refused(post(link + "/reply", fields, headers=foreign))
        for form in ("rate", "reopen", "renew"):
            assert refused(post(f"{link}/{form}", {"form": token, "rating": "1"}, headers=foreign))
    sent = post(link + "/reply", {"form": token, "text": "Настоящий ответ"}, headers=OWN[0])
    assert sent.status == 303
    assert wait_until(lambda: "Настоящий ответ" in str(desk.tickets()))
    assert "Подложный ответ" not in str(desk.tickets())
