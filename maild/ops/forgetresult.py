"""What `maild forget` erased, and what it could not: `ForgetResult`, counted as the run
goes (the tickets, spool copies, attachment files, outbox mail, held and waiting
mail, backups' stages) and said by `--json` as its keys (`as_json`); where the address
stands in a text, their ids renamed so far counted in (`mention`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from maild.domain.forget import Erasure, mention
from maild.domain.forgetmention import Mention


@dataclass
class ForgetResult:
    address: str
    tickets: list[Erasure] = field(default_factory=list)
    spool_copies: int = 0  # deleted: copies of their own mail
    spool_scrubbed: int = 0  # kept: others' mail, the address replaced
    attachment_files: int = 0
    outbox_mails: int = 0
    licenses: list[str] = field(default_factory=list)  # still name the address
    held: int = 0  # quarantine entries and unconfirmed site submissions of theirs
    set_aside: int = 0  # copies `fsck --repair` kept in lost+found/ that hold the address
    waiting: int = 0  # mail in spool/new or spool/bad that holds the address
    stages: int = 0  # staging folders of backups that did not finish (store copies)
    backups: list[str] = field(default_factory=list)  # pids of backups waited for
    named: re.Pattern[str] | None = None  # their display names (forgetnamed.known_names)
    id_heads: set[str] = field(default_factory=set)  # of their ids renamed (domain id_head)

    @property
    def mention(self) -> Mention:
        """Where the address stands in a text (domain.forget.mention): alone, or ending
        an id of theirs renamed so far."""
        return mention(self.address, self.id_heads)

    def as_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "tickets": [
                {
                    "tid": e.tid,
                    "messages_erased": e.messages,
                    "attachments_erased": len(e.attachments),
                    "spool_copies": len(e.spool_keys),
                    "address_replaced": e.replaced,
                }
                for e in self.tickets
            ],
            "spool_copies_removed": self.spool_copies,
            "spool_copies_scrubbed": self.spool_scrubbed,
            "attachment_files_removed": self.attachment_files,
            "outbox_mails_erased": self.outbox_mails,
            "licenses_naming_it": self.licenses,
            "held_removed": self.held,
            "set_aside_removed": self.set_aside,
            "waiting_erased": self.waiting,
            "backup_stages_removed": self.stages,
            "backups_waited_for": self.backups,
        }
