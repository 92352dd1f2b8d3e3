"""The regulation's file rule (domain/filerules.py) is held in one place: every type it
takes is renamed safely, and the texts that state it follow its tables."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from maild.domain import filerules
from maild.domain.attachments import AttachmentPolicy, decide, upload_accept
from maild.domain.extensions import split_extension
from maild.domain.filerules import ARCHIVES, IMAGES, NAMES, TYPES, ZIPPED_ONLY, names
from maild.domain.filetypes import BMP, GIF, JPEG, PNG, RAR, ZIP, sniff_type
from maild.render import Renderer
from tests.helpers import support_config
from tests.unit.test_attachments import GIF as GIF_BYTES
from tests.unit.test_attachments import JPEG as JPEG_BYTES
from tests.unit.test_attachments import RAR5, bmp_bytes, png_bytes, zip_bytes
from tests.unit.test_texts import variants

ROOT = Path(__file__).resolve().parents[2]
# a file of each type the rule could take: a type added to the tables without its
# bytes here fails below (KeyError), not silently skipped
SAMPLES = {
    JPEG: JPEG_BYTES,
    PNG: png_bytes(),
    GIF: GIF_BYTES,
    BMP: bmp_bytes(),
    ZIP: zip_bytes({"screen.png": png_bytes()}),
    RAR: RAR5,
}
TAKEN = (*IMAGES, *ARCHIVES)  # what the rule takes as it comes


def test_every_type_the_rule_names_is_told_by_its_bytes():
    """A file's type is what its magic bytes prove (domain/filetypes.sniff_type), not
    its name: a type added to filerules alone is never recognised, so never taken."""
    for kind in TYPES:
        assert kind in SAMPLES, (
            f"filerules.TYPES names {kind}: add a file of it to SAMPLES here, and its "
            "magic bytes to domain/filetypes.sniff_type, which tells a file's type"
        )
        assert sniff_type(SAMPLES[kind]) == kind, (
            f"domain/filetypes.sniff_type does not tell {kind} (filerules.TYPES names it) "
            "from its sample: teach it the type's magic bytes"
        )


@pytest.mark.parametrize("kind", TAKEN)
@pytest.mark.parametrize(
    "name", ["shot.bat", "invoice.hta", "run.cmd", "setup.exe", "page.html", "shot"]
)
def test_every_type_the_rule_takes_is_named_as_what_it_is(kind, name):
    """A JPEG named shot.bat would run as the commands after its bytes when staff open
    it on Windows: a kept file is named by its type (attachments._KEPT_EXTENSIONS). A
    type added to the rule's tables without its extensions kept this name."""
    d = decide(name, "application/octet-stream", SAMPLES[kind], AttachmentPolicy())
    stem = name.rsplit(".", 1)[0]
    assert d.accepted, d.reason
    assert d.filename.lower() == f"{stem}.{NAMES[kind].lower()}", d.filename


@pytest.mark.parametrize("kind", TAKEN)
def test_a_file_of_a_type_the_rule_takes_keeps_its_types_name(kind):
    """…and one named as what it is keeps its name (shot.png stays shot.png)."""
    name = f"Снимок.{NAMES[kind].lower()}"
    d = decide(name, None, SAMPLES[kind], AttachmentPolicy())
    assert d.accepted and d.filename == name
    accept, _words = upload_accept(AttachmentPolicy())
    if kind in IMAGES:  # the site's picker offers it (its type and its extension)
        assert kind in accept.split(",") and f".{NAMES[kind].lower()}" in accept.split(",")


EXTENSIONS = [(kind, e) for kind, spec in TYPES.items() for e in spec.extensions]
PDF = b"%PDF-1.4 not a picture\n" * 10


@pytest.mark.parametrize(("kind", "extension"), [(k, e) for k, e in EXTENSIONS if k in TAKEN])
def test_a_file_named_with_any_of_its_types_extensions_keeps_its_name(kind, extension):
    """Every extension filerules.TYPES gives a type is one its file keeps (Фото.JFIF
    that is a JPEG stays so), the site's picker offers, and a name's extension."""
    name = f"Фото{extension.upper()}"
    d = decide(name, "application/octet-stream", SAMPLES[kind], AttachmentPolicy())
    assert d.accepted and d.filename == name, (d.filename, d.reason)
    assert split_extension(name) == ("Фото", extension.upper())
    if kind in IMAGES:
        assert extension in upload_accept(AttachmentPolicy())[0].split(",")


@pytest.mark.parametrize("accept_other", [False, True])
@pytest.mark.parametrize(("kind", "extension"), EXTENSIONS)
def test_a_file_named_as_a_type_the_rule_names_that_is_not_is_a_disguise(
    kind, extension, accept_other
):
    """A PDF sent as octet-stream named photo.jfif claims to be a JPEG as photo.jpg
    does: refused as mislabelled, in a staff answer too (accept_other_types), where
    photo.jfif was kept as an unknown file while photo.jpg was refused."""
    policy = AttachmentPolicy(accept_other_types=accept_other)
    d = decide(f"photo{extension}", "application/octet-stream", PDF, policy)
    assert not d.accepted and d.kind == "mislabelled", (d.kind, d.reason)
    assert f"назван как {NAMES[kind]}," in d.reason


@pytest.mark.parametrize(
    ("kind", "declared"),
    [(k, t) for k, spec in TYPES.items() for t in (k, *spec.aliases)],
)
def test_a_file_declared_as_a_type_the_rule_names_that_is_not_is_a_disguise(kind, declared):
    d = decide("photo", declared, PDF, AttachmentPolicy(accept_other_types=True))
    assert not d.accepted and d.kind == "mislabelled", (d.kind, d.reason)
    assert f"отправлен как {NAMES[kind]}," in d.reason


# What mail programs declare the rule's types as besides their own MIME types (old
# Internet Explorer and Outlook a JPEG as image/pjpeg, Windows a ZIP as
# application/x-zip-compressed): written out here, as the test above reads its cases from
# TYPES' aliases and so loses one dropped there with it.
DECLARED_ALIASES = {
    "image/pjpeg": "JPG",
    "image/x-ms-bmp": "BMP",
    "application/x-zip-compressed": "ZIP",
    "application/x-rar-compressed": "RAR",
}


@pytest.mark.parametrize("accept_other", [False, True])
@pytest.mark.parametrize(("declared", "word"), DECLARED_ALIASES.items())
def test_a_file_declared_as_a_mail_programs_name_for_a_rule_type_claims_it(
    declared, word, accept_other
):
    """A PDF declared image/pjpeg claims to be a JPEG as one declared image/jpeg does:
    refused as mislabelled, saying what it was sent as, in a staff answer too
    (accept_other_types), where it would otherwise go to the customer as a kept file."""
    policy = AttachmentPolicy(accept_other_types=accept_other)
    d = decide("photo", declared, PDF, policy)
    assert not d.accepted and d.kind == "mislabelled", (d.kind, d.reason)
    assert f"отправлен как {word}," in d.reason


@pytest.mark.parametrize("kind", ZIPPED_ONLY)
def test_a_picture_the_rule_takes_only_zipped_is_refused_bare_and_taken_zipped(kind):
    bare = decide(f"shot.{NAMES[kind].lower()}", None, SAMPLES[kind], AttachmentPolicy())
    assert not bare.accepted and bare.kind == "bmp" and bare.reason.startswith(filerules.BMP_TEXT)
    packed = zip_bytes({f"shot.{NAMES[kind].lower()}": SAMPLES[kind]})
    assert decide("shot.zip", None, packed, AttachmentPolicy()).accepted
    assert kind not in upload_accept(AttachmentPolicy())[0].split(",")


def _rule_with_bmp_taken() -> dict:
    """filerules.py as a newcomer edits it to take BMP as it comes: the one change."""
    source = (ROOT / "maild" / "domain" / "filerules.py").read_text(encoding="utf-8")
    edited = source.replace("IMAGES = (JPEG, GIF, PNG)", "IMAGES = (JPEG, GIF, PNG, BMP)")
    edited = edited.replace("ZIPPED_ONLY = (BMP,)", "ZIPPED_ONLY = ()")
    assert "IMAGES = (JPEG, GIF, PNG, BMP)" in edited and "ZIPPED_ONLY = ()" in edited
    module: dict = {"__name__": "filerules_edited"}
    exec(compile(edited, "filerules_edited.py", "exec"), module)  # noqa: S102
    return module


def test_the_texts_of_the_rule_follow_its_tables_when_bmp_is_taken(monkeypatch):
    """With BMP moved from ZIPPED_ONLY to IMAGES no text says «BMP только в архиве»:
    not the refusal's «Принимаются ...», the site's field, nor the confirmation and
    acknowledgement of an encrypted letter («Файлы прикладывайте как обычно: ...»)."""
    edited = _rule_with_bmp_taken()
    assert edited["ALLOWED_TEXT"] == "Принимаются скриншоты JPG, GIF, PNG, BMP и архивы ZIP, RAR."
    assert edited["UPLOAD_TEXT"] == "скриншоты JPG, GIF, PNG, BMP; архивы ZIP или RAR"
    assert edited["CONVERT_TEXT"] == (
        "Сохраните изображение в формате JPG, PNG или BMP и пришлите, пожалуйста, снова."
    )
    words = edited["mail_words"]()
    assert words["usual"] == "скриншоты в форматах JPG, GIF, PNG или BMP"
    monkeypatch.setattr("maild.render.mail_words", edited["mail_words"])
    renderer = Renderer(support_config())
    # the saved answers that state the rule (`file_rules`, as mail templates have it)
    ctx = {"tid": "1234-5678", "name": ""}
    assert renderer.answer("bmp_screenshots", ctx) == (
        "Скриншоты принимаются в форматах JPG, GIF, PNG и BMP.\n"
    )
    assert "скриншоты (JPG, GIF, PNG или BMP)." in renderer.answer("request_info", ctx)
    for template in ("confirmation.txt", "acknowledgement.txt"):
        for ctx in variants():
            _, body = renderer.text(template, dict(ctx, bmp_refused=False))
            assert "архиве" not in body.replace("архивы", ""), (template, body)
            if ctx["encrypted_letter"]:
                flat = " ".join(body.split())
                assert "как обычно: скриншоты в форматах JPG, GIF, PNG или BMP." in flat


def test_the_shipped_answers_state_the_rule_as_they_did_by_hand():
    renderer = Renderer(support_config())
    ctx = {"tid": "1234-5678", "name": ""}
    assert renderer.answer("bmp_screenshots", ctx) == (
        "Скриншоты принимаются в форматах JPG, GIF и PNG. Если скриншот сохранён\n"
        "в формате BMP, пожалуйста, упакуйте его архиватором (ZIP или RAR) и пришлите\n"
        "архив ответом на это письмо, сохранив метку [TID#1234-5678] в теме.\n"
    )
    assert "  - по возможности — скриншоты (JPG, GIF или PNG).\n" in renderer.answer(
        "request_info", ctx
    )


def test_names_lists_the_types_as_a_sentence_does():
    assert names([]) == "" and names([JPEG]) == "JPG"
    assert names([ZIP, RAR], " или ") == "ZIP или RAR"
    assert names([JPEG, GIF, PNG], " и ") == "JPG, GIF и PNG"


def test_the_example_configs_attachments_comment_states_the_rule():
    """config/maild.example.toml names the rule beside [attachments]: the tables' words."""
    example = ROOT / "config" / "maild.example.toml"
    [line] = [x for x in example.read_text().splitlines() if x.startswith("[attachments]")]
    shown = "/".join(NAMES[t] for t in IMAGES) + " screenshots; "
    archives = "/".join(NAMES[t] for t in ARCHIVES)
    zipped = "/".join(NAMES[t] for t in ZIPPED_ONLY)
    shown += f"{zipped} only in {archives}" if ZIPPED_ONLY else f"{archives} archives"
    assert line.endswith(f"# the regulation: {shown}"), line
    assert "attachments" in tomllib.loads(example.read_text())
