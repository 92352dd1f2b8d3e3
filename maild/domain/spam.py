"""The MTA's spam verdict, and the block list: is this mail for the quarantine?

Pure: headers, the trusted verdict names and the block list are passed in. Each
verdict names the header it came from, so staff see why in `maild spam list`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from maild.domain.authres import first_of_ours, results

__all__ = ["blocked_by", "verdict"]

# rspamd's actions that mean "spam" (greylist and soft reject are delays, not verdicts)
RSPAMD_SPAM_ACTIONS = ("reject", "add header", "rewrite subject")


def _first(headers: Mapping[str, tuple[str, ...]], name: str) -> str:
    values = headers.get(name) or ()
    return values[0].strip().lower() if values else ""


def verdict(
    headers: Mapping[str, tuple[str, ...]], trusted: Iterable[str], authserv_id: str | None
) -> str | None:
    """The reason this mail is spam per a trusted verdict, or None.

    "dmarc" counts only with `authserv_id`, and only in the first Authentication-Results
    of that server (the one our MTA put on top; lower ones came with the message)."""
    trusted = set(trusted)
    if "x-spam-flag" in trusted and _first(headers, "x-spam-flag") == "yes":
        return "spam: X-Spam-Flag: YES"
    status = _first(headers, "x-spam-status")
    if "x-spam-status" in trusted and (status == "yes" or status.startswith(("yes,", "yes "))):
        return "spam: X-Spam-Status: Yes"
    if "x-spam" in trusted and _first(headers, "x-spam") in ("yes", "true"):
        return "spam: X-Spam: Yes"
    action = " ".join(_first(headers, "x-rspamd-action").split())
    if "x-rspamd-action" in trusted and action in RSPAMD_SPAM_ACTIONS:
        return f"spam: X-Rspamd-Action: {action}"
    if "dmarc" in trusted and authserv_id:
        ours = first_of_ours(headers.get("authentication-results", ()), authserv_id)
        if ours is not None and ("dmarc", "fail") in results(ours):
            return "spam: dmarc=fail"
    return None


def blocked_by(address: str, entries: Iterable[str]) -> str | None:
    """The block-list entry that covers ``address`` (the address itself, its domain,
    or a parent domain), or None."""
    address = address.strip().lower()
    if not address:
        return None
    domain = address.rpartition("@")[2]
    for entry in entries:
        e = entry.strip().lower().lstrip("@")
        if "@" in e:
            if e == address:
                return entry
        elif e and (domain == e or domain.endswith("." + e)):
            return entry
    return None
