"""maild.domain.textleaves: which of a text's alternatives is read (TextGroup.render)."""

from __future__ import annotations

from maild.domain.htmlbulk import MAX_PIECES
from maild.domain.textleaves import TextGroup

PICTURE = "image001.png@01da0000.00000000"  # as placeholders.cid_of reads it


def test_the_plain_text_stays_where_its_html_shows_no_picture_of_the_text() -> None:
    """A picture pasted into the text of another part of the mail does not make this
    part's HTML the text: it shows no picture, and the plain text keeps what the HTML
    drops (here the quote)."""
    group = TextGroup(plain=["Ошибка 500\n> цитата клиента"], html=["<p>Ошибка 500</p>"])
    assert group.render({PICTURE}) == "Ошибка 500\n> цитата клиента"


def test_the_plain_text_stays_beside_an_html_read_in_bulk() -> None:
    """An HTML too big to read tag by tag is not read instead of the plain text, though
    it shows a picture the plain text does not mark: the plain text keeps more."""
    html = f'<p>Ошибка 500, снимок: <img src="cid:{PICTURE}"></p>' + "<b>x</b>" * MAX_PIECES
    group = TextGroup(plain=["Ошибка 500, снимок ниже"], html=[html])
    assert group.render({PICTURE}) == "Ошибка 500, снимок ниже"
    assert not group.in_bulk()
