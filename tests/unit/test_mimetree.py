"""domain/mimetree.py: the tree of a message is what the stdlib parser makes of it,
without a string per line of a body and without the parser's walk through the lines
of parts; the caps say what they cut.

One difference is meant: the message's own header block is read as the MTA reads it
(_as_the_mta_reads below is the rule, line by line). A field line with blank space
before its colon ("X-Foo : bar", RFC 5322's obsolete syntax) is a field to postfix, so a
milter appends its spam verdict below it, while the parser ends the block at it and
reads the verdict as the body's first line: spam got a ticket and a confirmation. So
the tree compared is the parser's of the message with such lines of its header block
written "X-Foo: bar"; everything else, a part's header block too (the MTA adds nothing
there), is what the parser makes of the message itself."""

from __future__ import annotations

import email
import time
import tracemalloc
from email.message import Message

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import mimetree
from maild.domain.mimeparts import RAW_POLICY
from maild.domain.mimetree import (
    MAX_HEAD_LINES,
    MAX_LINES,
    TAIL_LINES,
    as_the_mta_reads,
    read_tree,
)
from tests.examples import examples


def _as_the_mta_reads(raw: bytes) -> bytes:
    """The rule, a line at a time: the message's header block goes on while a line is
    a field to the parser (a name of printable ASCII but ":", may be empty, then ":";
    blank space first, a folded line; "From ") or to the MTA (postfix's is_header: a
    name that is not empty, blank space, ":"); such a line of the MTA's is written
    with that blank space after the colon (the parser takes it off the value). The
    first line that is neither (an empty one, the body's first) ends the block; it
    and all after it stay as they are."""
    lines = raw.splitlines(keepends=True)
    for n, line in enumerate(lines):
        name, colon, _ = line.partition(b":")
        named = all(33 <= c <= 126 for c in name)  # (no ":" in it)
        bare = name.rstrip(b" \t")
        mta = colon and bare and bare != name and all(33 <= c <= 126 for c in bare)
        if not mta and (line.startswith((b" ", b"\t", b"From ")) or (colon and named)):
            continue
        if colon and bare and all(33 <= c <= 126 for c in bare):
            lines[n] = bare + b":" + name[len(bare) :] + line[len(name) + 1 :]
            continue
        break
    return b"".join(lines)


def _parsed(raw: bytes) -> Message:
    """What read_tree's tree must be: the parser's, of the message as the MTA reads it."""
    return email.message_from_bytes(_as_the_mta_reads(raw), policy=RAW_POLICY)


BREAK = st.sampled_from(["\r\n", "\n", "\r"])
FIELD = st.builds(
    lambda name, colon, value, br: f"{name}{colon}{value}{br}",
    st.sampled_from(["From", "Subject", "X-A", "Content-Type", "Received", "From "]),
    st.sampled_from([": ", ": ", ":", " : ", "\t:", " \t :"]),
    st.sampled_from(
        [
            "ivan@shop.ru",
            "text/plain; charset=koi8-r",
            "text/html",
            "application/pdf",
            "x y",
            "multipart",
            "",
            "=?utf-8?b?0J8=?=",
        ]
    ),
    BREAK,
)
LINE = st.builds(
    lambda text, br: text + br,
    st.text(alphabet=st.sampled_from(list("ab: \t-Ы\x00\xff")), max_size=12),
    BREAK,
)


@settings(max_examples=examples(150), deadline=None)
@given(
    st.lists(FIELD | LINE.filter(lambda s: s[:1] in " \t"), max_size=6),
    st.lists(LINE, max_size=3),
    st.sampled_from(["\r\n", "\n", ""]),
    st.lists(LINE, max_size=8),
)
def test_a_body_without_parts_is_what_the_parser_makes_of_it(fields, stray, blank, body):
    raw = "".join([*fields, *stray, blank, *body]).encode("utf-8", "surrogateescape")
    assert as_the_mta_reads(raw) == _as_the_mta_reads(raw)
    expected = _parsed(raw)
    if expected.get_content_maintype() in ("multipart", "message"):
        return  # those the parser itself reads
    got, problem = read_tree(raw, RAW_POLICY)
    assert problem is None
    assert got.items() == expected.items()
    assert got.get_payload(decode=True) == expected.get_payload(decode=True)
    assert [type(d) for d in got.defects] == [type(d) for d in expected.defects]


@pytest.mark.parametrize("junk", [5, 500, 50_000])
def test_a_header_block_past_the_cap_is_read_from_its_start_and_its_end(junk: int) -> None:
    """A milter appends its spam verdict at the block's end: below a sender's own
    20,000 lines it was left out, and the spam got a ticket and a confirmation."""
    head = b"From: ivan@shop.ru\r\nSubject: s\r\n" + b"X-Junk: y\r\n" * MAX_HEAD_LINES
    head += b"X-Folded: a\r\n b\r\n" * junk + b"X-Spam-Flag: YES\r\nTo: late@x.ru\r\n"
    msg, problem = read_tree(head + b"\r\nbody\r\n", RAW_POLICY)
    assert (msg["from"], msg["subject"], msg["to"]) == ("ivan@shop.ru", "s", "late@x.ru")
    assert msg["x-spam-flag"] == "YES" and msg.defects == []
    assert msg.get_payload() == "body\r\n" and f"больше {MAX_HEAD_LINES} строк" in problem
    assert MAX_HEAD_LINES < len(msg.keys()) <= MAX_HEAD_LINES + TAIL_LINES
    assert all(v in ("y", "a\r\n b") for k, v in msg.items() if k.startswith("X-Junk"))
    assert all(v == "a\r\n b" for k, v in msg.items() if k == "X-Folded")


def test_the_tail_of_a_cut_block_starts_at_a_whole_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tail read below the cap starts at a field's first line: folded lines whose
    first line fell outside it are left out, however many (else they would fold onto
    the last field read from the start), and so is a line the byte window begins in
    the middle of (a line that is no field ends the block: the verdict below it, the
    To and the Message-ID went unread, and the spam got a ticket). The cap is lowered
    here as past 20,000 lines the rule is the same."""
    monkeypatch.setattr(mimetree, "MAX_HEAD_LINES", 5)
    monkeypatch.setattr(mimetree, "TAIL_LINES", 4)
    head = b"From: ivan@shop.ru\r\nSubject: s\r\n" + b"X-Junk: y\r\n" * 5
    late = b"X-Spam-Flag: YES\r\nTo: late@x.ru\r\n\r\nbody\r\n"
    folded = head + b"X-Folded: a\r\n b1\r\n b2\r\n b3\r\n" + late  # 4 lines: b2 b3 and late
    midline = head + b"X-Long: " + b"z" * 60 + b"\r\n" + late  # 40 bytes: "zzzzz" and late
    for raw, window in ((folded, 1024), (midline, 40)):
        monkeypatch.setattr(mimetree, "TAIL_BYTES", window)
        msg, problem = read_tree(raw, RAW_POLICY)
        assert (msg["x-spam-flag"], msg["to"]) == ("YES", "late@x.ru") and msg.defects == []
        assert set(msg.values()) == {"ivan@shop.ru", "s", "y", "YES", "late@x.ru"}
        assert msg.get_payload() == "body\r\n" and "прочитаны начало и конец" in problem


def test_parts_of_too_many_lines_are_kept_as_raw_text() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nhi\r\n'
        + b"x\r\n" * MAX_LINES
        + b"--b--\r\n"
    )
    msg, problem = read_tree(raw, RAW_POLICY)
    assert msg.get_content_type() == "text/plain" and "строк больше предела" in problem
    assert msg.get_payload().startswith("--b\r\n\r\nhi\r\n")
    small, problem = read_tree(raw.replace(b"x\r\n" * MAX_LINES, b"x\r\n"), RAW_POLICY)
    assert small.is_multipart() and problem is None


def test_lone_cr_line_ends_count_as_lines_of_parts() -> None:
    """The parser splits at a lone CR as at LF: parts of 4 million "x\\r" lines and one
    LF held 727 MB in maild ingest, counted as one line by the LF count alone."""
    raw = b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nhi\r\n'
    for lines in (
        b"x\r" * MAX_LINES + b"\r\n",
        b"x\r" * (MAX_LINES // 2) + b"x\n" * (MAX_LINES // 2 + 9),
    ):
        msg, problem = read_tree(raw + lines + b"--b--\r\n", RAW_POLICY)
        assert msg.get_content_type() == "text/plain" and "строк больше предела" in problem
    small, problem = read_tree(raw + b"x\r" * 10 + b"\r\n--b--\r\n", RAW_POLICY)
    assert small.is_multipart() and problem is None


def test_a_crlf_is_one_line_of_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """CR LF ends one line, as the parser splits it, not two: a mail of CRLF lines
    (every client's) under MAX_LINES has its parts read, its files among them, and is
    not cut to raw text at half the cap."""
    monkeypatch.setattr(mimetree, "MAX_LINES", 100)
    raw = b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nhi\r\n'
    msg, problem = read_tree(raw + b"x\r\n" * 80 + b"--b--\r\n", RAW_POLICY)
    assert msg.is_multipart() and problem is None
    msg, problem = read_tree(raw + b"x\r\n" * 120 + b"--b--\r\n", RAW_POLICY)
    assert not msg.is_multipart() and "строк больше предела" in problem


@pytest.mark.parametrize(
    "line, name, value",
    [
        (b"X-Foo : bar", "X-Foo", "bar"),
        (b"X-Foo\t: bar", "X-Foo", "bar"),
        (b"X-Foo \t : bar\r\n baz", "X-Foo", "bar\r\n baz"),
        (b"Subject2 :x", "Subject2", "x"),
    ],
)
@pytest.mark.parametrize("br", [b"\r\n", b"\n", b"\r"])
def test_a_field_with_blank_space_before_its_colon_does_not_end_the_block(
    line: bytes, name: str, value: str, br: bytes
) -> None:
    """postfix reads "X-Foo : bar" as a field (RFC 5322's obsolete syntax), so a milter
    appends its verdict below it; the block ended there as the parser ends it, and the
    verdict, Message-ID and all after were the body's first lines: spam got a ticket."""
    raw = br.join(
        [b"From: ivan@shop.ru", line.replace(b"\r\n", br), b"X-Spam-Flag: YES",
         b"Message-ID: <m@x>", b"", b"body : text", b""]
    )  # fmt: skip
    for first in (raw, raw[raw.index(br) + len(br) :]):  # (the block's first line too)
        msg, problem = read_tree(first, RAW_POLICY)
        got = (msg[name], msg["x-spam-flag"], msg["message-id"])
        assert got == (value.replace("\r\n", br.decode()), "YES", "<m@x>")
        assert msg.get_payload() == "body : text" + br.decode()
        assert problem is None and msg.defects == []
        assert len(as_the_mta_reads(first)) == len(first)


@pytest.mark.parametrize("line", [b"X Foo: bar", "Тема : x".encode(), b"X-Foo bar"])
def test_a_line_that_is_no_field_to_the_mta_either_still_ends_the_block(line: bytes) -> None:
    """(postfix too takes a name with blank space in it, or 8-bit bytes, for no field)"""
    raw = b"From: ivan@shop.ru\r\n" + line + b"\r\nX-Spam-Flag: YES\r\n\r\nbody\r\n"
    msg, _ = read_tree(raw, RAW_POLICY)
    assert msg.items() == [("From", "ivan@shop.ru")]
    assert msg.get_payload(decode=True).startswith(line)
    assert as_the_mta_reads(raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: hi\r\nFrom ivan@shop.ru wrote:\r\n\r\nbody\r\n",
        b"Subject: hi\r\nFrom ivan@shop.ru wrote:\r\nbody\r\n",
        b"Subject: hi\r\nFrom the desk of Ivan\r\n",
    ],
)
def test_a_last_header_line_from_is_the_first_line_of_the_text(raw: bytes) -> None:
    """The parser takes a "From " line that ends the header block for the body's first
    line (a script's mail with no blank line): it was lost from the text."""
    got, _ = read_tree(raw, RAW_POLICY)
    assert got.get_payload() == _parsed(raw).get_payload()
    assert got.get_payload().startswith("From ")


def test_an_envelope_line_from_stays_as_the_parser_keeps_it() -> None:
    """An envelope line ("From ivan@shop.ru Mon ...": no colon after the blank) is the
    parser's; "From : x" is the From field to the MTA, which the parser had skipped as
    an envelope line, and maild saw no sender."""
    raw = b"From ivan@shop.ru Mon Dec  5 12:34:56 2026\r\nX-A : 1\r\nX-B\t: 2\r\n\r\nbody\r\n"
    msg, _ = read_tree(raw, RAW_POLICY)
    assert msg.get_unixfrom() == "From ivan@shop.ru Mon Dec  5 12:34:56 2026"
    assert msg.items() == [("X-A", "1"), ("X-B", "2")]
    assert msg.get_payload() == "body\r\n"
    for raw in (
        b"From : ivan@shop.ru\r\nX-A: 1\r\n\r\nbody\r\n",
        b"X-A: 1\r\nFrom\t: ivan@shop.ru\r\n\r\nbody\r\n",
    ):
        msg, _ = read_tree(raw, RAW_POLICY)
        assert msg["From"] == "ivan@shop.ru" and msg.get_unixfrom() is None, raw


def test_fields_with_blank_space_past_the_cap_are_read_in_bounded_memory() -> None:
    """Only the lines read are written again: a block of 300,000 such lines written
    whole held 76 MB, one re.sub match each."""
    head = b"From: ivan@shop.ru\r\n" + b"X-Junk : y\r\n" * 300_000
    raw = head + b"Subject\t: late\r\nX-Spam-Flag: YES\r\n\r\nbody\r\n"
    tracemalloc.start()
    try:
        msg, problem = read_tree(raw, RAW_POLICY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (msg["from"], msg["subject"], msg["x-spam-flag"]) == ("ivan@shop.ru", "late", "YES")
    assert msg.get_payload() == "body\r\n" and msg.defects == []
    assert f"больше {MAX_HEAD_LINES} строк" in problem
    assert MAX_HEAD_LINES < len(msg.keys()) <= MAX_HEAD_LINES + TAIL_LINES
    assert set(msg.values()) == {"ivan@shop.ru", "y", "late", "YES"}
    assert peak < 16 << 20, peak  # (8 MB: the message mended, 20,200 fields)


def test_the_block_is_found_in_time_linear_in_its_size() -> None:
    """Its end is one match from its start; a block with no blank space before a colon
    is not written again at all."""
    for pad in (b"X-Junk: y\r\n", b"X-Junk : y\r\n"):
        took = []
        for n in (100_000, 400_000):
            raw = b"From: a@b\r\n" + pad * n + b"X-Spam-Flag: YES\r\n\r\nbody\r\n"
            start = time.process_time()
            msg, _ = read_tree(raw, RAW_POLICY)
            took.append(time.process_time() - start)
            assert msg["x-spam-flag"] == "YES"
        assert took[1] < 4 * took[0] + 0.5, took  # (4 times the lines: not 16 times the time)


def test_past_the_cap_the_body_starts_where_the_parser_starts_it() -> None:
    """An empty line or the first line that is no field ends the block, however far."""
    fields = b"From: ivan@shop.ru\r\n" + b"X-Junk: y\r\n" * (MAX_HEAD_LINES + 5)
    for tail, body in (
        (b"\r\nbody\r\n", "body\r\n"),
        (b"body text\r\nmore\r\n", "body text\r\nmore\r\n"),
        (b"X-Last: z", ""),
    ):
        msg, problem = read_tree(fields + tail, RAW_POLICY)
        assert msg.get_payload() == body and problem is not None
        assert msg["from"] == "ivan@shop.ru"


def _shape(msg: Message) -> tuple:
    """Everything of a parsed tree the parser sets, to compare two trees."""
    payload = msg.get_payload()
    return (
        msg.get_unixfrom(),
        msg.items(),
        msg.preamble,
        msg.epilogue,
        msg.get_default_type(),
        [(type(d), d.args) for d in msg.defects],
        [_shape(p) for p in payload] if isinstance(payload, list) else payload,
    )


CTYPE, CTE = "Content-Type: ", "Content-Transfer-Encoding: "
ODDITIES = ["lines", "message", "reuse", "digest", "cte", "empty", "double", "unended", "unclosed"]


def _lines(draw: st.DrawFn, boundaries: list[str], odd: str) -> str:
    """Lines of text; when ``odd`` is "lines", some shaped like a delimiter."""
    out = []
    for _ in range(draw(st.integers(0, 3))):
        if odd == "lines" and boundaries and draw(st.integers(0, 3)) == 0:
            tail = draw(st.sampled_from(["", "--", " ", "\t--", "-- ", "x", "--x"]))
            out.append("--" + draw(st.sampled_from(boundaries)) + tail)
        else:
            out.append(draw(st.text(alphabet=st.sampled_from(list("ab: -Ы\xff")), max_size=8)))
        out.append(draw(BREAK))
    return "".join(out)


def _maybe(draw: st.DrawFn, odd: str, name: str, plain: str, *others: str) -> str:
    """``plain``, or when ``odd`` is ``name``, one of ``others`` as often."""
    return draw(st.sampled_from([plain, *others])) if odd == name else plain


@st.composite
def _entity(
    draw: st.DrawFn, boundaries: tuple[str, ...] = (), depth: int = 0, odd: str | None = None
) -> str:
    """A MIME entity of random shape: a leaf, a multipart (nested, with delimiters
    followed by blanks or not, preamble and epilogue or not), any line breaks. Half
    have one oddity (ODDITIES) that the parser must be left to read, or not: lines
    shaped like delimiters, message/* parts, a boundary of an enclosing multipart used
    again, digests, a multipart in base64, no parts, doubled delimiters, a delimiter
    not at the start of a line, no close delimiter."""
    odd = draw(st.sampled_from(["", *ODDITIES])) if odd is None else odd
    kinds = ["leaf", "multipart"] + (["message"] if odd == "message" else [])
    kind = draw(st.sampled_from(kinds if depth < 3 else ["leaf"]))
    head = draw(st.sampled_from(["", "X-A: 1{br}", "From x{br}X-A: 1{br}", " folded{br}"]))
    br = draw(BREAK)
    if kind == "leaf":
        ctype = draw(st.sampled_from(["", "Content-Type: text/plain{br}", CTYPE + "image/png{br}"]))
        sep = draw(st.sampled_from(["{br}", "", "{br}{br}"]))
        return (head + ctype + sep).format(br=br) + _lines(draw, list(boundaries), odd)
    if kind == "message":
        sub = draw(st.sampled_from(["rfc822", "delivery-status"]))
        return f"Content-Type: message/{sub}{br}{br}" + draw(_entity(boundaries, depth + 1, odd))
    names = ["b", "b-1", "=_x", "a b", "b'", "b1"]
    boundary = draw(st.sampled_from([b for b in names if odd == "reuse" or b not in boundaries]))
    sub = draw(st.sampled_from(["mixed", "alternative", "related"]))
    sub = _maybe(draw, odd, "digest", sub, "digest")
    cte = _maybe(draw, odd, "cte", "", CTE + "7bit{br}", CTE + "base64{br}")
    quoted = draw(st.sampled_from(['"{b}"', "{b}", '"{b}" ']))
    out = head + f"Content-Type: multipart/{sub}; boundary={quoted}{{br}}" + cte + "{br}"
    inner = (boundary, *boundaries)
    out = out.format(b=boundary, br=br) + _lines(draw, list(inner), odd)
    ended = True  # (a delimiter starts a line)
    for _ in range(draw(st.integers(0 if odd == "empty" else 1, 3))):
        tail = draw(st.sampled_from(["", "", " ", "\t "]))
        times = _maybe(draw, odd, "double", "1", "2")  # doubled: no part between
        out += (draw(BREAK) if ended else "") + f"--{boundary}{tail}{draw(BREAK)}" * int(times)
        out += draw(_entity(inner, depth + 1, odd))
        ended = _maybe(draw, odd, "unended", "yes", "no") == "yes"
    if _maybe(draw, odd, "unclosed", "close", "none") == "close":
        out += f"{draw(BREAK) if ended else ''}--{boundary}--{draw(st.sampled_from(['', ' ']))}"
        epilogue = draw(st.sampled_from(["", "{br}", "{br}epilogue{br}", "{br}{br}"]))
        if not epilogue:
            return out
        out += epilogue.format(br=draw(BREAK))
    return out + _lines(draw, list(boundaries), odd)


@settings(max_examples=examples(400), deadline=None)
@given(_entity())
def test_a_message_of_parts_is_what_the_parser_makes_of_it(text: str) -> None:
    raw = text.encode("utf-8", "surrogateescape")
    got, problem = read_tree(raw, RAW_POLICY)
    assert problem is None
    assert _shape(got) == _shape(_parsed(raw))


def test_a_delimiter_line_ends_in_spaces_and_tabs_alone() -> None:
    """The parser's delimiter line is the boundary, an optional "--", then spaces and
    tabs (email.feedparser): after a form feed or a vertical tab the line is the part's
    text, and the tree is split where the parser splits it, not one part more."""
    for blank in ("\x0c", "\x0b", " \x0c", "--\x0c"):
        raw = (
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nhi\r\n'
            f"--b{blank}\r\n\r\nthere\r\n--b--\r\n"
        ).encode()
        got, problem = read_tree(raw, RAW_POLICY)
        assert problem is None and _shape(got) == _shape(_parsed(raw))


def test_the_bench_mix_is_read_as_the_parser_reads_it() -> None:
    """Real-looking mail (bench/mails.py): multipart/alternative and mixed, PNG files."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from mails import make_mails

    for _, _, raw in make_mails(60, run="tree"):
        got, _ = read_tree(raw, RAW_POLICY)
        assert _shape(got) == _shape(email.message_from_bytes(raw, policy=RAW_POLICY))
