"""domain/mimetree.py: the tree of a message whose body holds no parts is what the
stdlib parser makes of it, without a string per line; the caps say what they cut."""

from __future__ import annotations

import email

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.mimeparts import RAW_POLICY
from maild.domain.mimetree import MAX_HEAD_LINES, MAX_LINES, read_tree
from tests.examples import examples

BREAK = st.sampled_from(["\r\n", "\n", "\r"])
FIELD = st.builds(
    lambda name, value, br: f"{name}: {value}{br}",
    st.sampled_from(["From", "Subject", "X-A", "Content-Type", "Received", "From "]),
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
    expected = email.message_from_bytes(raw, policy=RAW_POLICY)
    if expected.get_content_maintype() in ("multipart", "message"):
        return  # those the parser itself reads
    got, problem = read_tree(raw, RAW_POLICY)
    assert problem is None
    assert got.items() == expected.items()
    assert got.get_payload(decode=True) == expected.get_payload(decode=True)
    assert [type(d) for d in got.defects] == [type(d) for d in expected.defects]


def test_a_header_block_past_the_cap_is_read_from_its_start() -> None:
    head = b"From: ivan@shop.ru\r\nSubject: s\r\n" + b"X-Junk: y\r\n" * MAX_HEAD_LINES
    msg, problem = read_tree(head + b"To: late@x.ru\r\n\r\nbody\r\n", RAW_POLICY)
    assert (msg["from"], msg["subject"], msg["to"]) == ("ivan@shop.ru", "s", None)
    assert msg.get_payload() == "body\r\n" and f"больше {MAX_HEAD_LINES} строк" in problem
    assert len(msg.keys()) == MAX_HEAD_LINES


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
