"""Inline PGP read out of a plain text (domain.inlinepgp), and where read_body applies it:
real `gpg --clearsign` and `gpg --armor --encrypt` output (tests/data/pgp), hand-made
blocks the RFC allows, blocks that do not end as it says, hostile runs of BEGIN lines."""

from __future__ import annotations

import email
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.attachments import AttachmentPolicy, decide
from maild.domain.inlinepgp import ENCRYPTED_NAME, Inline, read_inline
from maild.domain.mimeparts import RAW_POLICY, read_body

PGP = Path(__file__).parent.parent / "data" / "pgp"
SIGNED = (PGP / "customer-clearsigned.asc").read_text()
STAFF_SIGNED = (PGP / "staff-clearsigned.asc").read_text()
ENCRYPTED = (PGP / "customer-encrypted.asc").read_text()
# what the customer typed before gpg signed it (tests/data/pgp/make.sh)
TYPED = (
    "Добрый день!\n\nПосле обновления до 7.0 заказ не оформляется, ошибка 500. Лог:\n"
    "--- begin ---\nException at line 12\n--- end ---\n"
    "From 7.0.1 on the module may work, but we are on 7.0.\n\n-- \nИван Петров\n"
)
STAFF_TYPED = (
    "Иван, добрый день.\n\nОбновите, пожалуйста, модуль оплаты до 7.0.1:\n"
    "- скачайте архив из личного кабинета;\n- распакуйте его в /bitrix/modules.\n#close\n\n"
    "-- \nАнна\n"
)

BEGIN_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"
END_SIGNATURE = "-----END PGP SIGNATURE-----"
BEGIN_MESSAGE = "-----BEGIN PGP MESSAGE-----"
END_MESSAGE = "-----END PGP MESSAGE-----"
SIGNATURE = f"{BEGIN_SIGNATURE}\n\niHUEARYIAB0WIQTBAYj3Lw2Uw7Q0uVgk\n=Kq3b\n{END_SIGNATURE}\n"


def test_gpg_clearsigned_text_is_read_as_typed():
    """gpg escaped «--- begin ---», «-- » and «From 7.0.1» with «- »; the armour, its
    Hash: line and the signature are gone."""
    assert read_inline(SIGNED) == Inline(TYPED)
    assert read_inline(STAFF_SIGNED) == Inline(STAFF_TYPED)


def test_gpg_encrypted_block_is_cut_out_whole():
    assert read_inline(ENCRYPTED) == Inline("", (ENCRYPTED,))


def test_text_around_blocks_is_kept_and_crlf_too():
    before = "Пересылаю подписанное письмо:\r\n\r\n"
    after = "\r\n_____\r\nПроверено антивирусом\r\n"
    crlf = SIGNED.replace("\n", "\r\n")
    assert read_inline(before + crlf + after).text == before + TYPED.replace("\n", "\r\n") + after
    inline = read_inline("Привет\n" + ENCRYPTED + "Отправлено с телефона")
    assert inline == Inline("Привет\nОтправлено с телефона", (ENCRYPTED,))
    both = read_inline(SIGNED + "\n" + ENCRYPTED + SIGNED)
    assert both == Inline(TYPED + "\n" + TYPED, (ENCRYPTED,))


def test_armour_lines_with_trailing_spaces_and_no_hash_header():
    text = f"{BEGIN_SIGNED}  \n\n- -- \nтекст\n{BEGIN_SIGNATURE} \n=abcd\n{END_SIGNATURE}\t\n"
    assert read_inline(text).text == "-- \nтекст\n"


def test_not_dash_escaped_text_is_kept_as_written():
    """GnuPG's --not-dash-escaped (for patches) says so in a header: «- » stays."""
    text = f"{BEGIN_SIGNED}\nNotDashEscaped: You need GnuPG\n\n- a\n--- b\n{SIGNATURE}"
    assert read_inline(text).text == "- a\n--- b\n"
    assert read_inline(text.replace("NotDash", "notdash")).text == "- a\n--- b\n"


def test_armour_headers_above_the_radix_64_are_part_of_the_block():
    """Older GnuPG, Enigmail and others write «Version:» and «Comment:» lines under
    the BEGIN line (RFC 4880 §6.2): the block is cut out whole all the same, so the
    customer is asked for the letter unencrypted, not left with its armour as text."""
    headed = ENCRYPTED.replace(
        f"{BEGIN_MESSAGE}\n", f"{BEGIN_MESSAGE}\nVersion: GnuPG v2\nComment: https://gnupg.org\n"
    )
    assert read_inline("Текст:\n" + headed) == Inline("Текст:\n", (headed,))


def test_a_key_pasted_unescaped_in_a_signed_text_is_read_as_its_text():
    """An armour line that opens no block (a public key pasted in) does not end the
    clear-signed text: the signed text is read, the key in it as written."""
    key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n"
    text = f"{BEGIN_SIGNED}\nHash: SHA256\n\nМой ключ:\n{key}{SIGNATURE}"
    assert read_inline(text) == Inline(f"Мой ключ:\n{key}")


@pytest.mark.parametrize(
    "text",
    [
        f"{BEGIN_SIGNED}\nHash: SHA256\n\nтекст без подписи\n",  # no signature
        f"{BEGIN_SIGNED}\nHash: SHA256\n\nтекст\n{BEGIN_SIGNATURE}\n\nabc\n",  # no end
        f"{BEGIN_SIGNED}\nне заголовок\n\nтекст\n{SIGNATURE}",  # not a header line
        f"{BEGIN_SIGNED}\nHash: SHA256\n\nтекст\n{BEGIN_SIGNATURE}\nслова\n{END_SIGNATURE}\n",
        f"{BEGIN_MESSAGE}\n\nhQEMA\nэто уже не броня\n{END_MESSAGE}\n",
        f"{BEGIN_MESSAGE}\n\nhQEMA\n=abcd\n{END_SIGNATURE}\n",  # the wrong end
        f"> {BEGIN_MESSAGE}\n> \n> hQEMA\n> {END_MESSAGE}\n",  # quoted
        f"Пришло вот что: {BEGIN_MESSAGE}\n\nhQEMA\n{END_MESSAGE}\n",  # not at a line's start
        f"{BEGIN_MESSAGE}, PART 1/2\n\nhQEMA\n{END_MESSAGE}, PART 1/2\n",  # split armour
        f"Вот что пришло:\n{END_MESSAGE}\n{END_SIGNATURE}\n",
    ],
)
def test_a_block_that_does_not_end_as_the_rfc_says_stays_text(text):
    assert read_inline(text) == Inline(text)


def test_a_block_broken_off_by_the_next_begin_leaves_that_one_to_be_read():
    """A BEGIN inside a block's text ends it as no block; the next is read whole."""
    text = f"{BEGIN_SIGNED}\nHash: SHA256\n\nначало\n" + SIGNED
    assert read_inline(text).text == f"{BEGIN_SIGNED}\nHash: SHA256\n\nначало\n" + TYPED
    text = f"{BEGIN_MESSAGE}\n\nhQEMA\n" + ENCRYPTED
    assert read_inline(text) == Inline(f"{BEGIN_MESSAGE}\n\nhQEMA\n", (ENCRYPTED,))
    # an encrypted block standing unescaped in a signed text is cut out all the same
    opened = f"{BEGIN_SIGNED}\nHash: SHA256\n\nначало\n"
    text = opened + ENCRYPTED + SIGNATURE
    assert read_inline(text) == Inline(opened + SIGNATURE, (ENCRYPTED,))


ARMOUR_LINES = [
    BEGIN_SIGNED, BEGIN_SIGNATURE, BEGIN_MESSAGE, "Hash: SHA256", "NotDashEscaped: x",
    "", "- -- ", "- текст", "-", "--- b", "iHUEARYIAB0WIQTBAYj3Lw2Uw7Q0uVgk", "=Kq3b",
    BEGIN_SIGNED + " ", "Version: GnuPG v2", "текст",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(ARMOUR_LINES), st.text()), max_size=30),
    st.sampled_from(["\n", "\r\n"]),
)
def test_a_text_with_no_complete_block_comes_back_unchanged(lines, newline):
    """No END line, so no block is complete, however the BEGIN lines fall."""
    text = newline.join(lines)
    if "-----END PGP" in text:
        return
    assert read_inline(text) == Inline(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_reads_without_error(text):
    inline = read_inline(text)
    if "-----END PGP" not in text:
        assert inline == Inline(text)
    assert all(block in text for block in inline.encrypted)


_LINE = st.text(st.characters(blacklist_characters="\n\r"), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(_LINE, st.sampled_from(ARMOUR_LINES)), max_size=15),
    st.lists(_LINE.filter(lambda s: "-----" not in s), max_size=3),
    st.lists(_LINE.filter(lambda s: "-----" not in s), max_size=3),
)
def test_any_text_signed_as_gpg_signs_it_is_read_back(typed, before, after):
    """Dash-escaped (RFC 4880 §7.1: every line starting with «-», and «From »), armoured,
    between any other lines: read back as typed, the lines around it as they were."""
    escaped = [f"- {t}" if t.startswith(("-", "From ")) else t for t in typed]
    head = "".join(f"{b}\n" for b in before)
    tail = "".join(f"{a}\n" for a in after)
    block = f"{BEGIN_SIGNED}\nHash: SHA512\n\n" + "".join(f"{e}\n" for e in escaped) + SIGNATURE
    assert read_inline(head + block + tail).text == head + "".join(f"{t}\n" for t in typed) + tail


@pytest.mark.parametrize(
    "unit",
    [
        f"{BEGIN_SIGNED}\n",
        f"{BEGIN_MESSAGE}\n",
        f"{BEGIN_SIGNED}\nHash: SHA256\n\nx\n",
        f"{BEGIN_SIGNED}\n\nx\n{BEGIN_SIGNATURE}\nabc\n",
        f"{BEGIN_MESSAGE}\n\nhQEMA\n",
        f"{BEGIN_SIGNED}\n\n- x\n" + "- y\n" * 50,
    ],
)
def test_thousands_of_begin_lines_cost_linear_time(unit):
    """Each block breaks off at the next BEGIN: looked at once more, never rescanned
    to its end (a rescan from each BEGIN would cost 20,000 times the text)."""
    text = unit * 20_000
    started = time.process_time()
    inline = read_inline(text)
    assert time.process_time() - started < 2  # (0.1 s here)
    assert inline == Inline(text)


def _mail(body: str, headers: str = "") -> email.message.Message:
    raw = (
        (
            "From: Ivan <ivan@shop-example.ru>\r\nTo: support@example.com\r\nSubject: x\r\n"
            "MIME-Version: 1.0\r\n" + (headers or "Content-Type: text/plain; charset=utf-8\r\n")
        ).encode()
        + b"\r\n"
        + body.replace("\n", "\r\n").encode()
    )
    return email.message_from_bytes(raw, policy=RAW_POLICY)


def test_read_body_reads_a_clearsigned_text_and_keeps_an_encrypted_one_as_a_file():
    assert read_body(_mail(SIGNED)).text == TYPED.replace("\n", "\r\n")
    body = read_body(_mail("Письмо зашифровано:\n" + ENCRYPTED))
    assert body.text.strip() == "Письмо зашифровано:"
    [file] = body.attachments
    assert (file.filename, file.data) == (ENCRYPTED_NAME, ENCRYPTED.replace("\n", "\r\n").encode())
    decision = decide(file.filename, file.content_type, file.data, AttachmentPolicy())
    assert (decision.accepted, decision.kind) == (False, "encrypted")


def test_read_body_unflows_a_flowed_text_after_its_armour():
    """RFC 3676 §4.6: a client flows the text, then signs it; so read back."""
    flowed = f"{BEGIN_SIGNED}\nHash: SHA256\n\nодна длинная \nстрока\n- -- \nИван\n{SIGNATURE}"
    headers = "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
    assert read_body(_mail(flowed, headers)).text == "одна длинная строка\n-- \nИван\n"


def test_a_file_holding_armour_is_not_read_as_inline_pgp():
    """A key or signature attached as a .asc file stays a file, as it came."""
    attached = (
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n\r\nКлюч во вложении.\r\n--b\r\n"
        'Content-Type: text/plain; name="key.asc"\r\n'
        'Content-Disposition: attachment; filename="key.asc"\r\n\r\n'
        f"{ENCRYPTED}\r\n--b--\r\n"
    )
    msg = email.message_from_bytes(
        b"From: a@b.ru\r\nMIME-Version: 1.0\r\n" + attached.encode(), policy=RAW_POLICY
    )
    body = read_body(msg)
    assert body.text.strip() == "Ключ во вложении."
    assert [(a.filename, a.content_type) for a in body.attachments] == [("key.asc", "text/plain")]


def test_encrypted_blocks_of_one_mail_are_capped_as_carried_files():
    body = read_body(_mail(ENCRYPTED * 1500))
    assert len(body.attachments) == 1000 and body.problem and body.text == ""
