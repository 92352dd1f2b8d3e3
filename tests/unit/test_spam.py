"""The MTA's spam verdicts and the block list (maild.domain.spam)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.config import SPAM_VERDICTS
from maild.domain.spam import BlockList, domain_blockable, verdict, withheld
from maild.domain.spelling import routed_address, routed_domain

US = "mx.example.com"


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("x-spam-flag", "YES", "X-Spam-Flag"),
        ("x-spam-flag", " yes ", "X-Spam-Flag"),
        ("x-spam-status", "Yes, score=9.1 required=5.0 tests=BAYES_99", "X-Spam-Status"),
        ("x-spam", "Yes", "X-Spam"),
        ("x-rspamd-action", "reject", "X-Rspamd-Action"),
        ("x-rspamd-action", "add  header", "X-Rspamd-Action"),
        ("x-rspamd-action", "rewrite subject", "X-Rspamd-Action"),
        ("authentication-results", f"{US}; dmarc=fail (p=reject) header.from=x.ru", "dmarc"),
    ],
)
def test_each_verdict(name: str, value: str, reason: str) -> None:
    got = verdict({name: (value,)}, SPAM_VERDICTS, US)
    assert got is not None and reason in got


@pytest.mark.parametrize(
    "name, value",
    [
        ("x-spam-flag", "NO"),
        ("x-spam-status", "No, score=0.1 required=5.0"),
        ("x-spam", "no"),
        ("x-rspamd-action", "no action"),
        ("x-rspamd-action", "greylist"),
        ("x-rspamd-action", "soft reject"),
        ("authentication-results", f"{US}; dmarc=pass header.from=x.ru"),
        ("authentication-results", f"{US}; dmarc=none header.from=x.ru"),
        ("authentication-results", "evil.example; dmarc=fail header.from=x.ru"),
    ],
)
def test_not_spam(name: str, value: str) -> None:
    assert verdict({name: (value,)}, SPAM_VERDICTS, US) is None


def test_only_trusted_headers_count() -> None:
    headers = {"x-spam-flag": ("YES",), "x-spam": ("yes",)}
    assert verdict(headers, ("x-spam",), None) == "spam: X-Spam: Yes"
    assert verdict(headers, (), None) is None
    # DMARC too: a failed DMARC with "dmarc" not among [spam] headers is no verdict
    fail = {"authentication-results": (f"{US}; dmarc=fail header.from=x.ru",)}
    assert verdict(fail, ("x-spam",), US) is None


# (a sender's own "no", the trusted filter's "yes"): each verdict header
_NO_AND_YES = [
    ("x-spam-flag", "NO", "YES", "spam: X-Spam-Flag: YES"),
    ("x-spam-status", "No, score=-1.0", "Yes, score=15.2", "spam: X-Spam-Status: Yes"),
    ("x-spam", "No", "Yes", "spam: X-Spam: Yes"),
    ("x-rspamd-action", "no action", "add header", "spam: X-Rspamd-Action: add header"),
]


@pytest.mark.parametrize("name, no, yes, reason", _NO_AND_YES)
def test_a_senders_no_never_outweighs_the_filters_yes(name, no, yes, reason) -> None:
    """A milter appends its verdict below the sender's header fields: only the first
    value was read, so a sender's `X-Spam-Flag: NO` on top hid the MTA's YES. Any value
    that says spam counts, above or below a "no", however many "no"s there are."""
    for values in [(no, yes), (no, no, yes), (yes, no), (no, yes, no)]:
        assert verdict({name: values}, SPAM_VERDICTS, US) == reason
    assert verdict({name: (no, no)}, SPAM_VERDICTS, US) is None
    assert verdict({name: (no, yes)}, [h for h in SPAM_VERDICTS if h != name], US) is None


@pytest.mark.parametrize(
    "name, value",
    [
        ("x-spam-flag", "YES\r\n"),
        ("x-spam-status", "Yes,\r\n\tscore=9.1 required=5.0"),
        ("x-spam-status", "Yes\r\n score=9.1 required=5.0"),
        ("x-spam-status", "yes\tscore=9.1"),
        ("x-rspamd-action", "rewrite\r\n subject"),
    ],
)
def test_a_folded_verdict_counts(name: str, value: str) -> None:
    assert verdict({name: (value,)}, SPAM_VERDICTS, US) is not None


_VALUE = st.sampled_from(
    ["NO", "No, score=0.1", "no action", "greylist", "false", "", "YES", "Yes, score=9",
     "yes", "true", "reject", "add header", "X-Spam-Flag: YES", "nope", "yesno"]
)  # fmt: skip
_HEADERS = st.dictionaries(
    st.sampled_from(["x-spam-flag", "x-spam-status", "x-spam", "x-rspamd-action"]),
    st.lists(_VALUE, max_size=4).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(_HEADERS, _HEADERS, st.lists(st.sampled_from(SPAM_VERDICTS)))
def test_what_a_sender_adds_never_takes_a_verdict_away(headers, added, trusted) -> None:
    """The sender writes fields above and below those the filter wrote (a milter's are
    last, a filter that prepends puts its own first): mail that is spam without them is
    spam with them."""
    if verdict(headers, trusted, US) is None:
        return
    for name, values in added.items():
        mine = headers.get(name, ())
        for both in (values + mine, mine + values, values[:1] + mine + values[1:]):
            assert verdict({**headers, name: both}, trusted, US) is not None


def test_dmarc_needs_authserv_id_and_only_the_first_header_of_ours_counts() -> None:
    fail = {"authentication-results": (f"{US}; dmarc=fail header.from=x.ru",)}
    assert verdict(fail, SPAM_VERDICTS, None) is None
    forged_below = {
        "authentication-results": (
            f"{US}; dmarc=pass header.from=x.ru",
            f"{US}; dmarc=fail header.from=x.ru",
        )
    }
    assert verdict(forged_below, SPAM_VERDICTS, US) is None


def test_blocked_by_address_domain_and_parent_domain() -> None:
    blocked_by = BlockList(["seo@promo.example", "spam-farm.example"]).match
    assert blocked_by("SEO@promo.example") == "seo@promo.example"
    assert blocked_by("other@promo.example") is None
    assert blocked_by("a@spam-farm.example") == "spam-farm.example"
    assert blocked_by("a@mx.spam-farm.example") == "spam-farm.example"
    assert blocked_by("a@notspam-farm.example") is None
    assert blocked_by("") is None


def _scan(address: str, entries: list[str]) -> str | None:
    """The block list's rule as a scan of the entries (what BlockList looks up): the
    address, its domain and each parent compared as the mail system routes them
    (spelling.routed_address: a parent in A-labels where IDNA can spell it)."""
    address = routed_address(address)
    if not address:
        return None
    domain = address.rpartition("@")[2]
    labels = domain.split(".")
    parents = {".".join(labels[i:]) for i in range(len(labels))}
    parents = {p if p.isascii() else routed_domain(p) for p in parents}
    for entry in entries:
        e = entry.strip().lstrip("@")
        if "@" in e:
            if routed_address(e) == address:
                return entry
        elif routed_domain(e) and routed_domain(e) in parents:
            return entry
    return None


_LABEL = st.sampled_from(
    ["x", "ru", "mx", "promo", "Spam-Farm", "", "@", " ", "a@b", ".", "окна", "ОКНА", "рф"]
    + ["xn--80atjc", "XN--P1AI", "ｆoo", "faß", "окна。рф", "x．ru", "ｅx｡"]
)
_NAME = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)
_ADDRESS = st.one_of(_NAME, st.tuples(_NAME, _NAME).map("@".join))


@settings(max_examples=300, deadline=None)
@given(_ADDRESS, st.lists(st.one_of(_NAME, _ADDRESS, _ADDRESS.map("@".__add__)), max_size=8))
def test_block_list_finds_what_a_scan_finds(address: str, entries: list[str]) -> None:
    assert BlockList(entries).match(address) == _scan(address, entries)


def test_block_list_names_the_first_entry_that_covers_the_address() -> None:
    entries = ["example", "Seo@Promo.example", "promo.example", "@promo.example"]
    assert BlockList(entries).match("seo@promo.example") == "example"
    assert BlockList(entries[1:]).match("seo@promo.example") == "Seo@Promo.example"
    assert BlockList(entries[2:]).match("x@mx.promo.example") == "promo.example"
    assert BlockList([]).match("a@b.ru") is None


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("spam@окна.рф", "spam@xn--80atjc.xn--p1ai"),
        ("Spam@XN--80ATJC.xn--p1ai", "SPAM@Окна.рф"),
        ("окна.рф", "spam@mx.xn--80atjc.xn--p1ai"),
        ("@xn--80atjc.xn--p1ai", "spam@окна.РФ"),
        ("рф", "spam@xn--80atjc.xn--p1ai"),
        ("окна.рф", "spam@ｆoo.xn--80atjc.xn--p1ai"),  # a label IDNA would fold, below it
        ("xn--80atjc.xn--p1ai", "spam@ｆoo.окна.рф"),
    ],
)
def test_an_idn_domain_is_blocked_in_either_spelling(entry: str, address: str) -> None:
    """окна.рф and xn--80atjc.xn--p1ai are one domain (addresses.comparable_domain):
    blocked in one spelling, mail from the other is blocked, named by the entry as the
    admin typed it."""
    assert BlockList([entry]).match(address) == entry
    assert BlockList([entry]).covering(address) == [entry]


def test_a_spelling_idna_would_fold_into_another_name_stays_distinct() -> None:
    """faßmüller.de gets no A-labels (addresses._a_labels): an entry of it is no entry
    of ss for ß, another domain under IDNA 2008, and the other way round."""
    assert BlockList(["faßmüller.de"]).match("a@fassmüller.de") is None
    assert BlockList(["fassmüller.de"]).match("a@faßmüller.de") is None
    assert BlockList(["straße.de"]).match("a@xn--strasse-xxa.de") is None
    assert BlockList(["faßmüller.de"]).match("a@FAßmüller.de") == "faßmüller.de"


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("окна.рф", "spam@окна。рф"),  # an ideographic full stop
        ("spam@окна．рф", "SPAM@xn--80atjc.xn--p1ai"),  # a fullwidth one
        ("окна｡рф", "spam@mx.окна.рф"),  # a halfwidth one
        ("example.org.", "a@example.org"),  # a trailing dot
        ("example.org", "a@mx.example.org."),
        ("ｅxample.org", "a@example.org"),  # a fullwidth letter
        ("example.org", "a@ｅｘａｍｐｌｅ．ｏｒｇ"),
    ],
)
def test_a_spelling_the_mail_system_delivers_alike_is_blocked(entry: str, address: str) -> None:
    """IDNA reads those dots and letters as ASCII ones (Python's codec, UTS 46), postfix
    drops a trailing dot: mail to each reaches the one domain (spelling.routed_domain)."""
    assert BlockList([entry]).match(address) == entry


def test_spam_domain_takes_a_free_mail_service_in_any_spelling_of_it():
    """Its entry would block the service itself (gmail。com is gmail.com)."""
    assert not domain_blockable("a@gmail。com") and not domain_blockable("a@ｇmail.com")
    assert not domain_blockable("a@mail.ru.") and not domain_blockable("a@yandex．ru")


def test_withheld_knows_supports_own_side_in_either_spelling():
    blocks = BlockList(["поддержка.рф"])
    ours = ["anna@поддержка.рф"]
    to = ["anna@xn--80ahaefyxhn.xn--p1ai", "ivan@xn--80ahaefyxhn.xn--p1ai"]
    assert withheld(blocks, to, "notice", ours) == {to[1]: "поддержка.рф"}


def test_spam_domain_never_takes_a_free_mail_service():
    assert domain_blockable("a@spam-farm.example")
    assert domain_blockable("a@promo.mail.example")  # only whole labels count
    assert not domain_blockable("a@gmail.com") and not domain_blockable("a@Mail.RU")
    assert not domain_blockable("a@sub.yandex.ru")  # a subdomain of one too
    assert not domain_blockable("no-domain") and not domain_blockable("")
    assert not domain_blockable("user@") and not domain_blockable("@corp.example")


def test_withheld_keeps_automatic_mail_from_blocked_addresses_only():
    blocks = BlockList(["seo@promo.example", "spam-farm.example"])
    to = ["seo@promo.example", "olga@mx.spam-farm.example", "ivan@shop.example"]
    for kind in ("confirmation", "notice"):
        assert withheld(blocks, to, kind) == {
            "seo@promo.example": "seo@promo.example",
            "olga@mx.spam-farm.example": "spam-farm.example",
        }
    assert withheld(blocks, to, "staff") == {}  # a staff member's answer: a person decided
    assert withheld(BlockList([]), to, "notice") == {}


def test_withheld_never_holds_back_supports_own_side():
    blocks = BlockList(["example.com"])  # a domain entry covering the desk's own domain
    ours = ["anna@example.com", "head@example.com"]
    to = ["anna@example.com", "ivan@example.com"]
    assert withheld(blocks, to, "notice", ours) == {"ivan@example.com": "example.com"}


def test_started_owed_only_to_the_unblocked_whom_nothing_told_since() -> None:
    from maild.domain.spam import started_owed

    held = {"kind": "note", "direction": "out", "suppressed": "blocked",
            "template": "started.txt", "to": ["Ivan@x.ru", "olga@y.ru"]}  # fmt: skip
    removed = BlockList(["x.ru"])
    assert started_owed("open", [held], removed) == ["ivan@x.ru"]  # olga: not this entry
    for status in ("new", "waiting", "closed"):
        assert started_owed(status, [held], removed) == []
    capped = {**held, "suppressed": "cap"}
    assert started_owed("open", [capped], removed) == []  # the cap's note: not the block's
    answer = {"kind": "staff", "direction": "out", "to": ["ivan@x.ru"]}
    assert started_owed("open", [held, answer], removed) == []
    assert started_owed("open", [answer, held], removed) == ["ivan@x.ru"]
    note = {"kind": "note", "direction": "out", "to": ["ivan@x.ru"], "suppressed": "blocked",
            "template": "resolved.txt"}  # fmt: skip
    assert started_owed("open", [held, note], removed) == ["ivan@x.ru"]


def test_started_owed_counts_a_started_notice_withdrawn_as_blocked() -> None:
    """«работа начата» queued at #take and withdrawn when the block came (block add, or
    the sender by a hand-edited list) is held back as well; each copy by its own id."""
    from maild.domain.spam import started_owed

    started = {"kind": "notice", "direction": "out", "template": "started.txt",
               "message_id": "<1@s>", "to": ["Ivan@x.ru", "olga@y.ru"],
               "copies": {"Ivan@x.ru": "<1@s>", "olga@y.ru": "<2@s>"}}  # fmt: skip
    removed = BlockList(["x.ru"])
    assert started_owed("open", [started], removed) == []  # it went
    assert started_owed("open", [started], removed, {"<1@s>"}) == ["ivan@x.ru"]
    assert started_owed("open", [started], removed, {"<2@s>"}) == []  # olga's: not x.ru
    assert started_owed("waiting", [started], removed, {"<1@s>"}) == []
    answer = {"kind": "staff", "direction": "out", "message_id": "<3@s>", "to": ["ivan@x.ru"]}
    assert started_owed("open", [started, answer], removed, {"<1@s>"}) == []
    # a withdrawn answer never reached them: the notice is still owed
    assert started_owed("open", [started, answer], removed, {"<1@s>", "<3@s>"}) == ["ivan@x.ru"]
    alone = {**started, "to": ["ivan@x.ru"], "copies": None}
    assert started_owed("open", [alone], removed, {"<1@s>"}) == ["ivan@x.ru"]
