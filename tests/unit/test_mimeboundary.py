"""feedparser with maild's boundary patterns parses every message as with re's."""

from __future__ import annotations

import email
import email.feedparser
import re
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from maild.domain import mimeboundary
from tests.unit.test_message import _serialize, _set_envelope, mime_tree


@contextmanager
def plain_re() -> Iterator[None]:
    mimeboundary.uninstall()
    try:
        yield
    finally:
        mimeboundary.install()


def shape(msg: email.message.Message) -> tuple:
    """Everything the parser decided about a message, recursively."""
    payload = msg.get_payload()
    inner = [shape(p) for p in payload] if isinstance(payload, list) else payload
    return (
        msg.items(),
        msg.preamble,
        msg.epilogue,
        [type(d).__name__ for d in msg.defects],
        inner,
    )


def both_ways(raw: bytes) -> tuple[tuple, tuple]:
    with plain_re():
        expected = shape(email.message_from_bytes(raw))
    return expected, shape(email.message_from_bytes(raw))


BOUNDARY_CHARS = st.sampled_from(list("ab=_-.+?*()[]{}|^$\\/ '\"") + ["--", "ж"])
BOUNDARY = st.lists(BOUNDARY_CHARS, min_size=1, max_size=12).map("".join)
EOL = st.sampled_from(["\r\n", "\n", "\r", ""])


@st.composite
def multipart(draw) -> bytes:
    """A multipart with lines that are, or almost are, its boundary lines: prefixes
    of it, longer boundaries, the end marker, blanks after it, any line ending."""
    b = draw(BOUNDARY)
    if b.strip() != b or '"' in b or "\\" in b:
        b = b.strip().replace('"', "").replace("\\", "") or "x"
    lines = [f'Content-Type: multipart/mixed; boundary="{b}"', ""]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["sep", "end", "longer", "prefix", "text", "header"]))
        tail = draw(st.sampled_from(["", " ", "\t ", "--", "-- ", "x", "--x"]))
        line = {
            "sep": f"--{b}",
            "end": f"--{b}--",
            "longer": f"--{b}{draw(BOUNDARY)}",
            "prefix": f"--{b[:-1]}",
            "text": draw(st.text(alphabet="ab -=\t", max_size=8)),
            "header": "Content-Type: text/plain",
        }[kind]
        lines.append(line + tail)
    return "".join(line + draw(EOL) for line in lines).encode("utf-8")


PROPERTY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(raw=multipart())
@example(raw=b'Content-Type: multipart/mixed; boundary="a.b"\r\n\r\n--axb\r\n--a.b\r\nx\r\n')
@example(raw=b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\n')  # ends at "--a"
def test_boundary_lines_are_found_as_re_finds_them(raw: bytes) -> None:
    expected, got = both_ways(raw)
    assert got == expected


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_generated_mime_trees_parse_the_same(data) -> None:
    tree, _leaves, _ = data.draw(mime_tree())
    _set_envelope(data.draw, tree)
    expected, got = both_ways(_serialize(tree))
    assert got == expected


def test_feedparser_gets_a_boundary_pattern_and_re_for_the_rest() -> None:
    sep = "--=_x.y*"
    pattern = "(?P<sep>" + re.escape(sep) + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    compiled = email.feedparser.re.compile(pattern)
    assert isinstance(compiled, mimeboundary.BoundaryPattern)
    assert compiled.separator == sep
    assert compiled.match("--=_x.y*-- \r\n").group("end") == "--"
    assert compiled.match("--=_x.yy") is None
    assert compiled.match("--=_x.y*z") is None
    assert isinstance(email.feedparser.re.compile("a+"), re.Pattern)
    assert isinstance(email.feedparser.re.compile(pattern, re.I), re.Pattern)
    assert email.feedparser.re.escape is re.escape


def feed_in_chunks(raw: bytes, sizes: list[int]) -> email.message.Message:
    """feedparser fed piece by piece: its lines arrive in parts, with NeedMoreData."""
    parser = email.feedparser.BytesFeedParser()
    at = 0
    for size in sizes:
        parser.feed(raw[at : at + size])
        at += size
    parser.feed(raw[at:])
    return parser.close()


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_mime_fed_in_pieces_parses_as_the_stdlib_parses_it_whole(data) -> None:
    tree, _leaves, _ = data.draw(mime_tree())
    _set_envelope(data.draw, tree)
    raw = _serialize(tree)
    sizes = data.draw(st.lists(st.integers(1, 40), max_size=60))
    with plain_re():
        expected = shape(email.message_from_bytes(raw))
    assert shape(feed_in_chunks(raw, sizes)) == expected


@PROPERTY
@given(raw=multipart(), sizes=st.lists(st.integers(1, 7), max_size=40))
def test_boundary_lines_fed_in_pieces_are_found_as_re_finds_them(
    raw: bytes, sizes: list[int]
) -> None:
    with plain_re():
        expected = shape(email.message_from_bytes(raw))
    assert shape(feed_in_chunks(raw, sizes)) == expected


DELIVERY_STATUS = (
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n'
    b"\r\n"
    b"--r\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"-- not a boundary, a dash line\r\n"
    b"--r\r\n"
    b"Content-Type: message/delivery-status\r\n"
    b"\r\n"
    b"Reporting-MTA: dns; mx.example\r\n"
    b"\r\n"
    b"Final-Recipient: rfc822; a@example.com\r\n"
    b"-Action: failed\r\n"
    b"--r--\r\n"
)


def test_a_delivery_status_part_ends_its_blocks_at_blank_lines_as_before() -> None:
    """feedparser asks about blank lines there (not a boundary's test): every line
    is then put to the tests, not only those starting with a dash."""
    expected, got = both_ways(DELIVERY_STATUS)
    assert got == expected
    blocks = email.message_from_bytes(DELIVERY_STATUS).get_payload()[1].get_payload()
    assert [b["Reporting-MTA"] for b in blocks[:1]] == ["dns; mx.example"]
    assert blocks[1]["Final-Recipient"] == "rfc822; a@example.com"


def test_feedparser_reads_lines_through_linefeed() -> None:
    assert email.feedparser.BufferedSubFile is mimeboundary.LineFeed
    with plain_re():
        assert email.feedparser.BufferedSubFile is not mimeboundary.LineFeed
