"""The pictures an HTML body carries inside itself as ``data:`` URIs (a webmail's or a
phone app's screenshot pasted into the text): taken out as files, each left in the HTML
as a Content-ID picture, so it is marked where it stands (domain.logos). Pure.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote

from maild.domain.charset import b64decode_lenient

__all__ = ["Picture", "data_images"]

# A picture pasted into the text by a webmail or a phone app that does not make it a
# MIME part: ``<img src="data:image/png;base64,...">``. One pass, no backtracking: the
# base64 run is a single character class (whitespace inside it is folding).
_DATA_IMAGE_RE = re.compile(
    r"data:(image/[a-z0-9.+-]+)(?:;[a-z0-9=._-]+)*?;base64,([a-z0-9+/=\s%]*)", re.IGNORECASE
)


# The Content-ID a picture so pasted is given in its HTML: the message's own (no part a
# sender sends names itself so); a number tells one from another in the message.
CID = "data{}@maild.invalid"


class Picture(NamedTuple):
    """A picture an HTML body carries as a data: URI, now named by ``cid``."""

    cid: str
    name: str  # its file's: image1.png, image2.gif, ... in the order of its HTML
    content_type: str
    data: bytes


def data_images(html: str, limit: int, first: int) -> tuple[str, list[Picture], bool]:
    """``html`` with each of its first ``limit`` base64 ``data:image/...`` URIs as a
    ``cid:`` URI (CID, numbered from ``first``, as its name is), so its picture is marked
    where it stands as a Content-ID image is (logos.marked); those pictures in order;
    and whether a cap left more of them in it.

    The text rendering drops them (html_to_text shows no base64): these are the
    screenshots it would otherwise lose.
    """
    if "data:" not in html:
        return html, [], False
    images: list[Picture] = []
    pieces: list[str] = []
    at = 0
    for match in _DATA_IMAGE_RE.finditer(html):
        data = b64decode_lenient(unquote(match.group(2)))
        if not data:
            continue
        if len(images) >= limit:
            return "".join([*pieces, html[at:]]), images, True
        cid = CID.format(first + len(images))
        ctype = match.group(1).lower()
        # named as numbered (a second HTML part's first is image2, not image1 again)
        name = f"image{first + len(images) + 1}.{ctype.split('/')[1].split('+')[0]}"
        images.append(Picture(cid, name, ctype, data))
        pieces += [html[at : match.start()], f"cid:{cid}"]
        at = match.end()
    return "".join([*pieces, html[at:]]), images, False
