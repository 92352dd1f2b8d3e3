"""Files refused alike are one line of a confirmation's list (domain/refusedlines.py)."""

from __future__ import annotations

from maild.domain.attachments import AttachmentPolicy, decide_all
from maild.domain.filerules import SAVE_AS
from maild.domain.refusedlines import MAX_NAMES, refused_lines
from tests.unit.test_attachments import bmp_bytes

NBSP = "\u00a0"


def lines(files: list[tuple[str, str, bytes]]) -> list[tuple[str, str]]:
    refused = [d for d in decide_all(files, AttachmentPolicy()) if not d.accepted]
    return [(line.filename, line.reason) for line in refused_lines(refused)]


def test_files_refused_alike_share_a_line_in_the_order_their_reason_first_came() -> None:
    got = lines([
        ("a.bmp", "image/bmp", bmp_bytes()),
        ("a.pdf", "application/pdf", b"%PDF"),
        ("b.bmp", "image/bmp", bmp_bytes()),
        ("b.pdf", "application/pdf", b"%PDF"),
    ])  # fmt: skip
    assert [names for names, _ in got] == ["a.bmp, b.bmp", "a.pdf, b.pdf"]
    assert got[0][1].endswith("упакуйте файлы архиватором и пришлите снова.")
    assert got[1][1].startswith("Эти файлы (документ PDF) не приняты.")


def test_a_file_refused_alone_for_its_reason_keeps_the_reason_that_names_it() -> None:
    [(name, reason)] = lines([("a.pdf", "application/pdf", b"%PDF")])
    assert name == "a.pdf" and reason.startswith(f"Файл{NBSP}«a.pdf» (документ PDF) не принят.")


def test_types_and_faults_of_their_own_are_lines_apart() -> None:
    got = lines([
        ("a.pdf", "application/pdf", b"%PDF"),
        ("a.log", "text/plain", b"log"),
        ("b.log", "text/plain", b"log"),
        ("x.png", "image/png", b"no PNG"),  # named as PNG: a disguise, its own line
        ("y.png", "image/png", b"no PNG either"),
    ])  # fmt: skip
    assert [names for names, _ in got] == ["a.pdf", "a.log, b.log", "x.png", "y.png"]


def test_a_line_names_its_first_files_and_counts_the_rest() -> None:
    files = [(f"{n}.bmp", "image/bmp", bmp_bytes()) for n in range(MAX_NAMES + 12)]
    [(names, _)] = lines(files)
    listed = ", ".join(f"{n}.bmp" for n in range(MAX_NAMES))
    assert names == f"{listed} и ещё{NBSP}12{NBSP}файлов"


def test_a_line_of_max_names_files_names_them_all_and_counts_none() -> None:
    """MAX_NAMES files alike are all named, with no «и ещё 0 файлов» after them."""
    files = [(f"{n}.bmp", "image/bmp", bmp_bytes()) for n in range(MAX_NAMES)]
    [(names, _)] = lines(files)
    assert names == ", ".join(f"{n}.bmp" for n in range(MAX_NAMES))


def pasted_lines(files: list[tuple[str | None, str, bytes]], pasted: list[bool]) -> list:
    refused = [d for d in decide_all(files, AttachmentPolicy(), pasted) if not d.accepted]
    return [(line.filename, line.reason) for line in refused_lines(refused)]


def test_a_bmp_pasted_into_the_text_is_named_as_a_picture_there_not_by_its_file_name():
    """Outlook names a picture pasted into its HTML text image001.bmp; a part with no
    name was «attachment.bmp»: the customer attached no file so named."""
    got = pasted_lines(
        [("image001.bmp", "image/bmp", bmp_bytes()), ("shot.bmp", "image/bmp", bmp_bytes())],
        [True, False],
    )
    [(pasted, why), (attached, _)] = got
    assert pasted == "Картинка, вставленная в текст письма" and "image001" not in why
    assert f"вставьте снимок в формате {SAVE_AS} либо пришлите его файлом в архиве" in why
    assert attached == "shot.bmp"  # a file they attached keeps its name and words


def test_pasted_bmps_share_a_line_counted_and_other_refusals_stay_as_they_were():
    files = [
        ("image001.bmp", "image/bmp", bmp_bytes()),
        (None, "image/bmp", bmp_bytes()),
        ("image003.png", "image/png", b""),  # pasted, refused for another reason
    ]
    [(pictures, why), (empty, _)] = pasted_lines(files, [True, True, True])
    assert pictures == "2 картинки, вставленные в текст письма"
    assert "вставьте снимки" in why and "пришлите их файлами" in why
    assert empty == "image003.png"


def test_a_line_carries_every_file_it_stands_for() -> None:
    """A line's files are all those it names or counts: a confirmation counts the
    files of the lines past its list by them («и ещё файлов …»: decision.att_ctx)."""
    files = [(f"{n}.bmp", "image/bmp", bmp_bytes()) for n in range(MAX_NAMES + 2)]
    files += [(f"image00{n}.bmp", "image/bmp", bmp_bytes()) for n in range(3)]
    pasted = [False] * (MAX_NAMES + 2) + [True] * 3
    refused = [d for d in decide_all(files, AttachmentPolicy(), pasted) if not d.accepted]
    got = refused_lines(refused)
    assert [len(line.files) for line in got] == [MAX_NAMES + 2, 3]
    assert [d for line in got for d in line.files] == refused
