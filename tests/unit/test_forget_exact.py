"""maild.domain.forget erases the address itself, not another that holds it:
forgetting an@shop.ru leaves ivan@shop.ru, an@shop.russia.com and their Message-IDs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.forget import PLACEHOLDER, erase_person, mention, scrub_bytes

_WORD = st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True)
_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,4}[a-z0-9])?", fullmatch=True)
_LOCAL = st.lists(_WORD, min_size=1, max_size=3).map(".".join)
_DOMAIN = st.lists(_LABEL, min_size=2, max_size=3).map(".".join)
_BEFORE = st.from_regex(r"[a-z0-9._+'=-]{0,4}", fullmatch=True)  # goes on a local part
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
@given(_pairs())
def test_forgetting_an_address_leaves_every_address_that_holds_it(pair: tuple[str, str]) -> None:
    a, b = pair
    text = f"Пишите {a} или {b}, «{a}» и <{b}>; {b}."
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
    assert out[2]["text"] == kept and out[0]["cc"] == [b]


def test_the_review_case_an_at_shop_leaves_ivans_ticket() -> None:
    ticket = {**_ticket("ivan@shop.ru"), "participants": ["ivan@shop.ru"]}
    messages = [_msg("ivan@shop.ru", "<1700000000.ivan@shop.ru>", "Привет, an@shop.ru.")]
    t, out, e = erase_person(ticket, messages, "an@shop.ru")
    assert t == ticket and out[0]["message_id"] == "<1700000000.ivan@shop.ru>"
    assert out[0]["text"] == f"Привет, {PLACEHOLDER}." and not e.renamed


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
