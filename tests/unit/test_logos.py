"""A picture shown in place is a logo by where it stands (domain/logos.py), not by its
size alone: in the writer's signature or the quoted mail, not in the text they typed."""

from __future__ import annotations

import base64
import email
import time
from email.message import EmailMessage

import pytest

from maild.domain.datauri import data_images
from maild.domain.html import html_to_text
from maild.domain.logos import QUOTE, SIGNATURE, TEXT, is_logo_place, marked, places
from maild.domain.mimeparts import RAW_POLICY, is_logo, read_body

HEAD = [
    "От: Служба поддержки <support+1234-5678.abc@example.com>",
    "Отправлено: пятница, 4 декабря 2026 г. 12:01",
    "Кому: Анна Смирнова <anna@example.com>",
    "Тема: Новое обращение [TID#1234-5678]",
    "",
    "[cid:image009.png@01]",
]


def test_outlooks_plain_text_tells_a_pasted_screenshot_from_the_signatures_logo() -> None:
    text = "\n".join(
        ["Нажмите эту кнопку:", "[cid:image001.png@01]", "и сохраните.", "", "С уважением,"]
        + ["Анна Смирнова", "[cid:image002.png@01]", "", *HEAD]
    )
    assert places(text) == {
        "image001.png@01": TEXT,
        "image002.png@01": SIGNATURE,
        "image009.png@01": QUOTE,  # the quoted mail's picture
    }


@pytest.mark.parametrize(
    ("lines", "names", "place"),
    [
        (["Ответ.", "", "Анна", "[cid:x]"], ["Анна Смирнова"], SIGNATURE),  # the From's name
        (["Ответ.", "", "Смирнова Анна", "Инженер", "[cid:x]"], ["Анна Смирнова"], SIGNATURE),
        (["Вот так:", "[cid:x]", "", "Анна"], ["Анна Смирнова"], TEXT),  # above the name
        (["Ответ.", "--", "Анна", "[cid:x]"], [], SIGNATURE),
        (["Ответ.", "Анна", "[cid:x]"], [], TEXT),  # nothing says it is a signature
        (["Ответ.", "> [cid:x]"], [], QUOTE),
        (["Ответ: см. [cid:x]", "", "С уважением, Анна", "[cid:x]"], [], TEXT),  # twice
        (["Ответ.", "> [cid:x]", "Вот он: [cid:x]"], [], TEXT),  # quoted, then in the text
        (["Ответ.", "> Вопрос [cid:x]", "Ещё ответ."], [], QUOTE),  # a quote between answers
        (["Анна", "Вот так:", "[cid:x]", "", "Анна"], ["Анна Смирнова"], TEXT),  # the last name
        (["Ответ.", "Анна проверит, вот экран:", "[cid:x]"], ["Анна Смирнова"], TEXT),  # a sentence
    ],
)
def test_where_a_mark_stands(lines, names, place) -> None:
    assert places("\n".join(lines), names) == {"x": place}


def test_the_text_sent_on_gains_no_signature_line() -> None:
    """marked(signatures=False) is the HTML sent on: its pictures' marks alone, no "--"
    line added where the client's signature block opens."""
    html = '<p>Ответ.</p><div class="moz-signature">Анна</div>'
    assert marked(html, signatures=False) == html
    assert marked(html).count("--") == 1


def test_html_pictures_and_signature_blocks_are_marked_where_they_stand() -> None:
    html = (
        '<div>Вот ошибка:</div><div><img alt="" src="cid:ii_shot%40x"></div>'
        '<div class="moz-signature">Иван<br><img src="cid:part2.B@x"></div>'
    )
    text = html_to_text(marked(html))
    assert text.splitlines() == [
        "Вот ошибка:",
        "[cid:ii_shot@x]",
        "",
        "--",
        "",
        "Иван",
        "[cid:part2.B@x]",
    ]
    assert places(text) == {"ii_shot@x": TEXT, "part2.b@x": SIGNATURE}
    for block in (
        '<div id="Signature">',
        '<div class="gmail_signature">',
        '<a name="_MailAutoSig">',
    ):
        assert "--" in html_to_text(marked(f"<p>Ответ.</p>{block}<p>Анна</p>"))
    assert "--" not in html_to_text(marked('<p><a href="https://x.ru/signature">Подпись</a></p>'))


def test_a_logo_is_small_and_not_in_the_text() -> None:
    assert is_logo_place(SIGNATURE, 14_000) and is_logo_place(QUOTE, 14_000)
    assert not is_logo_place(TEXT, 100)  # a pasted screenshot, however small
    assert not is_logo_place(SIGNATURE, 200_000)  # a screenshot pasted under the name
    assert is_logo_place(None, 2_000)  # shown nowhere the text tells: by its size


def test_hostile_html_is_marked_in_linear_time() -> None:
    for html in (
        "<img" * 200_000,
        '<div class="' + "signature " * 100_000,
        "<img src=cid:" * 100_000,
    ):
        started = time.process_time()
        marked(html)
        assert time.process_time() - started < 2


def test_tags_that_mark_nothing_cost_no_python_each() -> None:
    """Only a tag with "cid:" or a signature's word is looked at in Python: every
    start tag was, and 20 MB of "<p>" with one picture in place took 6 s to mark."""

    def cpu(n: int) -> float:
        html = "<p>" * n + '<img src="cid:shot@x">'
        started = time.process_time()
        assert marked(html).endswith(" [cid:shot@x] ")
        return time.process_time() - started

    small, large = min(cpu(1_000_000) for _ in range(2)), min(cpu(2_000_000) for _ in range(2))
    assert large / max(small, 0.01) < 3 and large < 1.0, (small, large)  # (main: 1.9 s)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


def outlook(plain: str, html: str, name: str = "Анна Смирнова") -> email.message.Message:
    lines = [
        f"From: {name} <anna@example.com>",
        'Content-Type: multipart/related; boundary="r"; type="multipart/alternative"',
        "",
        "--r",
        'Content-Type: multipart/alternative; boundary="a"',
        "",
        "--a",
        'Content-Type: text/plain; charset="utf-8"',
        "",
        plain,
        "--a",
        'Content-Type: text/html; charset="utf-8"',
        "",
        html,
        "--a--",
        "--r",
        'Content-Type: image/png; name="image001.png"',
        'Content-Disposition: inline; filename="image001.png"',
        "Content-ID: <image001.png@01DA>",
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode(PNG).decode(),
        "--r--",
        "",
    ]
    return email.message_from_bytes("\r\n".join(lines).encode(), policy=RAW_POLICY)


def test_a_small_pasted_screenshot_is_a_file_and_keeps_its_mark() -> None:
    plain = "Нажмите эту кнопку:\r\n[cid:image001.png@01DA]\r\nи сохраните.\r\n\r\nАнна"
    html = (
        '<p>Нажмите эту кнопку:</p><p><img src="cid:image001.png@01DA"></p>'
        "<p>и сохраните.</p><p>Анна</p>"
    )
    body = read_body(outlook(plain, html), signer="Анна Смирнова")
    [shot] = body.attachments
    assert (shot.place, is_logo(shot)) == (TEXT, False)
    assert body.text.splitlines() == [
        "Нажмите эту кнопку:",
        "[image001.png]",
        "и сохраните.",
        "",
        "Анна",
    ]


def test_a_signatures_logo_loses_its_mark() -> None:
    plain = "Ответ.\r\n\r\nАнна Смирнова\r\nИнженер\r\n[cid:image001.png@01DA]"
    html = '<p>Ответ.</p><p>Анна Смирнова</p><p>Инженер</p><p><img src="cid:image001.png@01DA"></p>'
    body = read_body(outlook(plain, html), signer="Анна Смирнова")
    [logo] = body.attachments
    assert (logo.place, is_logo(logo)) == (SIGNATURE, True)
    assert body.text.splitlines() == ["Ответ.", "", "Анна Смирнова", "Инженер"]
    # the plain text's "-- " tells where the signature is when the From has no name
    plain = "Ответ.\r\n-- \r\nАнна Смирнова\r\n"
    body = read_body(outlook(plain, html, name=""), signer="")
    assert is_logo(body.attachments[0])


SHOT = b"\x89PNG\r\n\x1a\n" + bytes(8_000)  # one button: 8 KB
LOGO = b"\x89PNG\r\n\x1a\n" + bytes(14_000)  # a company's logo: 14 KB


def webmail(own: list, plain: str | None = None, data: bool = True) -> email.message.Message:
    """A webmail's HTML of <div> lines, each picture (its bytes) pasted where it stands:
    a data: URI (``data``) or a Content-ID part beside the HTML; ``plain``: the plain
    text beside it, if any."""
    cids = {SHOT: "shot@x", LOGO: "logo@x"}

    def line(s) -> str:
        if not isinstance(s, bytes):
            return f"<div>{s}</div>"
        src = f"data:image/png;base64,{base64.b64encode(s).decode()}" if data else f"cid:{cids[s]}"
        return f'<div><img src="{src}"></div>'

    m = EmailMessage()
    m["From"] = "Анна Смирнова <anna@example.com>"
    rich = "".join(map(line, own))
    if plain is None:
        m.set_content(rich, subtype="html")
    else:
        m.set_content(plain)
        m.add_alternative(rich, subtype="html")
    for picture in [s for s in own if isinstance(s, bytes)] if not data else []:
        part = m.get_payload()[1] if plain is not None else m
        part.add_related(picture, "image", "png", cid=f"<{cids[picture]}>", disposition="inline")
        part.get_payload()[-1].set_param("name", f"{cids[picture][:4]}.png")
    return email.message_from_bytes(m.as_bytes(), policy=RAW_POLICY)


@pytest.mark.parametrize("plain", [None, "Нажмите эту кнопку:\nи сохраните.\n-- \nАнна\n"])
def test_a_picture_pasted_as_a_data_uri_is_told_by_where_it_stands(plain) -> None:
    """A data: picture in the text typed is a file of the letter, however small, with
    its mark where it stood; one under the signature is its logo, and loses its mark.
    Both were judged by their size alone, as pictures the text shows nowhere: the 8 KB
    screenshot was taken for a logo and dropped."""
    own = ["Нажмите эту кнопку:", SHOT, "и сохраните.", "-- ", "Анна", LOGO]
    body = read_body(webmail(own, plain), signer="Анна Смирнова")
    shot, logo = body.attachments
    assert (shot.filename, shot.data, shot.place, is_logo(shot)) == (
        "image1.png",
        SHOT,
        TEXT,
        False,
    )
    assert (logo.filename, logo.place, is_logo(logo)) == ("image2.png", SIGNATURE, True)
    lines = body.text.splitlines()
    assert lines[:3] == ["Нажмите эту кнопку:", "[image1.png]", "и сохраните."]
    assert "image2" not in body.text and "cid:" not in body.text


@pytest.mark.parametrize("plain", [None, "Нажмите эту кнопку:\nи сохраните.\n-- \nАнна\n"])
def test_a_picture_of_the_text_keeps_its_mark_without_outlooks_plain_text(plain) -> None:
    """An HTML text shows its pictures where they stand: read without a plain text, or
    beside one with no mark of them (a webmail's, Thunderbird's), it keeps the mark of
    the one pasted into the text, «[shot.png]», and drops the logo's."""
    own = ["Нажмите эту кнопку:", SHOT, "и сохраните.", "-- ", "Анна", LOGO]
    body = read_body(webmail(own, plain, data=False), signer="Анна Смирнова")
    assert [(a.filename, a.place, is_logo(a)) for a in body.attachments] == [
        ("shot.png", TEXT, False),
        ("logo.png", SIGNATURE, True),
    ]
    assert body.text.splitlines()[:3] == ["Нажмите эту кнопку:", "[shot.png]", "и сохраните."]
    assert "logo" not in body.text and "cid:" not in body.text


def test_a_plain_text_stays_the_text_when_no_picture_stands_in_it() -> None:
    """Only a picture of the text brings its HTML to be read: a plain text beside an
    HTML with a signature's logo alone is the text read, as before."""
    plain = "Ответ, как в простом тексте.\n-- \nАнна\n"
    body = read_body(webmail(["Ответ в HTML.", "-- ", "Анна", LOGO], plain), signer="Анна")
    assert body.text == plain
    assert [(a.place, is_logo(a)) for a in body.attachments] == [(SIGNATURE, True)]


def test_a_data_picture_is_named_and_typed_by_its_media_type() -> None:
    """A data: picture's file is named and typed as its media type says, in lower case
    and without a suffix («image/svg+xml»: image2.svg, not image2.svg+xml); an empty one
    holds no picture: it stays in the HTML as it was, and no empty file is made of it
    (a customer would be told their «image1.png» arrived empty)."""
    html = (
        '<img src="data:image/png;base64,"><img src="data:IMAGE/PNG;base64,iVBORw0K">'
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">'
    )
    rest, found, more = data_images(html, 5, 0)
    assert [(p.name, p.content_type) for p in found] == [
        ("image1.png", "image/png"),
        ("image2.svg", "image/svg+xml"),
    ]
    assert rest.startswith('<img src="data:image/png;base64,"><img src="cid:data0@')
    assert not more


def test_data_pictures_are_taken_out_in_linear_time() -> None:
    """Each data: picture is taken out of the HTML and the rest of it copied once: the
    cost grows with the HTML, however many pictures (empty ones too) it holds."""

    def cpu(n: int) -> float:
        html = (
            '<p>x</p><img src="data:image/gif;base64,">' * n
            + '<img src="data:image/gif;base64,R0lGODlh">' * 200
        )
        started = time.process_time()
        rest, found, more = data_images(html, 100, 0)
        assert (len(found), more) == (100, True) and rest.count("cid:data") == 100
        return time.process_time() - started

    small, large = min(cpu(50_000) for _ in range(2)), min(cpu(200_000) for _ in range(2))
    assert large / max(small, 0.01) < 8, (small, large)  # linear 4, quadratic 16


def test_a_percent_encoded_data_picture_keeps_its_bytes() -> None:
    """A data: URI is a URI: a client may write its base64's «+», «/» and «=» as %2B,
    %2F, %3D. The picture is read as it was sent, not from those escapes' digits (a
    screenshot the customer pasted would come to staff as a broken file)."""
    picture = bytes(range(256))  # its base64 holds «+», «/» and ends in «=»
    sent = base64.b64encode(picture).decode()
    escaped = sent.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    assert escaped != sent
    _rest, [found], more = data_images(f'<img src="data:image/png;base64,{escaped}">', 5, 0)
    assert (found.data, more) == (picture, False)
