"""Unit tests of the attachment rules: real image, BMP and ZIP bytes built in memory."""

from __future__ import annotations

import io
import struct
import unicodedata
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.attachments import (
    ALLOWED_TEXT,
    BMP_TEXT,
    UNREADABLE_P7M_TEXT,
    AttachmentDecision,
    AttachmentPolicy,
    bmp_refused,
    decide,
    decide_all,
    inspect_zip,
    sanitize_filename,
    sniff_type,
)
from maild.domain.extensions import KNOWN
from maild.domain.ziparchive import UNCHECKABLE
from tests.smime import der, signed_data

POLICY = AttachmentPolicy()
MB = 1024 * 1024


# --- test data ------------------------------------------------------------------------


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    raw = (b"\x00" + b"\xff\x00\x00" * width) * height  # filter byte + red pixels per row
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64) + b"This program cannot"
RAR4 = b"Rar!\x1a\x07\x00" + b"\xcf\x90\x73\x00\x00\x0d\x00" + bytes(20)
RAR5 = b"Rar!\x1a\x07\x01\x00" + b"\x33\x92\xb5\xe5\x0a\x01\x05\x06" + bytes(20)


def bmp_bytes(width: int = 2, height: int = 2) -> bytes:
    row = b"\xff\xff\xff" * width
    row += bytes(-len(row) % 4)  # rows are padded to 4 bytes
    pixels = row * height
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    header = b"BM" + struct.pack("<IHHI", 14 + len(info) + len(pixels), 0, 0, 14 + len(info))
    return header + info + pixels


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zeros_zip(size: int, name: str = "zeros.bin") -> bytes:
    """A ZIP of `size` zero bytes, written in chunks so the test never holds them all."""
    buf = io.BytesIO()
    chunk = bytes(min(size, MB))
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open(name, "w", force_zip64=True) as member,
    ):
        left = size
        while left:
            member.write(chunk[:left])
            left -= min(left, len(chunk))
    return buf.getvalue()


def handmade_deflate_zip(name: bytes, megabytes: int) -> bytes:
    """A real `megabytes` MB deflated member of zeros in ~1 KB per MB, built in ~0.1 s.

    After a full flush deflate restarts from scratch, so every MB of zeros compresses
    to the same bytes: compress one MB and repeat it instead of deflating 300 MB.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    megabyte = bytes(MB)
    first = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert again == compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = first + again * (megabytes - 1) + compressor.flush()
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(megabyte, crc)
    size = megabytes * MB
    # Version needed, flags, method (8 = deflate), time, date (1980-01-01), CRC, sizes.
    fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(stream), size)
    local = b"PK\x03\x04" + fields + struct.pack("<HH", len(name), 0) + name
    # Made by, the same fields, name/extra/comment lengths, disk, attributes, offset 0.
    central = (
        b"PK\x01\x02"
        + struct.pack("<H", 20)
        + fields
        + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, 0)
        + name
    )
    end = b"PK\x05\x06" + struct.pack(
        "<HHHHIIH", 0, 0, 1, 1, len(central), len(local) + len(stream), 0
    )
    return local + stream + central + end


def with_central_copies(data: bytes, copies: int) -> bytes:
    """Repeat the single central directory entry: members overlapping the same data."""
    end_at = data.rindex(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", data[end_at + 12 : end_at + 20])
    entry = data[cd_offset : cd_offset + cd_size]
    name_len = struct.unpack("<H", entry[28:30])[0]
    extra = b"".join(
        entry[: 46 + name_len - 1] + bytes([ord("a") + i]) + entry[46 + name_len :]
        for i in range(copies)
    )
    central = entry + extra
    n = 1 + copies
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, n, n, len(central), cd_offset, 0)
    return data[:cd_offset] + central + end


def with_encrypted_flag(data: bytes) -> bytes:
    """Mark every member encrypted (bit 0) in local and central headers."""
    out = bytearray(data)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at != -1:
            out[at + flag_at] |= 0x01
            at = out.find(signature, at + 4)
    return bytes(out)


def nested(levels: int, payload: bytes = b"hello") -> bytes:
    """levels=1: a plain zip; levels=2: a zip holding that zip; and so on."""
    data = zip_bytes({"readme.txt": payload})
    for level in range(1, levels):
        data = zip_bytes({f"level{level}.zip": data})
    return data


# --- sniffing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png_bytes(), "image/png"),
        (GIF, "image/gif"),
        (b"GIF87a" + GIF[6:], "image/gif"),
        (JPEG, "image/jpeg"),
        (bmp_bytes(), "image/bmp"),
        (zip_bytes({"a.txt": b"a"}), "application/zip"),
        (zip_bytes({}), "application/zip"),  # empty archive: just the end record
        (RAR4, "application/vnd.rar"),
        (RAR5, "application/vnd.rar"),
        (b"Rar!\x1a\x07\x02\x00", None),
        (EXE, None),
        (b"BMW quarterly report, plain text and long enough", None),
        (b"BM", None),
        (b"\x89PNG", None),
        (b"", None),
    ],
)
def test_sniff_type(data: bytes, expected: str | None) -> None:
    assert sniff_type(data) == expected


def test_a_jpeg_is_told_by_its_marker_after_the_start_of_image() -> None:
    """Every JPEG opens with its start-of-image marker FF D8 and the FF of the marker
    after it: bytes that open with FF D8 alone prove no picture, and a file taken as a
    JPEG on them would reach staff as a screenshot named .jpg that is none."""
    assert sniff_type(JPEG) == "image/jpeg"
    assert sniff_type(b"\xff\xd8\x00\x10JFIF" + EXE) is None


# --- images, BMP, other types ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("shot.png", png_bytes(), "image/png"),
        ("a.gif", GIF, "image/gif"),
        ("b.jpg", JPEG, "image/jpeg"),
    ],
)
def test_real_images_accepted(name: str, data: bytes, content_type: str) -> None:
    d = decide(name, "application/octet-stream", data, POLICY)
    assert d == AttachmentDecision(name, content_type, len(data), True, None, "image")


def test_image_judged_by_content_not_name() -> None:
    # A JPEG named .png is still a real image: accepted with its true type.
    d = decide("shot.png", "image/png", JPEG, POLICY)
    assert d.accepted and d.content_type == "image/jpeg"


def test_png_that_is_an_exe_refused_even_when_other_types_welcome() -> None:
    for policy in (POLICY, AttachmentPolicy(accept_other_types=True)):
        d = decide("shot.png", "image/png", EXE, policy)
        assert not d.accepted and d.kind == "mislabelled"
        assert "PNG" in d.reason and "по содержимому" in d.reason


def test_declared_image_type_that_is_not_an_image_refused() -> None:
    d = decide("file.bin", "image/jpeg; name=file.bin", EXE, POLICY)
    assert d.kind == "mislabelled" and "JPG" in d.reason


def test_png_that_is_a_zip_is_judged_as_the_archive_it_is() -> None:
    data = zip_bytes({"shot.bmp": bmp_bytes()})
    d = decide("shot.png", "image/png", data, POLICY)
    assert d.accepted and d.kind == "archive" and d.content_type == "application/zip"


@pytest.mark.parametrize("name", ["shot.bmp", "shot.png", None])
def test_bare_bmp_refused_whatever_its_name(name: str | None) -> None:
    d = decide(name, "image/bmp", bmp_bytes(), AttachmentPolicy(accept_other_types=True))
    assert not d.accepted and d.kind == "bmp"
    assert BMP_TEXT in d.reason
    assert bmp_refused([d])


@pytest.mark.parametrize(
    ("name", "declared", "claim"),
    [
        ("screen.jpg", "image/jpeg", "JPG"),  # Outlook, Thunderbird: the type by the name
        ("screen.JPEG", "application/octet-stream", "JPG"),
        ("shot.png", "image/bmp", "PNG"),
        ("screen", "image/jpeg", "JPG"),
    ],
)
def test_a_bmp_named_as_another_type_is_refused_saying_both(name, declared, claim) -> None:
    """Not only «Файлы BMP принимаются только в архиве»: the customer sent a JPG, as
    they believe, and is told why it is a BMP (a WebP so named is: «назван как JPG, ...»).
    A name that claims no type («screen») was not named so: its mail program sent it as one."""
    d = decide(name, declared, bmp_bytes(), POLICY)
    assert (d.accepted, d.kind, d.alike) == (False, "bmp", None)  # a line of its own
    verb = "назван" if "." in name else "отправлен"
    assert d.reason == (
        f"Файл {verb} как {claim}, но по содержимому это изображение BMP. Файлы BMP "
        "принимаются только в архиве ZIP или RAR: упакуйте файл архиватором и пришлите снова."
    )
    assert bmp_refused([d])


@pytest.mark.parametrize(
    ("name", "declared"), [("shot.bmp", "image/jpeg"), ("shot.bmp", None), (None, "image/jpeg")]
)
def test_a_bmp_named_as_one_keeps_the_reason_of_all_bare_bmps(name, declared) -> None:
    d = decide(name, declared, bmp_bytes(), POLICY)
    assert d.reason == f"{BMP_TEXT}: упакуйте файл архиватором и пришлите снова."
    assert d.alike is not None


def test_bmp_refused_only_for_bare_refused_bmp() -> None:
    ok = decide("shots.zip", None, zip_bytes({"shot.bmp": bmp_bytes()}), POLICY)
    exe = decide("setup.exe", None, EXE, POLICY)
    assert ok.accepted and not bmp_refused([ok, exe])


def test_a_bare_bmp_among_other_refused_files_is_still_asked_for_zipped() -> None:
    """The confirmation asks to send a bare BMP zipped when one is among the refused
    files it does not list (decision.py): a program refused beside it changes nothing."""
    exe = decide("setup.exe", None, EXE, POLICY)
    bmp = decide("shot.bmp", "image/bmp", bmp_bytes(), POLICY)
    assert not exe.accepted and not bmp.accepted
    assert bmp_refused([exe, bmp]) and bmp_refused([bmp, exe])


def test_other_types_refused_naming_allowed_ones() -> None:
    d = decide("setup.exe", "application/x-msdownload", EXE, POLICY)
    assert not d.accepted and d.kind == "other"
    assert d.content_type == "application/x-msdownload"
    for allowed in ("JPG", "GIF", "PNG", "ZIP", "RAR"):
        assert allowed in d.reason


def test_other_types_accepted_when_policy_says_so() -> None:
    d = decide(
        "log.txt",
        "text/plain; charset=utf-8",
        b"error at line 3",
        AttachmentPolicy(accept_other_types=True),
    )
    assert d.accepted and d.kind == "other" and d.content_type == "text/plain"


def test_honest_other_image_type_is_not_a_disguise() -> None:
    d = decide(
        "scan.tif", "image/tiff", b"II*\x00" + bytes(20), AttachmentPolicy(accept_other_types=True)
    )
    assert d.accepted and d.kind == "other"


def test_junk_declared_type_falls_back_to_octet_stream() -> None:
    d = decide("x.dat", "not a type\r\n", b"\x00\x01", POLICY)
    assert d.content_type == "application/octet-stream"


def test_empty_file_refused() -> None:
    d = decide("shot.png", "image/png", b"", AttachmentPolicy(accept_other_types=True))
    assert not d.accepted and d.kind == "empty"


def test_missing_name_gets_fallback_with_detected_extension() -> None:
    assert decide(None, None, png_bytes(), POLICY).filename == "attachment.png"
    assert decide("", None, RAR5, POLICY).filename == "attachment.rar"


def test_rar4_and_rar5_accepted_by_signature() -> None:
    for data in (RAR4, RAR5):
        d = decide("logs.rar", None, data, POLICY)
        assert d.accepted and d.kind == "archive" and d.content_type == "application/vnd.rar"


# --- sizes ----------------------------------------------------------------------------


def test_attachment_over_limit_refused_naming_limit_in_mb() -> None:
    data = png_bytes() + bytes(10 * MB)
    d = decide("big.png", None, data, POLICY)
    assert not d.accepted and d.kind == "image"
    assert "10\u00a0МБ" in d.reason


def test_fractional_limit_shown_with_decimal_comma() -> None:
    d = decide(
        "big.png",
        None,
        png_bytes() + bytes(3 * MB),
        AttachmentPolicy(max_attachment_bytes=5 * MB // 2),
    )
    assert "2,5\u00a0МБ" in d.reason


def test_decide_counts_bytes_already_accepted() -> None:
    policy = AttachmentPolicy(max_message_bytes=1000)
    assert decide("a.gif", None, GIF, policy, already_accepted_bytes=1000 - len(GIF)).accepted
    d = decide("a.gif", None, GIF, policy, already_accepted_bytes=1001 - len(GIF))
    assert not d.accepted and "1000\u00a0байт" in d.reason


def test_decide_all_refuses_everything_after_the_total_is_exceeded() -> None:
    policy = AttachmentPolicy(max_message_bytes=3000)
    big = png_bytes() + bytes(1200)
    parts = [
        ("a.png", None, big),
        ("b.png", None, big),
        ("c.png", None, big),
        ("d.gif", None, GIF),
        ("e.exe", None, EXE),
    ]
    got = decide_all(parts, policy)
    assert [d.accepted for d in got] == [True, True, False, False, False]
    assert "общий объём" in got[2].reason and "общий объём" in got[3].reason
    assert got[4].kind == "other" and "общий объём" not in got[4].reason  # its own reason


def test_a_file_refused_for_itself_after_the_total_does_not_reopen_the_message() -> None:
    # once the total is exceeded every later file is refused, however small: one
    # refused for a reason of its own (a program) between does not make room again
    policy = AttachmentPolicy(max_message_bytes=3000)
    big = png_bytes() + bytes(1200)
    parts = [("a.png", None, big), ("b.png", None, big), ("c.png", None, big)]
    parts += [("tool.exe", None, EXE), ("d.gif", None, GIF)]
    got = decide_all(parts, policy)
    assert [d.accepted for d in got] == [True, True, False, False, False]
    assert "общий объём" in got[4].reason


def test_decide_all_does_not_count_refused_attachments() -> None:
    policy = AttachmentPolicy(max_message_bytes=2000)
    parts = [("x.bmp", None, bmp_bytes(20, 20)), ("a.png", None, png_bytes() + bytes(1500))]
    assert [d.accepted for d in decide_all(parts, policy)] == [False, True]


def test_a_file_refused_for_itself_leaves_the_message_room_for_the_rest() -> None:
    # only the total refuses every later file: a file too big, cut short, of a type
    # not taken or a broken archive is refused alone
    policy = AttachmentPolicy(max_attachment_bytes=2000, max_message_bytes=100_000)
    parts = [
        ("big.png", None, png_bytes() + bytes(2001)),
        ("cut.png", None, png_bytes(4, 4)[:40]),
        ("tool.exe", None, EXE),
        ("broken.zip", None, b"PK\x03\x04" + bytes(100)),
        ("last.gif", None, GIF),
    ]
    got = decide_all(parts, policy)
    assert [d.accepted for d in got] == [False, False, False, False, True]
    assert not any("общий объём" in (d.reason or "") for d in got)


def test_limits_are_inclusive() -> None:
    data = png_bytes() + bytes(100)
    exact = AttachmentPolicy(max_attachment_bytes=len(data), max_message_bytes=len(data))
    assert decide("a.png", None, data, exact).accepted
    assert [d.accepted for d in decide_all([("a.png", None, data)], exact)] == [True]
    assert not decide("a.png", None, data + b"x", exact).accepted


def test_a_refused_file_without_a_name_is_named_by_what_it_is() -> None:
    assert decide(None, None, bmp_bytes(), POLICY).filename == "attachment.bmp"


def test_encrypted_files_are_told_apart_from_other_types() -> None:
    armored = b"\n-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----\n"
    for name, declared, data in [
        ("letter.asc", None, armored),  # inline PGP, by its armor
        ("smime.p7m", "application/pkcs7-mime", ENVELOPED),  # S/MIME: its CMS type says so
        ("smime.p7m", "application/octet-stream", ENVELOPED),  # by its name, then the type
    ]:
        d = decide(name, declared, data, POLICY)
        assert not d.accepted and d.kind == "encrypted", name
    assert decide("notes.txt", "text/plain", b"plain text", POLICY).kind == "other"


# The start of a CMS EnvelopedData (1.2.840.113549.1.7.3), cut: kind() reads no further.
ENVELOPED = b"0\x82\x05\x00\x06\t*\x86H\x86\xf7\r\x01\x07\x03" + bytes(40)


def test_a_p7m_is_encrypted_only_when_its_bytes_are_no_signed_data() -> None:
    """An S/MIME p7m is judged by its CMS content type, not by its MIME type: a signed
    one is not «зашифрован». One signed on its own (a CryptoPro-signed contract, which
    domain.smime leaves a file) is a file of a type not accepted, named as such; one
    that cannot be read (cut short, garbage) is said to be unreadable, asked again."""
    document = signed_data(der(0x04, b"%PDF-1.4 ..."))
    for name, data in [("договор.pdf.p7m", document), ("smime.p7c", signed_data(None))]:
        d = decide(name, "application/pkcs7-mime", data, POLICY)  # (certificates alone)
        assert (d.accepted, d.kind) == (False, "other")
        assert "(файл с электронной подписью) не принят" in d.reason
        assert "зашифрован" not in d.reason
    for data in (document[:-3], b"garbage, not DER at all"):
        for name, declared in [("smime.p7m", "application/x-pkcs7-mime"), ("a.p7m", None)]:
            d = decide(name, declared, data, POLICY)
            assert (d.accepted, d.kind) == (False, "corrupt"), name
            assert d.reason == f"Файл\u00a0«{name}» {UNREADABLE_P7M_TEXT}"
    other = AttachmentPolicy(accept_other_types=True)  # then a p7m is kept, as any file
    assert decide("smime.p7m", "application/pkcs7-mime", b"garbage", other).accepted


def test_a_name_with_an_extension_claims_that_type() -> None:
    d = decide("photo.jpg", "application/octet-stream", b"plain text, no picture", POLICY)
    assert not d.accepted and d.kind == "mislabelled" and "назван как JPG" in d.reason


def test_a_type_claimed_by_the_mail_program_alone_is_not_said_to_be_the_name() -> None:
    """A file named «screen» sent as image/png: the customer did not name it a PNG (the
    confirmation's line «screen: Файл назван как PNG» told them what was not so)."""
    d = decide("screen", "image/png", EXE, POLICY)
    assert not d.accepted and d.kind == "mislabelled"
    assert d.reason.startswith(
        "Файл\u00a0«screen» отправлен как PNG, но по содержимому им не является"
    )


# --- ZIP inspection -------------------------------------------------------------------


def test_normal_zip_with_bmp_inside_accepted() -> None:
    data = zip_bytes({"shots/shot1.bmp": bmp_bytes(50, 50), "readme.txt": "Привет".encode()})
    assert inspect_zip(data, POLICY) is None
    d = decide("shots.zip", "application/zip", data, POLICY)
    assert d.accepted and d.kind == "archive" and d.reason is None


def test_empty_zip_accepted() -> None:
    assert decide("empty.zip", None, zip_bytes({}), POLICY).accepted


def test_zipped_blank_bmp_screenshot_not_taken_for_a_bomb() -> None:
    # A 1920x1080 white BMP deflates ~1000x; it is the very thing customers must send.
    data = zip_bytes({"shot.bmp": bmp_bytes(1920, 1080)})
    assert inspect_zip(data, POLICY) is None


def test_300_mb_bomb_refused_by_listing_only() -> None:
    bomb = handmade_deflate_zip(b"zeros.bin", 300)
    assert len(bomb) < 400 * 1024
    (info,) = zipfile.ZipFile(io.BytesIO(bomb)).infolist()
    assert info.file_size == 300 * MB
    reason = inspect_zip(bomb, POLICY)
    assert reason is not None and "распакованном" in reason and "200\u00a0МБ" in reason
    d = decide("bomb.zip", None, bomb, POLICY)
    assert not d.accepted and d.kind == "archive"
    assert d.reason.startswith("Архив\u00a0«bomb.zip» не принят")


def test_handmade_bomb_builder_makes_a_valid_zip() -> None:
    # The same builder at 3 MB, fully extracted by zipfile: the CRC and sizes are right.
    with zipfile.ZipFile(io.BytesIO(handmade_deflate_zip(b"z.bin", 3))) as zf:
        assert zf.read("z.bin") == bytes(3 * MB)


def test_zip_total_uncompressed_limit() -> None:
    data = zeros_zip(3 * MB)
    assert inspect_zip(data, AttachmentPolicy(zip_max_total_uncompressed=3 * MB)) is None
    reason = inspect_zip(data, AttachmentPolicy(zip_max_total_uncompressed=2 * MB))
    assert reason is not None and "2\u00a0МБ" in reason


def test_zip_ratio_limit() -> None:
    data = zeros_zip(2 * MB)
    policy = AttachmentPolicy(zip_ratio_min_uncompressed=MB)
    # the customer reads what to do, not «похож на zip-бомбу»
    assert inspect_zip(data, policy) == UNCHECKABLE
    # the ratio is judged from that many unpacked bytes on, that many too
    assert inspect_zip(zeros_zip(MB), policy) == UNCHECKABLE
    assert UNCHECKABLE.endswith("пришлите, пожалуйста, файлы без архива или частями.")
    assert (
        inspect_zip(data, AttachmentPolicy(zip_ratio_min_uncompressed=MB, zip_max_ratio=10_000))
        is None
    )


def test_too_many_members() -> None:
    data = zip_bytes({f"f{i}.txt": b"x" for i in range(11)})
    assert inspect_zip(data, AttachmentPolicy(zip_max_members=11)) is None
    reason = inspect_zip(data, AttachmentPolicy(zip_max_members=10))
    assert reason is not None and "слишком много файлов" in reason


@pytest.mark.parametrize("copies", [3, 1])
def test_overlapping_members_refused(copies: int) -> None:
    # Several directory entries sharing one member's data: the overlapping zip bomb;
    # two sharing it already claim more packed bytes than the archive has.
    data = zip_bytes({"a.txt": bytes(range(256)) * 4}, zipfile.ZIP_STORED)
    data = with_central_copies(data, copies)
    assert len(zipfile.ZipFile(io.BytesIO(data)).infolist()) == 1 + copies
    assert inspect_zip(data, POLICY) == UNCHECKABLE


def test_nesting_up_to_the_limit_accepted_deeper_refused() -> None:
    policy = AttachmentPolicy(zip_max_nesting=2)
    assert inspect_zip(nested(3), policy) is None  # zip in zip in zip
    reason = inspect_zip(nested(4), policy)
    assert reason is not None and "вложенность" in reason
    assert reason.startswith("Вложенный архив «level3.zip/level2.zip/level1.zip»")


def test_nested_zip_found_by_content_not_name() -> None:
    data = zip_bytes({"data.bin": zip_bytes({"x.dat": nested(1)})})  # zip in zip in zip
    assert inspect_zip(data, AttachmentPolicy(zip_max_nesting=2)) is None
    assert inspect_zip(data, AttachmentPolicy(zip_max_nesting=1)) is not None


def test_limits_shared_with_nested_archives() -> None:
    inner = zip_bytes({f"f{i}.txt": b"x" for i in range(6)})
    data = zip_bytes({"a.zip": inner, "b.zip": inner})  # 2 + 12 members in all
    assert inspect_zip(data, AttachmentPolicy(zip_max_members=14)) is None
    assert inspect_zip(data, AttachmentPolicy(zip_max_members=13)) is not None


def test_bomb_inside_a_nested_zip_refused() -> None:
    data = zip_bytes({"inner.zip": zeros_zip(3 * MB)}, zipfile.ZIP_STORED)
    reason = inspect_zip(data, AttachmentPolicy(zip_max_total_uncompressed=2 * MB))
    assert reason is not None and reason.startswith("Вложенный архив «inner.zip»: архив слишком")


def test_unpacked_sizes_add_up_across_nested_archives() -> None:
    """A bomb split into nested archives, each under the unpacked limit, is as big
    unpacked as one: the sizes of every level add up (as the member counts do), or
    two archives of 1.5 MB inside one passed a limit of 2 MB."""
    inner = zeros_zip(3 * MB // 2)
    data = zip_bytes({"a.zip": inner, "b.zip": inner}, zipfile.ZIP_STORED)
    policy = AttachmentPolicy(zip_max_total_uncompressed=2 * MB, zip_max_ratio=10.0**6)
    assert inspect_zip(zip_bytes({"a.zip": inner}, zipfile.ZIP_STORED), policy) is None
    reason = inspect_zip(data, policy)
    assert reason is not None and reason.startswith("Вложенный архив «b.zip»: архив слишком")


def test_nested_zip_too_big_to_inspect_refused() -> None:
    data = zip_bytes(
        {"inner.zip": zip_bytes({"a.txt": bytes(range(256)) * 40}, zipfile.ZIP_STORED)}
    )
    reason = inspect_zip(data, AttachmentPolicy(max_attachment_bytes=5000))
    assert reason is not None and "слишком велик для проверки" in reason


def test_a_nested_zip_just_over_the_size_to_inspect_is_too_big_not_damaged() -> None:
    """A nested archive one byte over the size read is told as too big to check: read
    cut short, it would be told to the customer as damaged, which it is not."""
    inner = zip_bytes({"a.txt": bytes(range(256)) * 40}, zipfile.ZIP_STORED)
    data = zip_bytes({"inner.zip": inner}, zipfile.ZIP_STORED)
    reason = inspect_zip(data, AttachmentPolicy(max_attachment_bytes=len(inner) - 1))
    assert reason is not None and "слишком велик для проверки" in reason


def test_encrypted_members_are_fine() -> None:
    data = with_encrypted_flag(zip_bytes({"secret.zip": nested(3)}, zipfile.ZIP_STORED))
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x1
    # Not read, so not even its nesting is seen.
    assert inspect_zip(data, AttachmentPolicy(zip_max_nesting=1)) is None


@pytest.mark.parametrize(
    "data",
    [
        zip_bytes({"a.txt": b"hello" * 100})[:60],  # truncated: no central directory
        b"PK\x03\x04" + bytes(100),
        b"PK\x05\x06" + bytes(5),
    ],
    # named, not shown: the first holds a timestamp, and pytest-xdist's workers must
    # collect the same ids
    ids=["truncated", "local-header-only", "end-record-only"],
)
def test_corrupt_zip_refused_with_reason(data: bytes) -> None:
    assert inspect_zip(data, POLICY) == "Архив ZIP повреждён или не читается."
    d = decide("broken.zip", None, data, POLICY)
    assert not d.accepted and d.kind == "archive" and "повреждён" in d.reason


def test_corrupt_nested_zip_refused() -> None:
    inner = zip_bytes({"a.txt": b"hello world " * 50})[:-10]  # end record cut short
    data = zip_bytes({"inner.zip": inner}, zipfile.ZIP_STORED)
    assert (
        inspect_zip(data, POLICY)
        == "Вложенный архив «inner.zip»: архив ZIP повреждён или не читается."
    )


# --- file names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\shot.png", "shot.png"),
        ("shot\x00.png", "shot.png"),
        ("line\r\nbreak.png", "line break.png"),
        (".bashrc", "bashrc"),
        ("...", "attachment"),
        ("dir/", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        ("   ", "attachment"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),  # right-to-left override disguise
        ('a<b>:c|d?e*"f.png', "a_b__c_d_e__f.png"),
        ("CON.txt", "_CON.txt"),
        ("com1.log", "_com1.log"),
        ("LPT9.tar.gz", "_LPT9.tar.gz"),
        ("COM10.txt", "COM10.txt"),  # COM1 to COM9 only
        ("COM0.txt", "COM0.txt"),
        ("скриншот ошибки.png", "скриншот ошибки.png"),
        ("shot.png. ", "shot.png"),
    ],
)
def test_sanitize_filename(name: str | None, expected: str) -> None:
    assert sanitize_filename(name) == expected


def test_sanitize_filename_fallback() -> None:
    assert sanitize_filename(None, "attachment.png") == "attachment.png"
    assert sanitize_filename("", "../") == "attachment"


def test_long_name_cut_to_150_keeping_extension() -> None:
    name = sanitize_filename("x" * 300 + ".png")
    assert len(name) == 150 and name.endswith(".png")
    assert len(sanitize_filename("y" * 400)) == 150


@pytest.mark.parametrize("letters", [300, 140])
def test_long_cyrillic_name_fits_a_filesystem_name(letters: int) -> None:
    # 140 Cyrillic letters are within 150 characters but 280 bytes: over NAME_MAX (255)
    name = sanitize_filename("ы" * letters + ".jpeg")
    assert name.endswith(".jpeg") and len(name.encode("utf-8")) <= 255


# --- properties -----------------------------------------------------------------------


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"}


@given(st.one_of(st.none(), st.text(), st.text(st.sampled_from("./\\ \x00\r\n\u202eabcя"))))
def test_sanitize_filename_properties(name: str | None) -> None:
    result = sanitize_filename(name)
    assert result
    assert "/" not in result and "\\" not in result
    assert not result.startswith(".")
    assert not any(_is_control(ch) for ch in result)
    assert len(result) <= 150 and len(result.encode("utf-8")) <= 255


_MAGIC = [
    b"",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"BM",
    b"Rar!\x1a\x07\x00",
]
_VALID_ZIP = zip_bytes({"a.zip": zip_bytes({"b.bmp": bmp_bytes()}), "c.txt": b"hello" * 20})


@st.composite
def damaged_zip(draw: st.DrawFn) -> bytes:
    data = bytearray(_VALID_ZIP)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(1, len(data)))])


@settings(max_examples=300)
@given(
    name=st.one_of(st.none(), st.text()),
    declared=st.one_of(
        st.none(), st.text(), st.sampled_from(["image/png", "application/zip", "image/bmp"])
    ),
    data=st.one_of(
        st.binary(), st.builds(bytes.__add__, st.sampled_from(_MAGIC), st.binary()), damaged_zip()
    ),
    accept_other=st.booleans(),
)
def test_decide_never_raises(
    name: str | None, declared: str | None, data: bytes, accept_other: bool
) -> None:
    d = decide(name, declared, data, AttachmentPolicy(accept_other_types=accept_other))
    assert d.accepted == (d.reason is None)
    assert d.size == len(data)
    assert d.filename == sanitize_filename(d.filename)


def with_raw_names(data: bytes, names: dict[str, bytes]) -> bytes:
    """The archive with each ASCII placeholder name replaced by raw bytes of the same
    length, the UTF-8 flag unset: as an archiver writing a DOS code page stores it."""
    for placeholder, raw in names.items():
        assert len(placeholder) == len(raw)
        data = data.replace(placeholder.encode("ascii"), raw)
    return data


@pytest.mark.parametrize(
    "encoding",
    ["cp866", "utf-8"],  # Windows Explorer/WinRAR/7-Zip on a Russian Windows; macOS
)
def test_nested_archive_named_in_the_archivers_code_page(encoding: str) -> None:
    raw = "Отчёт.zip".encode(encoding)
    placeholder = "x" * (len(raw) - 4) + ".zip"
    data = with_raw_names(zip_bytes({placeholder: nested(3)}), {placeholder: raw})
    assert not zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x800
    reason = inspect_zip(data, AttachmentPolicy(zip_max_nesting=2))
    assert reason is not None and reason.startswith("Вложенный архив «Отчёт.zip/level2.zip")


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "shots/../../x.png",
        "/etc/cron.d/evil",
        "C:\\Windows\\evil.bmp",
        "..\\..\\autoexec.bat",
    ],  # fmt: skip
)
def test_zip_with_a_path_out_of_its_folder_refused(name: str) -> None:
    data = zip_bytes({"screen.png": png_bytes(), name: b"x"})
    reason = inspect_zip(data, POLICY)
    assert reason is not None and "небезопасным путём" in reason
    assert f"«{name}»" in reason
    inner = zip_bytes({"shots.zip": data}, zipfile.ZIP_STORED)
    assert "Вложенный архив «shots.zip»: в архиве есть файл с небезопасным" in inspect_zip(
        inner, POLICY
    )


@pytest.mark.parametrize(
    "name", ["shots/screen.bmp", "a..b.png", "..hidden/x.png", "dir/", "1:1.png", "a:b.png"]
)
def test_zip_with_relative_paths_accepted(name: str) -> None:
    assert inspect_zip(zip_bytes({name: b"x"}), POLICY) is None


def test_an_unsafe_path_is_shown_cut_to_100_characters() -> None:
    """The path of a member that unpacks outside its folder is the sender's to make as
    long as a ZIP allows (64 KB): the customer's reply and the site show at most its
    first 99 characters and «…», not a page of the sender's choosing."""
    name = "../" + "а" * 300 + ".png"
    reason = inspect_zip(zip_bytes({name: b"x"}), POLICY)
    assert reason is not None and f"«{name[:99]}…»" in reason
    assert "а" * 100 not in reason


ZIP_OF_A_PNG = zip_bytes({"screen.png": png_bytes()})


@pytest.mark.parametrize(
    ("name", "data", "kept_as"),
    [
        ("IMG_0001.HEIC", JPEG, "IMG_0001.jpg"),  # an iPhone photo its client made a JPEG
        ("screenshot.jpg", png_bytes(), "screenshot.png"),
        ("shot.bat", JPEG, "shot.jpg"),  # cmd.exe would run the lines after the JPEG bytes
        ("invoice.hta", GIF, "invoice.gif"),
        ("Скриншот.scr", JPEG, "Скриншот.jpg"),  # a screen saver is a program Windows runs
        ("tool.jar", ZIP_OF_A_PNG, "tool.zip"),
        ("Снимок экрана", png_bytes(), "Снимок экрана.png"),
        ("Отчёт за 1.5 года", png_bytes(), "Отчёт за 1.5 года.png"),
        ("photo.JPEG", JPEG, "photo.JPEG"),
        ("scan.jfif", JPEG, "scan.jfif"),
        ("report.docx", ZIP_OF_A_PNG, "report.docx"),  # Word's files are ZIP archives
        ("Бюджет.XLSM", ZIP_OF_A_PNG, "Бюджет.XLSM"),
        ("app.apk", ZIP_OF_A_PNG, "app.zip"),
        ("logs.rar", b"Rar!\x1a\x07\x00" + bytes(40), "logs.rar"),
        # macOS names a screenshot by its time: the seconds are no extension
        (
            "Снимок экрана 2026-12-04 в 10.15.32",
            png_bytes(),
            "Снимок экрана 2026-12-04 в 10.15.32.png",
        ),
        ("scan.001", JPEG, "scan.001.jpg"),
        ("план.v2", png_bytes(), "план.v2.png"),
        ("photo.Heic", JPEG, "photo.jpg"),
        ("отчёт.pdf", png_bytes(), "отчёт.png"),
        ("Отчёт 2026.12.04.pdf", png_bytes(), "Отчёт 2026.12.04.png"),  # the last dot's
    ],
)
def test_kept_file_named_by_what_it_is(name: str, data: bytes, kept_as: str) -> None:
    d = decide(name, "application/octet-stream", data, POLICY)
    assert d.accepted and d.filename == kept_as


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(max_size=60), st.text(st.sampled_from("Снимок .-_019pngjbatPDF"), max_size=40)
    )
)
def test_a_kept_name_loses_no_character_but_a_known_extension(name: str) -> None:
    """Whatever the name, the file's type's extension is added to it whole; only an
    ending that is a known file extension (extensions.KNOWN) gives way to it."""
    clean = sanitize_filename(name)
    kept = decide(name, "image/png", png_bytes(), POLICY).filename
    stem, _, ending = clean.rpartition(".")
    if kept not in (clean, clean + ".png"):
        assert kept == stem + ".png" and ending.lower() in KNOWN, (clean, kept)
    elif kept == clean:
        assert ending.lower() == "png"


@settings(max_examples=200)
@given(st.text(max_size=40), st.lists(st.integers(0, 999), min_size=1, max_size=3))
def test_numbers_after_the_last_dot_stay_in_the_name(stem: str, numbers: list[int]) -> None:
    """«… в 10.15.32», «версия 1.5», «scan.001»: a number is never an extension."""
    name = stem + "".join(f".{n}" for n in numbers)
    kept = decide(name, "image/jpeg", JPEG, POLICY).filename
    assert kept == sanitize_filename(name) + ".jpg"


def test_refused_file_keeps_the_name_the_customer_knows() -> None:
    d = decide("shot.bat", "image/jpeg", JPEG, AttachmentPolicy(max_attachment_bytes=10))
    assert not d.accepted and d.filename == "shot.bat" and "«shot.bat»" in d.reason


@pytest.mark.parametrize("cut", [40, -12, -6])  # in the header, before or in the end chunk
def test_png_cut_short_refused_asking_for_it_again(cut: int) -> None:
    d = decide("Снимок.png", "image/png", png_bytes(4, 4)[:cut], POLICY)
    assert not d.accepted and d.kind == "corrupt"
    assert d.reason == (
        "Файл\u00a0«Снимок.png» повреждён: изображение обрывается, не дойдя до конца "
        "(файл передан не полностью). Пришлите его, пожалуйста, ещё раз."
    )


def test_png_with_bytes_after_its_end_is_whole() -> None:
    assert decide("shot.png", None, png_bytes() + b"trailer", POLICY).accepted


def test_files_kept_from_one_message_have_names_of_their_own() -> None:
    """iPhone's Mail names every photo «image.jpeg»: staff saving them kept one."""
    parts = [
        ("image.jpeg", "image/jpeg", JPEG),
        ("image.jpeg", "image/jpeg", JPEG + b"1"),
        ("Image.JPEG", "image/jpeg", JPEG + b"2"),  # one name on Windows
        ("image.jpeg", "image/bmp", b""),  # refused: named as it came
        ("image (2).jpeg", "image/jpeg", JPEG + b"3"),
        ("image.jpeg", "image/jpeg", JPEG + b"4"),
    ]
    names = [d.filename for d in decide_all(parts, POLICY)]
    assert names == [
        "image.jpeg",
        "image (2).jpeg",
        "Image (3).JPEG",
        "image.jpeg",
        "image (2) (2).jpeg",
        "image (4).jpeg",
    ]


def test_a_long_name_numbered_keeps_its_number_and_extension() -> None:
    long = "Я" * 200 + ".png"
    first, second = decide_all([(long, None, png_bytes()), (long, None, png_bytes())], POLICY)
    assert second.filename.endswith(" (2).png") and second.filename != first.filename
    assert len(second.filename) <= 150 and len(second.filename.encode()) <= 255


HEIC = b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heicmiaf\x00\x00\x01\x00meta" + bytes(40)
AVIF = b"\x00\x00\x00\x20ftypavif\x00\x00\x00\x00avifmif1miafMA1B\x00\x00\x01\x00meta" + bytes(40)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + bytes(40)
TIFF = b"II*\x00\x08\x00\x00\x00" + bytes(40)
CONVERT = "Сохраните изображение в формате JPG или PNG и пришлите, пожалуйста, снова."


@pytest.mark.parametrize(
    ("name", "data", "shown"),
    [
        ("IMG_0001.HEIC", HEIC, "HEIC"),  # an iPhone's photo, its client not converting it
        ("photo.avif", AVIF, "AVIF"),
        ("Screenshot_20261125-101500.webp", WEBP, "WebP"),  # Android, or saved from a site
        ("scan.tif", TIFF, "TIFF"),
    ],
    ids=["heic", "avif", "webp", "tiff"],
)
def test_a_picture_of_another_format_is_named_and_the_customer_told_what_to_send(
    name: str, data: bytes, shown: str
) -> None:
    d = decide(name, "application/octet-stream", data, POLICY)
    assert not d.accepted and d.kind == "other"
    said = f"Файл\u00a0«{name}» (изображение {shown}) не принят. {ALLOWED_TEXT} {CONVERT}"
    assert d.reason == said


def test_a_webp_saved_as_jpg_is_named_for_what_it_is() -> None:
    """Browsers save a site's WebP picture as image.jpg: «not a JPG» alone said nothing."""
    d = decide("image.jpg", "image/jpeg", WEBP, POLICY)
    assert not d.accepted and d.kind == "mislabelled"
    assert d.reason == (
        "Файл\u00a0«image.jpg» назван как JPG, но по содержимому им не является: это изображение "
        f"WebP. {ALLOWED_TEXT} {CONVERT}"
    )


def bmp_with_header(dib_size: int, pixel_offset: int | None = None, pixels: bytes = b"") -> bytes:
    """A bitmap of any DIB header version: its size opens the header."""
    offset = 14 + dib_size if pixel_offset is None else pixel_offset
    dib = struct.pack("<I", dib_size) + bytes(dib_size - 4)
    return b"BM" + struct.pack("<IHHI", 14 + dib_size + len(pixels), 0, 0, offset) + dib + pixels


@pytest.mark.parametrize("dib_size", [12, 16, 40, 52, 56, 64, 108, 124])
def test_every_bitmap_header_version_is_a_bmp(dib_size: int) -> None:
    # OS/2 (12, 16, 64), Windows' BITMAPINFOHEADER (40) and its V2-V5 (52, 56, 108, 124):
    # each a bare BMP, refused even where other types are welcome
    data = bmp_with_header(dib_size, pixels=b"\xff" * 12)
    assert sniff_type(data) == "image/bmp"
    d = decide("scan.dat", None, data, AttachmentPolicy(accept_other_types=True))
    assert not d.accepted and d.kind == "bmp"


def test_text_starting_with_bm_is_no_bitmap() -> None:
    assert sniff_type(bmp_with_header(12)) == "image/bmp"  # 26 bytes: headers, no pixels
    assert sniff_type(bmp_with_header(12)[:25]) is None
    assert sniff_type(bmp_with_header(40, pixel_offset=53)) is None  # pixels in the header
    assert sniff_type(bmp_with_header(41)) is None  # no header is 41 bytes long
    assert sniff_type(b"BMW X5, 2019: " + "пробег 40 000 км".encode()) is None


def test_other_picture_formats_are_told_by_their_whole_signature() -> None:
    from maild.domain.filetypes import picture_format

    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40)  # RIFF, but sound
    assert picture_format(wav) is None
    # a HEIF brand among the compatible ones, after another major brand
    heic = b"\x00\x00\x00\x1cftypisom\x00\x00\x00\x00mp41heicmiaf" + bytes(40)
    assert picture_format(heic) == "HEIC"
    # TIFF in either byte order: Intel's II, and MM as a Mac or a scanner writes it
    assert picture_format(b"II*\x00\x08\x00\x00\x00" + bytes(40)) == "TIFF"
    assert picture_format(b"MM\x00*\x00\x00\x00\x08" + bytes(40)) == "TIFF"


def zip_with_link(name: str, target: str) -> bytes:
    """A ZIP made on Unix holding a symbolic link, as `zip -y` stores one, then a file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo(name)
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        zf.writestr(link, target)
        zf.writestr("screen.png", png_bytes())
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "target"), [("shots", "/etc/cron.d"), ("a/up", "../../home"), ("up", "..")]
)
def test_zip_with_a_link_out_of_its_folder_refused(name: str, target: str) -> None:
    reason = inspect_zip(zip_with_link(name, target), POLICY)
    assert reason is not None and f"ссылка с небезопасным путём («{name} → {target}»)" in reason


@pytest.mark.parametrize(("name", "target"), [("Current", "A"), ("a/b/lib", "../lib")])
def test_zip_with_a_link_within_its_folder_accepted(name: str, target: str) -> None:
    assert inspect_zip(zip_with_link(name, target), POLICY) is None


def test_zip_with_an_encrypted_link_accepted() -> None:
    # (zip -e -y) its target cannot be read without the password: kept as it is, as an
    # encrypted file is, not refused as an archive that «повреждён или не читается»
    assert inspect_zip(with_encrypted_flag(zip_with_link("shots", "/etc/cron.d")), POLICY) is None


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(40), "7z"),  # 7-Zip's own format
        (b"\x1f\x8b\x08\x00" + bytes(40), "GZIP"),
        (bytes(257) + b"ustar\x0000" + bytes(40), "TAR"),
    ],
    ids=["7z", "gzip", "tar"],
)
def test_an_archive_of_another_format_is_named_and_the_customer_told_what_to_send(
    data: bytes, shown: str
) -> None:
    d = decide("screens.7z", "application/x-7z-compressed", data, POLICY)
    assert d.reason == (
        f"Файл\u00a0«screens.7z» (архив {shown}) не принят. {ALLOWED_TEXT} "
        "Упакуйте, пожалуйста, файлы в архив ZIP или RAR и пришлите снова."
    )


@pytest.mark.parametrize(
    ("name", "declared", "shown"),
    [
        ("Договор.pdf", "application/pdf", "документ PDF"),
        ("Письмо клиента.msg", "application/vnd.ms-outlook", "письмо Outlook"),
        ("лог.txt", "text/plain", "текстовый файл"),
        ("запись экрана.mp4", "video/mp4", "видео"),
        ("setup.exe", "application/x-msdownload", "программа"),
        ("OpenPGP_0xABCDEF.asc", "application/pgp-keys", "ключ PGP"),
        # application/octet-stream (or a type no table holds): by the name's extension
        ("error.log", "application/octet-stream", "текстовый файл"),
        ("setup.exe", "application/octet-stream", "программа"),
        ("RE: Заказ 1234.msg", "application/octet-stream", "письмо Outlook"),
        ("Жалоба.eml", "application/octet-stream", "письмо"),
        ("base.1cd", "application/octet-stream", "файл 1CD"),
        ("data.bin", "application/x-weird", "файл BIN"),
        ("СКАН.PDF", "application/octet-stream", "документ PDF"),  # an extension in capitals
        ("деталь.step", "application/octet-stream", "файл STEP"),  # longer than three letters
        # the MIME type the client declared before the name's extension
        ("выписка.txt", "application/pdf", "документ PDF"),
        # nothing tells (a number is no extension): no MIME type named to the customer either
        ("XXXXnews", "application/octet-stream", "файл неизвестного типа"),
        ("план.dwg", "application/x-weird", "файл DWG"),
        ("отчёт.2024", "application/octet-stream", "файл неизвестного типа"),
    ],
)
def test_a_refused_file_is_named_by_its_kind_and_asked_for_packed(name, declared, shown) -> None:
    """«(application/vnd.ms-outlook) не принят», «(application/octet-stream) не принят»
    told a customer nothing, and no way forward: a ZIP or RAR of the file is taken."""
    d = decide(name, declared, b"%PDF-1.4 not a picture" * 3, POLICY)
    assert not d.accepted and d.reason == (
        f"Файл\u00a0«{sanitize_filename(name)}» ({shown}) не принят. {ALLOWED_TEXT} "
        "Упакуйте, пожалуйста, файл в архив ZIP или RAR и пришлите снова."
    )


def test_an_empty_file_asks_for_it_again() -> None:
    d = decide("скрин.png", "image/png", b"", POLICY)
    assert not d.accepted and d.kind == "empty"
    assert d.reason == (
        "Файл\u00a0«скрин.png» пуст (0\u00a0байт): видимо, он не приложился. "
        "Пришлите его, пожалуйста, ещё раз."
    )


_OOXML = "application/vnd.openxmlformats-officedocument."


@pytest.mark.parametrize(
    ("name", "declared", "kept_type"),
    [
        ("Прайс.xlsx", f"{_OOXML}spreadsheetml.sheet", f"{_OOXML}spreadsheetml.sheet"),
        ("Бюджет.XLSM", "application/vnd.ms-excel.sheet.macroEnabled.12",
         "application/vnd.ms-excel.sheet.macroenabled.12"),
        ("план.ods", "application/vnd.oasis.opendocument.spreadsheet",
         "application/vnd.oasis.opendocument.spreadsheet"),
        # a client that knows no type: the name's
        ("отчёт.docx", "application/octet-stream", f"{_OOXML}wordprocessingml.document"),
        ("отчёт.docx", "application/zip", f"{_OOXML}wordprocessingml.document"),
        ("отчёт.docx", "text/html", f"{_OOXML}wordprocessingml.document"),  # no other's
        ("книга.epub", "application/epub+zip", "application/epub+zip"),
        ("book.xlsm", None, "application/zip"),  # no table names it: the archive
        # the archives they are
        ("logs.zip", f"{_OOXML}spreadsheetml.sheet", "application/zip"),
        ("tool.jar", "application/java-archive", "application/zip"),
    ],
)  # fmt: skip
def test_a_document_built_on_a_zip_keeps_its_own_type(name, declared, kept_type) -> None:
    """Office Open XML, OpenDocument, EPUB are ZIP archives by their bytes: such a file
    is judged as the archive (the archive checks hold) and typed as the document it is
    (Прайс.xlsx reached the customer as application/zip)."""
    d = decide(name, declared, ZIP_OF_A_PNG, POLICY)
    assert d.accepted and d.kind == "archive" and d.content_type == kept_type


def test_a_document_built_on_an_unsafe_zip_is_refused_as_the_archive() -> None:
    d = decide(
        "отчёт.docx",
        f"{_OOXML}wordprocessingml.document",
        zip_bytes({"../a.png": png_bytes()}),
        POLICY,
    )
    assert not d.accepted and d.kind == "archive"
    assert d.content_type == f"{_OOXML}wordprocessingml.document"
