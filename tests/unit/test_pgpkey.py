"""The public key a mail client attaches by itself (Thunderbird's OpenPGP_0x….asc)."""

from __future__ import annotations

from maild.domain.pgpkey import sent_key

KEY = (
    b"-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\nxsBNBGF=\r\n"
    b"-----END PGP PUBLIC KEY BLOCK-----\r\n"
)


def test_a_public_key_is_told_by_its_armour_and_its_type_or_name() -> None:
    assert sent_key("OpenPGP_0xABCDEF.asc", "application/pgp-keys", KEY)
    assert sent_key(None, "application/pgp-keys", b"\r\n" + KEY)
    assert sent_key("0xABCDEF.ASC", "application/octet-stream", KEY)  # Enigmail, untyped
    # a name folded or encoded with a space at its end is the same .asc file
    assert sent_key("0xABCDEF.asc ", "application/octet-stream", KEY)


def test_a_key_saved_with_a_byte_order_mark_is_still_a_key() -> None:
    """A key file saved by Windows Notepad starts with UTF-8's byte order mark: it is
    the same armoured key, so it is not listed to the customer as a refused file."""
    assert sent_key("mykey.asc", "application/octet-stream", b"\xef\xbb\xbf" + KEY)


def test_anything_else_is_a_file() -> None:
    assert not sent_key("key.txt", "text/plain", KEY)  # no key's type or name
    assert not sent_key("OpenPGP_0xAB.asc", "application/pgp-keys", b"not a key")
    signature = b"-----BEGIN PGP SIGNATURE-----\r\n\r\nwsF5\r\n-----END PGP SIGNATURE-----\r\n"
    assert not sent_key("OpenPGP_signature.asc", "application/octet-stream", signature)
    message = b"-----BEGIN PGP MESSAGE-----\r\n\r\nhQEM\r\n-----END PGP MESSAGE-----\r\n"
    assert not sent_key("encrypted.asc", "application/octet-stream", message)
