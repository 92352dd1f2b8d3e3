"""maild.ops.forgetresult: what `maild forget --json` says it erased, each count under
its own key (README: the `forget` row of the JSON outputs), and where the address
stands once ids of theirs are renamed."""

from __future__ import annotations

from maild.domain.forget import PLACEHOLDER, Erasure
from maild.ops.forgetresult import ForgetResult


def test_each_count_is_said_under_its_own_key() -> None:
    """Every figure differs, so a count said under another's key (copies deleted as
    scrubbed, say) or left out shows."""
    e = Erasure("1234-5678", theirs=True, messages=3, attachments=["a", "b"], replaced=7)
    e.spool_keys = ["k1", "k2", "k3", "k4"]
    result = ForgetResult(
        "ivan@shop.ru",
        tickets=[e],
        spool_copies=11,
        spool_scrubbed=12,
        attachment_files=13,
        outbox_mails=14,
        licenses=["LIC-1"],
        held=15,
        set_aside=16,
        waiting=17,
        stages=18,
        backups=["4242"],
    )
    assert result.as_json() == {
        "address": "ivan@shop.ru",
        "tickets": [
            {
                "tid": "1234-5678",
                "messages_erased": 3,
                "attachments_erased": 2,
                "spool_copies": 4,
                "address_replaced": 7,
            }
        ],
        "spool_copies_removed": 11,
        "spool_copies_scrubbed": 12,
        "attachment_files_removed": 13,
        "outbox_mails_erased": 14,
        "licenses_naming_it": ["LIC-1"],
        "held_removed": 15,
        "set_aside_removed": 16,
        "waiting_erased": 17,
        "backup_stages_removed": 18,
        "backups_waited_for": ["4242"],
    }


def test_the_address_ending_an_id_of_theirs_renamed_is_found() -> None:
    """Ivan's client made <1700000000.ivan@shop.ru>; once that head is known, a reply's
    In-Reply-To naming it is found, and another's address ending alike is not."""
    result = ForgetResult("ivan@shop.ru", id_heads={"<1700000000."})
    line = "In-Reply-To: <1700000000.ivan@shop.ru> <1.petr.ivan@shop.ru>"
    assert result.mention.sub(PLACEHOLDER, line) == (
        f"In-Reply-To: <1700000000.{PLACEHOLDER}> <1.petr.ivan@shop.ru>"
    )
