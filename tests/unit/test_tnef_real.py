"""winmail.dat files written by real Outlook and Exchange (tests/data/tnef, see its
README): what maild reads out of them is what Outlook's user wrote and attached."""

from __future__ import annotations

from maild.domain.tnef import SIGNATURE, read_tnef
from tests.helpers import DATA

SAMPLES = DATA / "tnef"


def sample(name: str):
    tnef = read_tnef((SAMPLES / name).read_bytes())
    assert tnef is not None
    return tnef


def test_compressed_rtf_repeats_are_unpacked_as_written() -> None:
    # Outlook packs "adfhadhadhb" as "adfhad" and a reference that reaches into the
    # bytes it copies; read from the old window, the repeat came out as NUL bytes
    text = sample("outlook-rtf-body.dat").text
    assert "adfhadhadhb" in text
    assert "Greg Allen\nSenior Engineer" in text


def test_rtf_bodies_keep_no_nul_outlook_pads_them_with() -> None:
    for name in ("outlook-rtf-body.dat", "outlook-rtf-five-files.dat"):
        text = sample(name).text
        assert "\0" not in text
    assert sample("outlook-rtf-five-files.dat").text.endswith("(Well Outlook actually)")


def test_an_html_body_in_koi8_r_is_read_in_it() -> None:
    # Exchange Online marks it PR_INTERNET_CPID 20866, a number Python has no "cp" for
    html = sample("exchange-koi8r-html.dat").html
    assert "<p>шостий</p>" in html
    assert "Û" not in html


def test_an_outlook_item_is_its_object_not_outlooks_note_about_it() -> None:
    tnef = sample("outlook-item-attached.dat")
    assert "This is the first half of the list" in tnef.html  # RTF wrapping HTML
    [item] = tnef.files  # a distribution list: no text to read, so a file for staff
    assert item.name == "XXXXnews"
    assert item.data.startswith(SIGNATURE) and b"IPM.DistList" in item.data[:80]
    assert len(item.data) == 19965  # not the 89 bytes of «This attachment is a MAPI 1.0...»


def test_files_outlook_wrote_no_type_for_are_typed_by_their_names() -> None:
    files = sample("outlook-rtf-five-files.dat").files
    assert [(f.name, f.content_type) for f in files] == [
        ("quick.doc", "application/msword"),
        ("quick.html", "text/html"),
        ("quick.pdf", "application/pdf"),
        ("quick.txt", "text/plain"),
        ("quick.xml", "text/xml"),
    ]
    # a type Outlook did write stays; a name without a known extension gets none
    polish = {f.name: f.content_type for f in sample("exchange-polish-images.dat").files}
    assert polish == {
        "spaconsole2.cfg": None,
        **{f"image00{n}.png": "image/png" for n in (1, 2, 3)},
    }


def test_html_outlook_wrapped_in_rtf_is_read_as_html() -> None:
    # Outlook 2016's RTF body "\fromhtml1": the HTML it was written in, with an RTF
    # rendering beside it that named the pasted image "cid:image003.jpg@01D2EE6A.85652C70"
    tnef = sample("outlook-umlaut.dat")
    assert "<p class=MsoNormal><b>TEST äöü +-*/~<o:p></o:p></b></p>" in tnef.html
    assert tnef.html.count("cid:image003.jpg") == 2  # in the <img> tag: no words of it
    assert tnef.text == ""
    assert "<p class=MsoNormal>" in sample("outlook-item-attached.dat").html
    # RTF that Outlook wrote as RTF stays words
    assert sample("outlook-rtf-body.dat").html == ""


def test_each_names_its_class_a_mail_never_a_recall_request() -> None:
    """attMessageClass (PR_MESSAGE_CLASS) says what the item is: a mail's is IPM.Note
    (Outlook before 2007: "IPM.Microsoft Mail.Note"), never IPM.Outlook.Recall, the
    class that makes a staff member's mail a recall request (domain/recall.py)."""
    classes = {p.name: sample(p.name).message_class for p in SAMPLES.glob("*.dat")}
    assert set(classes.values()) == {"IPM.Note", "IPM.Microsoft Mail.Note"}, classes
