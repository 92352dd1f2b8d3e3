"""STARTTLS on the SMTP listener (`[smtp] tls_cert`, `tls_key`). A listener facing
the internet on port 25 must offer it: without it every customer's mail crosses the
network in clear, and senders that send only over TLS cannot deliver at all. Behind
postfix on the loopback it is not needed."""

from __future__ import annotations

import ssl

from maild.configtypes import SmtpConfig


def server_context(smtp: SmtpConfig) -> ssl.SSLContext | None:
    """The listener's TLS context, None when no certificate is set; raises OSError or
    ssl.SSLError when the files do not load (tls_problem says which)."""
    if not smtp.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(smtp.tls_cert, smtp.tls_key)
    return context


def tls_problem(smtp: SmtpConfig | None) -> str | None:
    """One line naming the key and its file when the certificate or its key cannot be
    loaded by this process (check-config; `maild serve` exits 78 on it), else None."""
    if smtp is None or not smtp.tls_cert:
        return None
    for key, file in (("smtp.tls_cert", smtp.tls_cert), ("smtp.tls_key", smtp.tls_key)):
        try:
            with open(file, "rb"):
                pass
        except OSError as e:
            return f"{key}: cannot read {file}: {e.strerror or e}"
    try:
        server_context(smtp)
    except (OSError, ssl.SSLError) as e:
        reason = getattr(e, "reason", None) or e
        return (
            f"smtp.tls_cert and smtp.tls_key: {smtp.tls_cert} and {smtp.tls_key} are not "
            f"a certificate (PEM, the chain after it) and its private key: {reason}"
        )
    return None
