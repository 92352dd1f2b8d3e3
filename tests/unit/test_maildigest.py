"""domain/maildigest.py: what tells a redelivery of a mail from a different mail with
the same Message-ID."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from maild.domain import maildigest
from maild.domain.logid import logged_id
from maild.domain.maildigest import as_sent, content_digest, former_digest, reused_id

MAIL = (
    b"From: Ivan <ivan@shop-a.example>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: =?utf-8?b?0J7RiNC40LHQutCwIDUwMA==?=\r\n"
    b"Date: Wed, 25 Nov 2026 10:15:00 +0300\r\n"
    b"Message-ID: <1@localhost.localdomain>\r\n"
    b"\r\n"
    b"First customer: error 500\r\n"
)


@pytest.mark.parametrize(
    "copy",
    [
        b"Received: from a by b; Thu, 26 Nov 2026 10:00:00 +0300\r\n" + MAIL,
        b"Return-Path: <x@y>\r\nDelivered-To: support+x@example.com\r\n" + MAIL,
        b"Authentication-Results: mx; spf=pass\r\nX-Original-To: support@example.com\r\n" + MAIL,
        MAIL.replace(b"\r\n", b"\n"),  # a pipe's line endings
        MAIL + b"\r\n",  # one more blank line at the end
        MAIL.replace(b"Subject: ", b"Subject:\r\n  "),  # folded elsewhere
        MAIL.replace(b"To: support@example.com", b"To: support+x@example.com"),
    ],
)
def test_the_same_mail_as_another_delivery_hands_it_over_has_the_same_digest(copy):
    assert content_digest(copy) == content_digest(MAIL)


@pytest.mark.parametrize(
    "other",
    [
        MAIL.replace(b"ivan@shop-a.example", b"olga@other-b.example"),
        MAIL.replace(b"0J7RiNC40LHQutCwIDUwMA==", b"0J7RiNC40LHQutCwIDUwMQ=="),
        MAIL.replace(b"10:15:00", b"10:16:00"),
        MAIL.replace(b"error 500", b"error 501"),
        MAIL.replace(b"Date: Wed, 25 Nov 2026 10:15:00 +0300\r\n", b""),
    ],
)
def test_what_the_sender_wrote_tells_mails_apart(other):
    assert content_digest(other) != content_digest(MAIL)


def test_a_body_after_the_header_block_only_counts_as_body():
    assert content_digest(b"\r\nno headers") != content_digest(b"\r\nother text")
    assert content_digest(b"From: a@b\r\n") == content_digest(b"From: a@b")
    assert content_digest(b"") == content_digest(b"\r\n")


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_text_that_ends_the_header_block_without_a_blank_line_is_body(eol):
    """A script's mail with no blank line after its fields: the first line that is no
    field ends the block, as the MTA and the parser read it, and is the body the
    ticket shows; two such alerts with other text are two mails."""
    host1 = eol.join([b"From: monitor@host.example", b"Subject: alert", b"Disk full on host1", b""])
    host2 = host1.replace(b"host1", b"host2")
    assert content_digest(host1) != content_digest(host2)
    blank = host1.replace(b"alert" + eol, b"alert" + eol + eol)
    assert content_digest(host1) == content_digest(blank)  # read alike, with or without


def test_the_own_id_is_stable_and_gives_the_message_id_back():
    digest = content_digest(MAIL)
    own = reused_id("<1@localhost.localdomain>", digest)
    assert own == reused_id("<1@localhost.localdomain>", content_digest(MAIL))
    assert own != reused_id("<1@localhost.localdomain>", content_digest(MAIL + b"x"))
    assert own.startswith("<reused-") and own.endswith("@localhost.localdomain>")
    assert as_sent(own) == "<1@localhost.localdomain>"
    assert logged_id(own) == "<1@localhost.localdomain>"  # what the admin greps for
    assert as_sent("<reused-x.1@localhost>") == "<reused-x.1@localhost>"  # not one of ours


def test_the_digest_of_a_mail_is_the_one_earlier_mailds_made():
    """The digest is kept: mail with no Message-ID is filed under an id made of it, a
    reused Message-ID's mail under reused_id. A redelivery after an upgrade (an MTA
    retry, an IMAP re-fetch) is found as the duplicate it is only while the digest of
    the same bytes stays what it was: each field named and set apart, the body after."""
    assert content_digest(MAIL) == "2a5508403aa34a73607e04a215cdb5d5"
    odd = b"From: a@b.example\nSubject: x\nno field\n\ntext\n"
    assert former_digest(odd) == "79fb4ea25daa91d1234e60f5911966c2"


def test_the_former_digest_is_there_only_where_it_differs():
    """Mail whose header block ends at its first empty line, as ever, has one digest;
    mail with a line that is no field above it had another, by which older mailds
    filed it (reusedid, fsck find it so)."""
    assert former_digest(MAIL) is None and former_digest(MAIL.replace(b"\r\n", b"\n")) is None
    odd = b"From: a@b.example\nSubject: x\nno field\n\ntext\n"
    assert former_digest(odd) not in (None, content_digest(odd))
    assert former_digest(odd) == content_digest(b"From: a@b.example\nSubject: x\n\ntext\n")


@given(st.binary(max_size=60) | st.lists(st.sampled_from(b" \t\n\x0b\x0c\r\x1cab")).map(bytes))
@example(b"  a \t\r\n  b" + b" " * 1000 + b"\x1c c\x85\xa0 ")
def test_a_field_is_digested_with_its_blanks_collapsed_as_split_and_join_would(
    value: bytes,
) -> None:
    """A field's runs of blank space are made one space, without a bytes object per
    word (a 20 MB Subject held 80 MB more so): the digest of every mail already
    spooled stays what it was."""
    assert maildigest._one_spaced(value) == b" ".join(value.split())
