"""maild.domain.forget erases the address itself, not another that holds it:
forgetting an@shop.ru leaves ivan@shop.ru, an@shop.russia.com and their Message-IDs."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.forget import PLACEHOLDER, erase_person, mention, scrub_bytes
from maild.domain.forgetmention import id_head

_WORD = st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True)
_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,4}[a-z0-9])?", fullmatch=True)
_LOCAL = st.lists(_WORD, min_size=1, max_size=3).map(".".join)
_DOMAIN = st.lists(_LABEL, min_size=2, max_size=3).map(".".join)
_BEFORE = st.from_regex(r"[a-z0-9._+-]{0,4}", fullmatch=True)  # goes on a local part
# any other character before the address ends a word: quotes, a URL's query, braces
_BOUNDARY = st.sampled_from(list("'`\"=?/{}|#~!$%&*^()[]<>:;, "))
_AFTER = st.sampled_from(["", "x", "-1", "ia", ".com", ".s-a"])  # goes on the domain


def _ticket(requester: str) -> dict:
    return {"tid": "1234-5678", "requester": requester, "subject": "Заказ", "status": "open"}


def _msg(frm: str, message_id: str, text: str) -> dict:
    return {
        "from": frm,
        "direction": "in",
        "message_id": message_id,
        "in_reply_to": message_id,
        "to": ["support@desk.example"],
        "cc": [frm],
        "text": text,
        "attachments": [],
    }


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[str, str]:
    """An address A and another, B, that holds it (a local part before, a domain's
    letters after), B in any case."""
    a = f"{draw(_LOCAL)}@{draw(_DOMAIN)}"
    before, after = draw(_BEFORE), draw(_AFTER)
    if not before and not after or before.startswith(".") or before.endswith(".."):
        before = "x" + before.strip(".") + "."
    b = before + a + after
    return a, b.upper() if draw(st.booleans()) else b


@settings(max_examples=300, deadline=None)
@given(_pairs(), _BOUNDARY)
@example(("0@0.0", "x.0@0.0"), "'")
@example(("an@shop.ru", "ivan@shop.ru"), "=")
def test_forgetting_an_address_leaves_every_address_that_holds_it(
    pair: tuple[str, str], q: str
) -> None:
    a, b = pair
    text = f"Пишите {a} или {b}, «{a}» и <{b}>; {b}. {q}{a}{q}"
    messages = [
        _msg(b, f"<1700.{b}>", text),
        _msg(a, f"<1701.{a}>", "моё"),  # theirs: renamed
        _msg("olga@shop.example", f"<{b}>", text),
    ]
    t, out, e = erase_person({**_ticket(b), "participants": [b, a]}, messages, a)
    assert t["requester"] == b and t["participants"] == [b, PLACEHOLDER]
    assert [m["message_id"] for m in out] == [f"<1700.{b}>", f"<1701.{PLACEHOLDER}>", f"<{b}>"]
    assert [m["from"] for m in out] == [b, PLACEHOLDER, "olga@shop.example"]
    assert e.renamed == [(f"<1701.{a}>", f"<1701.{PLACEHOLDER}>")]
    kept = out[0]["text"]
    assert kept.count(b) == text.count(b) == 3
    assert a not in kept.replace(b, "").replace(PLACEHOLDER, "")  # no standalone A left
    assert kept.endswith(f" {q}{PLACEHOLDER}{q}")
    assert out[2]["text"] == kept and out[0]["cc"] == [b]


def test_the_review_case_an_at_shop_leaves_ivans_ticket() -> None:
    ticket = {**_ticket("ivan@shop.ru"), "participants": ["ivan@shop.ru"]}
    messages = [_msg("ivan@shop.ru", "<1700000000.ivan@shop.ru>", "Привет, an@shop.ru.")]
    t, out, e = erase_person(ticket, messages, "an@shop.ru")
    assert t == ticket and out[0]["message_id"] == "<1700000000.ivan@shop.ru>"
    assert out[0]["text"] == f"Привет, {PLACEHOLDER}." and not e.renamed


@pytest.mark.parametrize(
    "text",
    [
        "Удалите, пожалуйста, пользователя 'an@shop.ru' из рассылки",
        "ошибка: user `an@shop.ru` not found",
        "ссылка https://crm.shop.ru/card?email=an@shop.ru",
        "{an@shop.ru}",
        "#an@shop.ru",
        "|an@shop.ru|",
        "~an@shop.ru",
        "!an@shop.ru",
        "/An@Shop.ru",
        '"an@shop.ru"',
    ],
)
def test_the_address_goes_after_any_character_but_a_local_parts(text: str) -> None:
    """Only a letter, digit, `.`, `-`, `_` or `+` before it makes it part of a longer
    address: after a quote, `=`, `?`, `/`, a brace... it is theirs and goes."""
    ticket = _ticket("boss@other.ru")
    messages = [_msg("boss@other.ru", "<m1@other.ru>", text)]
    _t, out, e = erase_person(ticket, messages, "an@shop.ru")
    assert "an@shop.ru" not in out[0]["text"].lower() and PLACEHOLDER in out[0]["text"]
    assert e.replaced == 1
    for kept in ("ivan@shop.ru", "i.an@shop.ru", "i-an@shop.ru", "i_an@shop.ru", "i+an@shop.ru"):
        assert mention("an@shop.ru").search(f"'{kept}'") is None, kept


def test_a_thousand_ids_of_theirs_cost_what_none_do() -> None:
    """The pattern that scans texts (spool copies, outbox files) is one whatever the
    number of ids of theirs; an id is theirs by the characters before the address (a
    set lookup): `<1700000000.an@shop.ru>` of a head of theirs goes, another's stays."""
    heads = {f"<{1700000000 + i}." for i in range(1000)}
    assert mention("an@shop.ru", heads).pattern.pattern == mention("an@shop.ru").pattern.pattern
    p = mention("an@shop.ru", heads)
    text = "<1700000999.An@shop.ru> <1699999999.an@shop.ru> <x.an@shop.ru> <an@shop.ru>"
    assert p.subn(PLACEHOLDER, text) == (
        f"<1700000999.{PLACEHOLDER}> <1699999999.an@shop.ru> <x.an@shop.ru> <{PLACEHOLDER}>",
        2,
    )
    assert p.sub(PLACEHOLDER, "1700000000.an@shop.ru>") == "1700000000.an@shop.ru>"  # no <
    assert p.sub(PLACEHOLDER, "<1700000000.an@shop.ru") == "<1700000000.an@shop.ru"  # no >


def test_an_id_of_theirs_is_found_whatever_the_length_of_its_head() -> None:
    """The head is looked up behind the last `<` before the address (an id's left part
    holds none), or behind each if a head of theirs holds one."""
    heads = {"<" + "7" * n + "." for n in range(1, 1001)}
    p = mention("an@shop.ru", heads)
    for n in (1, 500, 1000):
        assert p.sub("F", f"x <{'7' * n}.an@shop.ru>") == f"x <{'7' * n}.F>"
    assert p.sub("F", f"<{'7' * 1001}.an@shop.ru>") == f"<{'7' * 1001}.an@shop.ru>"
    assert p.sub("F", "<7<7.an@shop.ru>") == "<7<7.F>"  # <7. of theirs
    assert mention("an@shop.ru", {"<a<b."}).sub("F", "<a<b.an@shop.ru>") == "<a<b.F>"
    assert mention("an@shop.ru", {"<a<b."}).sub("F", "<b.an@shop.ru>") == "<b.an@shop.ru>"


def test_a_place_after_one_refused_inside_it_is_still_found() -> None:
    """ru@x.ru twice in one id, the second the end of an id of theirs: the first is
    refused (a dot before, no `>` after), the second is still looked at."""
    p = mention("ru@x.ru", {"<1.ru@x."})
    assert p.sub(PLACEHOLDER, "<1.ru@x.ru@x.ru>") == f"<1.ru@x.{PLACEHOLDER}>"
    assert [m.span() for m in p.finditer("<1.ru@x.ru@x.ru>")] == [(8, 15)]


def test_an_address_field_is_theirs_in_any_spelling_of_its_domain() -> None:
    """An address field is compared as maild compares addresses (comparable_address):
    any case, the domain in U-labels or A-labels."""
    ticket = {
        **_ticket("olga@shop.ru"),
        "participants": ["Boss@Окна.РФ", "boss@xn--80atjc.xn--p1ai"],
    }
    t, _out, _e = erase_person(ticket, [], "boss@окна.рф")
    assert t["participants"] == [PLACEHOLDER, PLACEHOLDER]


def test_the_bytes_scrub_keeps_every_other_byte() -> None:
    raw = b"From: ivan@shop.ru\r\nCc: An@Shop.ru\r\n\r\n\xff\xfe an@shop.ru \xd1\x8fan@shop.ru\r\n"
    out = scrub_bytes(raw, mention("an@shop.ru"))
    assert out == raw.replace(b"An@Shop.ru", b"forgotten@invalid").replace(
        b" an@shop.ru", b" forgotten@invalid"
    )


BOSS_A = "boss@xn--80atjc.xn--p1ai"  # boss@окна.рф as the site and IDNA spell it


def test_forgetting_the_a_label_spelling_erases_the_u_label_requester() -> None:
    """The site turns boss@окна.рф into its A-labels: `maild forget` given that spelling
    must still find the ticket the person opened as Boss@Окна.РФ, and erase their text."""
    ticket = {**_ticket("Boss@Окна.РФ"), "participants": ["Boss@Окна.РФ"]}
    msgs = [_msg("Boss@Окна.РФ", "<1@okna>", "Мой заказ 42, телефон +7 900 000-00-00")]
    t, out, e = erase_person(ticket, msgs, BOSS_A)
    assert t["requester"] == PLACEHOLDER and t["participants"] == [PLACEHOLDER]
    assert "телефон" not in str(out[0].get("text")) and e.theirs


@pytest.mark.parametrize("key", ["participants", "removed", "humans", "robots_unproven"])
def test_a_ticket_list_of_people_names_them_in_any_spelling_no_more(key: str) -> None:
    """The ticket's lists of people (#uncc's removed, #human's humans, the robots a
    mail proved none of) are address fields: their entry goes whatever the spelling of
    the domain, not only where the text spells it as `maild forget` was given it."""
    ticket = {**_ticket("olga@x.ru"), key: ["Boss@Окна.РФ", "olga@x.ru"]}
    t, _out, _e = erase_person(ticket, [], BOSS_A)
    assert t[key] == [PLACEHOLDER, "olga@x.ru"]


def test_asked_to_join_in_another_spelling_is_theirs() -> None:
    """A customer's «add my colleague» (asked_to_join) names the person as any address
    field does: it goes, whatever the spelling of the domain."""
    m = {**_msg("olga@x.ru", "<o@x.ru>", "добавьте коллегу"), "asked_to_join": ["Boss@Окна.РФ"]}
    _t, [out], _e = erase_person(_ticket("olga@x.ru"), [m], BOSS_A)
    assert out["asked_to_join"] == [PLACEHOLDER]


def test_an_id_of_theirs_from_another_ticket_is_renamed_here() -> None:
    """Their Message-ID quoted in a ticket where they wrote nothing: the heads of their
    ids come from the tickets they wrote in (ops/forget passes them as id_heads), and
    the id is renamed here too, or it names them still."""
    m = {**_msg("olga@x.ru", "<o@x.ru>", "see"), "references": ["<1700000000.ivan@shop.ru>"]}
    _t, [out], _e = erase_person(
        _ticket("olga@x.ru"), [m], "ivan@shop.ru", id_heads={"<1700000000."}
    )
    assert out["references"] == [f"<1700000000.{PLACEHOLDER}>"]


def test_only_an_id_made_of_the_address_has_a_head() -> None:
    """An id is theirs when it is `<`, a head ending in "." or none, the address, `>`:
    <xyzan@shop.ru> is no id of an@shop.ru (its head `<xyz` runs into the address, which
    is xyzan@shop.ru), so forgetting an@shop.ru leaves it in other tickets."""
    assert id_head("<1700000000.ivan@shop.ru>", "ivan@shop.ru") == "<1700000000."
    assert id_head("<ivan@shop.ru>", "ivan@shop.ru") == "<"
    assert id_head("<xyzan@shop.ru>", "an@shop.ru") is None
    assert id_head("<1700.ivan@shop.ru", "ivan@shop.ru") is None  # no closing >
    theirs = [_msg("an@shop.ru", "<xyzan@shop.ru>", "моё")]
    _t, _o, _e = erase_person(_ticket("an@shop.ru"), theirs, "an@shop.ru")
    kept = [_msg("olga@x.ru", "<o@x.ru>", "пишите <xyzan@shop.ru>")]
    _t, [out], _e = erase_person(_ticket("olga@x.ru"), kept, "an@shop.ru")
    assert out["text"] == "пишите <xyzan@shop.ru>"


def test_a_withdrawn_copy_stays_withdrawn_under_the_placeholder() -> None:
    """A copy of our answer withdrawn from them keeps its time under the placeholder:
    the record still says a copy was withdrawn, and others' entries are kept."""
    sent = {
        **_msg("support@desk.example", "<a@s>", "Ответ"),
        "direction": "out",
        "withdrawn_copies": {"olga@x.ru": "2026-01-01T00:00:00+00:00", "ivan@x.ru": "w"},
    }
    _t, [m], _e = erase_person(_ticket("petr@x.ru"), [sent], "olga@x.ru")
    assert m["withdrawn_copies"] == {"ivan@x.ru": "w", PLACEHOLDER: "2026-01-01T00:00:00+00:00"}


def test_an_address_that_opens_a_text_ending_in_a_dot_goes() -> None:
    """The address is the text's first word and the text ends in a dot: nothing stands
    before it (no dot of a longer address), so it goes like any other place of it."""
    text = "an@shop.ru просит перезвонить."
    assert mention("an@shop.ru").sub(PLACEHOLDER, text) == f"{PLACEHOLDER} просит перезвонить."
    messages = [_msg("boss@other.ru", "<m1@other.ru>", text)]
    _t, [out], e = erase_person(_ticket("boss@other.ru"), messages, "an@shop.ru")
    assert out["text"] == f"{PLACEHOLDER} просит перезвонить." and e.replaced == 1


def test_an_id_of_theirs_with_capitals_in_its_head_goes() -> None:
    """A client that writes its ids' heads in capitals (`<AB12CD.an@shop.ru>`): the id
    is theirs wherever a text quotes it, whatever the case its head is found in."""
    theirs = [_msg("an@shop.ru", "<AB12CD.an@shop.ru>", "моё")]
    olga = _msg("olga@x.ru", "<o@x.ru>", "в ответ на <AB12CD.an@shop.ru> и <ab12cd.An@Shop.ru>")
    _t, [_mine, out], _e = erase_person(_ticket("olga@x.ru"), [*theirs, olga], "an@shop.ru")
    assert out["text"] == f"в ответ на <AB12CD.{PLACEHOLDER}> и <ab12cd.{PLACEHOLDER}>"
