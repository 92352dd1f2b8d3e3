"""The site's signed tokens (maild.web.tokens) and the mail link rule (links)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from aiohttp.http_exceptions import HttpProcessingError

from maild.domain.message import ParsedMessage
from maild.domain.ownside import own_side
from maild.web import tokens
from maild.web.links import MASK, footer, landing, masked, relayed_lines, site_link, without_tokens
from maild.web.server import mask, what_was_wrong

KEY = b"k" * 32
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ADDR = "ivan@shop-example.ru"


def test_ticket_token_is_bound_to_ticket_address_and_time():
    token = tokens.ticket_token(KEY, "4821-7730", ADDR, NOW, 90)
    assert tokens.check_ticket_token(KEY, token, ["x@y.ru", ADDR.upper()], NOW) == ADDR.upper()
    assert tokens.check_ticket_token(KEY, token, ["x@y.ru"], NOW) is tokens.Refusal.BAD
    assert tokens.check_ticket_token(b"other", token, [ADDR], NOW) is tokens.Refusal.BAD
    later = NOW + timedelta(days=91)
    assert tokens.check_ticket_token(KEY, token, [ADDR], later) is tokens.Refusal.EXPIRED
    tid, expiry, mac = token.split(".")
    for forged in (f"4821-7731.{expiry}.{mac}", f"{tid}.{int(expiry) + 9}.{mac}", token + "x.y"):
        assert tokens.check_ticket_token(KEY, forged, [ADDR], NOW) is tokens.Refusal.BAD
    assert tokens.check_ticket_token(KEY, "../../etc/passwd", [ADDR], NOW) is tokens.Refusal.BAD


def test_a_link_opens_through_its_last_day_and_not_after():
    """A link made for 90 days opens until the end of its 90th day (UTC) and is
    refused as expired from the first second of the next: customers are told how
    long it lasts, and an early refusal sends them asking for a new one, a late
    acceptance gives a day more than the link promised. A confirmation likewise."""
    token = tokens.ticket_token(KEY, "4821-7730", ADDR, NOW, 90)
    last = datetime(2026, 11, 25, tzinfo=UTC) + timedelta(days=91) - timedelta(seconds=1)
    assert tokens.check_ticket_token(KEY, token, [ADDR], last) == ADDR
    after = last + timedelta(seconds=1)
    assert tokens.check_ticket_token(KEY, token, [ADDR], after) is tokens.Refusal.EXPIRED
    confirm = tokens.confirm_token(KEY, "abc123", ADDR, NOW, 2)
    last = datetime(2026, 11, 28, tzinfo=UTC) - timedelta(seconds=1)
    assert tokens.check_confirm_token(KEY, confirm, ADDR, last) is True
    late = last + timedelta(seconds=1)
    assert tokens.check_confirm_token(KEY, confirm, ADDR, late) is tokens.Refusal.EXPIRED


def test_a_link_made_for_an_address_in_capitals_opens_for_it():
    """The address is compared as mail compares it, on both sides: a customer whose
    address the ticket keeps as they wrote it («Ivan@Shop-Example.ru») gets a link
    that opens their page, not the «bad link» one."""
    upper = "Ivan@Shop-Example.RU"
    token = tokens.ticket_token(KEY, "4821-7730", upper, NOW, 90)
    assert tokens.check_ticket_token(KEY, token, [upper], NOW) == upper
    assert tokens.check_ticket_token(KEY, token, ["x@y.ru", ADDR], NOW) == ADDR
    confirm = tokens.confirm_token(KEY, "abc123", upper, NOW, 2)
    assert tokens.check_confirm_token(KEY, confirm, ADDR, NOW) is True


def test_links_mailed_by_an_earlier_maild_still_open():
    """The tokens' form is fixed: links already in customers' mailboxes (90 days of
    them) and confirmations in flight open after an upgrade as before. The fields
    are signed apart («|» between them), so no two (ticket, address) pairs sign
    alike."""
    link = "4821-7730.20872.o23o4ut2lrs5ryisfjxiz733bq"
    assert tokens.ticket_token(KEY, "4821-7730", "Ivan@Shop-Example.ru", NOW, 90) == link
    assert tokens.check_ticket_token(KEY, link, [ADDR], NOW) == ADDR
    confirm = "abc123.20784.2anrodgukzxeuaao2rxaxb77ly"
    assert tokens.confirm_token(KEY, "abc123", ADDR, NOW, 2) == confirm


@pytest.mark.parametrize("expiry", ["abc", "２０８７２", "²⁰", "1e5", ""])
def test_a_link_whose_day_is_no_number_is_a_bad_link_not_an_error(expiry):
    """A mangled or hand-made link («/t/4821-7730.abc.x») gets the plain «bad link»
    page: a day that is no run of ASCII digits never reaches int() (full-width or
    superscript digits pass str.isdigit and make int() raise)."""
    token = f"4821-7730.{expiry}.o23o4ut2lrs5ryisfjxiz733bq"
    assert tokens.split(token) is None and tokens.tid_of(token) is None
    assert tokens.check_ticket_token(KEY, token, [ADDR], NOW) is tokens.Refusal.BAD
    assert tokens.check_confirm_token(KEY, token, ADDR, NOW) is tokens.Refusal.BAD


def test_form_token_scope_age_and_nonce():
    token = tokens.form_token(KEY, "new", NOW)
    nonce = tokens.check_form_token(KEY, token, "new", NOW + timedelta(hours=1), 3600)
    assert nonce and nonce.isalnum()
    assert tokens.check_form_token(KEY, token, "t|1|a", NOW, 3600) is None
    assert tokens.check_form_token(KEY, token, "new", NOW + timedelta(hours=2), 3600) is None
    assert tokens.check_form_token(KEY, "", "new", NOW, 3600) is None


def test_confirm_token():
    token = tokens.confirm_token(KEY, "abc123", ADDR, NOW, 2)
    assert tokens.check_confirm_token(KEY, token, ADDR, NOW) is True
    assert tokens.check_confirm_token(KEY, token, "x@y.ru", NOW) is tokens.Refusal.BAD
    late = NOW + timedelta(days=3)
    assert tokens.check_confirm_token(KEY, token, ADDR, late) is tokens.Refusal.EXPIRED


def _app(web=True):
    staff, head = ("anna@example.com",), "head@example.com"
    own = own_side(staff, head)  # SupportConfig.internal
    support = SimpleNamespace(staff=staff, head=head, internal=own, address="support@example.com")
    cfg = SimpleNamespace(base_url="https://s.example", link_days=90) if web else None
    return SimpleNamespace(config=SimpleNamespace(web=cfg, support=support), web_secret=KEY)


def test_only_customer_mail_gets_a_link_and_the_thread_keeps_it_masked():
    link = site_link(_app(), "4821-7730", ADDR, NOW)
    assert link and link.startswith("https://s.example/t/4821-7730.")
    assert site_link(_app(), "4821-7730", "anna@example.com", NOW) is None
    assert site_link(_app(), "4821-7730", "head@example.com", NOW) is None
    assert site_link(_app(), "4821-7730", "support+x@example.com", NOW) is None
    assert site_link(_app(web=False), "4821-7730", ADDR, NOW) is None
    for no_ticket in (None, ""):  # mail about no ticket: a link would open nothing
        assert site_link(_app(), no_ticket, ADDR, NOW) is None
    text = masked(f"Ссылка:\n{link}\n", link)
    assert link not in text and "https://s.example/t/(персональная ссылка)" in text


def test_the_lines_under_a_relayed_answer_are_known_as_the_customer_got_them_masked():
    """relayed_lines: what the customer got under a staff answer, as the thread keeps
    it (the link masked), so that a customer's quote of it is known as ours, not kept
    as their text; none without a site."""
    link = site_link(_app(), "4821-7730", ADDR, NOW)
    web = _app().config.web
    assert relayed_lines(web) == masked(footer(link), link) != ""
    assert relayed_lines(None) == ""


def test_a_link_to_a_ticket_merged_twice_lands_where_the_chain_ends():
    """links.landing: 1111-2222 merged into 3333-4444, merged in turn into 5555-6666:
    the old link lands on the ticket the conversation goes on in, not on the one
    between, which is closed as merged too."""
    merged = {"1111-2222": "3333-4444", "3333-4444": "5555-6666"}
    app = SimpleNamespace(store=SimpleNamespace(merged_into=merged.get))
    assert landing(app, {"tid": "1111-2222", "merged_into": "3333-4444"}) == "5555-6666"
    assert landing(app, {"tid": "5555-6666"}) == "5555-6666"


def test_each_customers_link_is_bound_to_that_customer():
    for owner in ("a@x.ru", ADDR):
        token = site_link(_app(), "4821-7730", owner, NOW).rsplit("/", 1)[1]
        assert tokens.check_ticket_token(KEY, token, ["a@x.ru", ADDR], NOW) == owner


def _reply(text: str) -> ParsedMessage:
    empty = dict.fromkeys(("message_id", "from_addr", "from_name", "subject"), "")
    empty |= dict.fromkeys(("to", "cc", "in_reply_to", "references", "attachments"), ())
    return ParsedMessage(**empty, reply_to=None, text=text)


def test_a_reply_quoting_a_confirmation_link_is_kept_with_it_masked():
    """A customer who answers the confirmation mail of «Задать вопрос» quotes its /c/
    link: a working token, which the thread (the store, staff's copy, `ticket show
    --json`) must not keep; it is masked as a quoted /t/ link is, in a reply that
    quotes no /t/ link too."""
    token = tokens.confirm_token(KEY, "abc123", ADDR, NOW, 2)
    text = f"Спасибо!\n> Подтвердите вопрос: https://s.example/c/{token}\n"
    kept = without_tokens(_app(), _reply(text)).text
    assert token not in kept and f"https://s.example/c/{MASK}" in kept
    link = site_link(_app(), "4821-7730", ADDR, NOW)
    kept = without_tokens(_app(), _reply(f"{text}> {link}\n")).text
    assert token not in kept and link not in kept and kept.count(MASK) == 2


def test_a_malformed_requests_words_are_logged_without_token_bytes_or_controls():
    """What aiohttp's parser said of a request it refused, as logged (web.server): the
    raw request it quotes left out, a token it names elsewhere masked (it opens a
    ticket), a control character (a fake log line, a terminal's escape) made «?», and
    120 characters at most."""
    said = HttpProcessingError(message="Bad path /t/SECRETtoken1 in\x1b[31m: b'GET /t/SECRET2'")
    assert what_was_wrong(said) == "Bad path /t/… in?[31m"
    assert len(what_was_wrong(HttpProcessingError(message="x" * 500))) == 120


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/t/SECRET.tok/reply", "/t/…/reply"),
        ("/c/SECRET.tok", "/c/…"),  # the confirmation page's token too
        ("/t/SECRET?x=1", "/t/…"),
        ("/\nmaild: ERROR: x", "/\\nmaild: ERROR: x"),
    ],
)
def test_a_path_is_logged_without_its_token_or_a_line_of_its_own(path, logged):
    assert mask(path) == logged
