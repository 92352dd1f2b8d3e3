"""Only the receiving MTA's own block of Authentication-Results counts: from the topmost
header of our id down to the first Received line below it. Its milters stamp there
(OpenDKIM and OpenDMARC insert theirs just below postfix's own Received line; a milter
that inserts at the very top stands above it); a header a sender wrote below a relay's
Received line is never read, whatever it says (audit review 22: where the MTA does not
strip them, a lower `dkim=pass header.d=<staff domain>` supplied the method the MTA's
header on top did not state, and an outsider was staff)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import authres
from maild.domain.authres import MAX_OURS, our_verdict, sender_verified
from maild.domain.message import parse

US = "mx.support.example"
BOSS = "boss@staff.example"
RELAY = b"Received: from relay.example by mx.relay.example; Sun, 6 Dec 2026 10:00:00 +0000\r\n"
OURS_RECEIVED = b"Received: from relay.example by mx.support.example (Postfix)\r\n"


def _mail(head: bytes, sender: str = BOSS) -> bytes:
    return (
        head
        + (
            f"From: {sender}\r\nTo: support@example.com\r\nSubject: Re: [TID#1111-2222]\r\n"
            "Message-ID: <m@staff.example>\r\n\r\nГотово.\r\n"
        ).encode()
    )


def _ar(value: str) -> bytes:
    return f"Authentication-Results: {value}\r\n".encode()


def _verified(raw: bytes) -> bool:
    msg = parse(raw)
    values = msg.headers.get("authentication-results", ())
    return sender_verified(values, US, msg.from_addr, msg.authres_received)


FORGED = f"{US}; dkim=pass header.d=staff.example header.i=@staff.example"


def test_a_forged_header_below_a_relays_received_line_is_not_read() -> None:
    """The audit's mail: our MTA stamps only spf=fail, a relay's Received line below it,
    then the sender's own dkim=pass of the staff domain."""
    head = OURS_RECEIVED + _ar(f"{US}; spf=fail smtp.mailfrom=evil.example") + RELAY + _ar(FORGED)
    assert not _verified(_mail(head))
    # the same headers with no Received line between: one block (what a stripping MTA
    # never lets through: README, Trust)
    assert _verified(_mail(OURS_RECEIVED + _ar(f"{US}; spf=fail") + _ar(FORGED)))


def test_the_milters_headers_above_or_below_the_mtas_received_line_both_count() -> None:
    """OpenDKIM and OpenDMARC each insert at index 1, just below postfix's own Received
    line (OpenDMARC's, inserted last, on top); a milter inserting at 0 stands above it.
    Both of the block are read; a trace header another server adds above (Dovecot's
    Received on delivery) moves the block down, not out."""
    dmarc, dkim = _ar(f"{US}; dmarc=none header.from=staff.example"), _ar(FORGED)
    for head in (
        OURS_RECEIVED + dmarc + dkim + RELAY,
        dmarc + dkim + OURS_RECEIVED + RELAY,
        b"Received: from mx by imap.example (Dovecot) with LMTP\r\n" + OURS_RECEIVED + dmarc + dkim,
    ):
        assert _verified(_mail(head)), head
    msg = parse(_mail(OURS_RECEIVED + dmarc + dkim + RELAY))
    got = our_verdict(msg.headers["authentication-results"], US, msg.authres_received)
    assert got.results == {("dmarc", "none"), ("dkim", "pass")}


def test_headers_of_other_servers_above_do_not_start_the_block() -> None:
    other = _ar("mx.google.com; dkim=pass header.d=staff.example")
    head = other + RELAY + OURS_RECEIVED + _ar(f"{US}; spf=fail") + RELAY + _ar(FORGED)
    assert not _verified(_mail(head))


def test_parse_counts_the_received_lines_above_each_authentication_results() -> None:
    head = _ar("a; none") + RELAY + RELAY + _ar("b; none") + b"X-Other: 1\r\n" + _ar("c; none")
    assert parse(_mail(head + RELAY + _ar("d; none"))).authres_received == (0, 2, 2, 3)
    assert parse(_mail(b"")).authres_received == ()


_ENTRY = st.tuples(
    st.sampled_from(["dkim", "spf", "dmarc", "arc", "x"]),
    st.sampled_from(["pass", "fail", "none", "temperror"]),
    st.sampled_from(["staff.example", "evil.example", "example", '"x"@staff.example']),
)
_OURS = st.one_of(
    st.lists(_ENTRY, max_size=3).map(
        lambda es: "; ".join(
            [US, *(f"{m}={r} header.d={d} header.i=@{d} smtp.mailfrom={d}" for m, r, d in es)]
        )
    ),
    st.text(max_size=60).map(lambda t: f"{US}; {t}"),
)
_VALUE = st.one_of(_OURS, st.text(max_size=60))


@settings(max_examples=300, deadline=None)
@given(
    _OURS,
    st.lists(_VALUE, max_size=3),
    st.lists(_VALUE, max_size=4),
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=0, max_value=2),
)
def test_a_header_below_a_received_line_never_changes_the_verdict(
    topmost: str, block: list[str], lower: list[str], deeper: int, top: int
) -> None:
    """Whatever headers stand below the first Received line under the topmost of ours
    (ours or not, saying anything), the verdict is the block's alone."""
    ours = [topmost, *block]
    alone = our_verdict(ours, US, (top,) * len(ours))
    received = (top,) * len(ours) + (top + deeper,) * len(lower)
    assert our_verdict([*ours, *lower], US, received) == alone


@given(st.lists(_VALUE, min_size=1, max_size=3))
def test_two_milters_headers_in_the_block_both_count(extra: list[str]) -> None:
    dmarc, dkim = f"{US}; dmarc=pass header.from=staff.example", FORGED
    got = our_verdict([dmarc, dkim, *extra], US, (1,) * (2 + len(extra)))
    assert {("dmarc", "pass"), ("dkim", "pass")} <= got.results
    assert "staff.example" in got.domains


def test_at_most_max_ours_headers_of_the_block_are_read(monkeypatch) -> None:
    """A mail of 20,000 headers of ours (an MTA that does not strip) costs the first
    MAX_OURS of them: the MTA's own stand on top, one past them is a sender's."""
    calls = []
    real = authres._uncomment
    monkeypatch.setattr(authres, "_uncomment", lambda t: calls.append(t) or real(t))
    many = tuple(f"{US}; m{i}=pass header.d=d{i}.example" for i in range(20_000))
    got = our_verdict(many, US, (1,) * len(many))
    assert len(calls) == MAX_OURS
    assert {m for m, _ in got.results} == {f"m{i}" for i in range(MAX_OURS)}


def test_many_headers_cost_linear_time() -> None:
    """Each header's methods are added once (a new set per header made 20,000 headers of
    distinct methods cost 9 s); a generous bound on 20,000 read unbounded, and a whole
    mail of them parsed and verified."""
    n = 20_000
    headers = [f"{US}; m{i}=pass header.d=d{i}.example" for i in range(n)]
    started = time.process_time()
    assert len(authres._by_method(headers)) == n
    raw = _mail(b"".join(_ar(f"{US}; m{i}=pass") for i in range(n)))
    assert not _verified(raw)
    assert time.process_time() - started < 3.0


def test_an_encoded_word_authserv_id_is_no_header_of_ours() -> None:
    """RFC 8601 has no encoded words, and postfix's header_checks line never strips
    `=?utf-8?q?mx.support.example?=; ...` as ours: parse must hand authres the value as
    sent, not RFC 2047-decoded into our id, or the sender's own dkim=pass makes him staff."""
    forged = "=?utf-8?q?mx.support.example?=; dkim=pass header.d=staff.example"
    raw = _mail(OURS_RECEIVED + _ar(forged + "; spf=pass smtp.mailfrom=staff.example"))
    assert parse(raw).headers["authentication-results"][0].startswith("=?utf-8?q?")
    assert not _verified(raw)
    assert _verified(_mail(OURS_RECEIVED + _ar(FORGED)))  # the same, bare: ours
