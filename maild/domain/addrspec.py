"""One mailbox's address as SMTP carries it and a relay takes it (valid_addr_spec):
what maild stores and mails. addresses.py reads address headers with it."""

from __future__ import annotations

import re

__all__ = ["valid_addr_spec"]

# An addr-spec as SMTP carries it (RFC 5321 4.1.2 Mailbox; RFC 6531 lets both parts
# hold UTF-8): a dot-string or a quoted string, "@", a domain of dot-separated labels
# (letters, digits, hyphens; "_" as some hosts are named) or an address literal. The
# dots of a local part may stand anywhere, as in the obsolete syntax (RFC 5322 4.4)
# some mailboxes were given in («a..b@», «taro.@»), which relays still carry.
# Each class is written as what it leaves out, so that "any character beyond ASCII" costs
# nothing to compile: spelled as the range \x80-\U0010ffff inside a class, the pattern is
# slow to compile, and every maild process does (tests/unit/test_addresses.py: equal).
_ATEXT = r"[^\x00-\x20\x22(),.:;<>@\[\\\]\x7f]"  # atext, and any non-ASCII
_ATEXT_OR_DOT = r"[^\x00-\x20\x22(),:;<>@\[\\\]\x7f]"
_LABEL = r"[^\x00-\x2c./:-@\[-^`{-\x7f]+"  # letters, digits, "_", "-", any non-ASCII
_QTEXT = r"[^\x00-\x1f\x22\\\x7f]"  # printable ASCII but '"' and "\\", any non-ASCII
_ADDR_SPEC = re.compile(
    rf'(?:{_ATEXT_OR_DOT}*{_ATEXT}{_ATEXT_OR_DOT}*|"(?:{_QTEXT}|\\[ -~])*")'
    rf"@(?:{_LABEL}(?:\.{_LABEL})*|\[[!-Z^-~]*\])"
)


def valid_addr_spec(addr: str) -> bool:
    """Whether `addr` is one mailbox's address a relay takes (_ADDR_SPEC, within RFC 5321's
    and 1035's lengths), no U+FFFD (undecoded bytes) nor control, format or space character
    beyond ASCII (a bidi override, a no-break space) in it: what may be stored and mailed."""
    if len(addr) > 254 or "\ufffd" in addr or _ADDR_SPEC.fullmatch(addr) is None:
        return False
    # a label's 63 octets (RFC 1035): a non-ASCII one's as its IDNA A-label (xn--, punycode:
    # a digit a character at least, so past 59 too long unencoded: its cost is quadratic)
    labels = addr.rpartition("@")[2].split(".")
    if any(len(w) > 59 and not w.isascii() for w in labels):
        return False
    octets = [len(w) if w.isascii() else 4 + len(w.lower().encode("punycode")) for w in labels]
    return max(octets) <= 63 and (addr.isascii() or addr.isprintable())
