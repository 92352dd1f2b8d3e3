"""S/MIME mail made by the real openssl, with a throwaway self-signed certificate: what
Outlook sends with clear-text signing off (opaque-signed, smime.p7m), DER or BER, and
encrypted mail. Import the `smime` fixture in conftest; without openssl its tests skip."""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Smime:
    openssl: str
    cert: Path
    key: Path

    def _run(self, *args: str | Path, data: bytes) -> bytes:
        p = subprocess.run([self.openssl, *args], input=data, capture_output=True, timeout=30)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        return p.stdout

    def sign(self, content: bytes, *, ber: bool = False) -> bytes:
        """A CMS SignedData holding ``content`` (`openssl cms -sign -nodetach`): DER, or
        with ``ber`` streamed BER (`-stream`: open lengths, the content in 4 KB chunks)."""
        stream = ("-stream",) if ber else ()
        return self._run(
            "cms", "-sign", "-nodetach", "-binary", "-outform", "DER", *stream,
            "-md", "sha256", "-signer", self.cert, "-inkey", self.key, data=content,
        )  # fmt: skip

    def signed_mail(self, content: bytes) -> bytes:
        """`openssl smime -sign -nodetach`: its MIME header (application/x-pkcs7-mime;
        smime-type=signed-data; name="smime.p7m") and the base64 of the SignedData."""
        return self._run(
            "smime", "-sign", "-nodetach", "-signer", self.cert, "-inkey", self.key,
            data=content,
        )  # fmt: skip

    def encrypt(self, content: bytes) -> bytes:
        """A CMS EnvelopedData of ``content`` for the certificate's key (DER)."""
        return self._run(
            "cms", "-encrypt", "-binary", "-outform", "DER", "-aes256", self.cert, data=content
        )


@pytest.fixture(scope="session")
def smime(tmp_path_factory) -> Smime:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("smime")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", cert, "-days", "3650", "-subj", "/CN=Test Signer/emailAddress=anna@example.com"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return Smime(openssl, cert, key)


def p7m_part(der: bytes, ctype: str = "application/pkcs7-mime", name: str = "smime.p7m") -> str:
    """A MIME part (header and base64 body, CRLF) carrying a p7m as Outlook writes it."""
    return (
        f'Content-Type: {ctype}; smime-type=signed-data; name="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'
        + base64.encodebytes(der).decode().replace("\n", "\r\n")
    )


# -- CMS built by hand, byte by byte (X.690), for what openssl does not write ---------

OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")
OID_ENVELOPED_DATA = bytes.fromhex("06092a864886f70d010703")
OID_DATA = bytes.fromhex("06092a864886f70d010701")


def der(tag: int, *content: bytes) -> bytes:
    """An element of definite length (DER's form)."""
    body = b"".join(content)
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | (n.bit_length() + 7) // 8])
    if n >= 0x80:
        length += n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body


def constructed(tag: int, *content: bytes) -> bytes:
    """A constructed element of definite length (DER's form)."""
    return der(tag | 0x20, *content)


def ber(tag: int, *content: bytes) -> bytes:
    """A constructed element of open length, closed by end-of-contents (BER)."""
    return bytes([tag | 0x20, 0x80]) + b"".join(content) + b"\x00\x00"


def chunked(data: bytes, size: int) -> bytes:
    """An OCTET STRING in chunks of ``size`` bytes, as a streaming encoder writes it."""
    return ber(0x04, *(der(0x04, data[i : i + size]) for i in range(0, len(data), size)))


def signed_data(econtent: bytes | None, *, open_length: bool = False, tail: bytes = b"") -> bytes:
    """A ContentInfo of a SignedData whose encapContentInfo holds ``econtent`` (an
    OCTET STRING's whole encoding; None: detached, none), signerInfos empty; all of
    open length with ``open_length``. ``tail``: elements before signerInfos."""
    make = ber if open_length else constructed
    encap = [OID_DATA] + ([] if econtent is None else [make(0xA0, econtent)])
    content = make(
        0x10,
        der(0x02, b"\x01"),
        make(0x11, make(0x10, bytes.fromhex("0609608648016503040201"))),  # sha-256
        make(0x10, *encap),
        tail,
        make(0x11),
    )
    return make(0x10, OID_SIGNED_DATA, make(0xA0, content))
