"""Other help desks' robots that do not say they are robots (no Auto-Submitted, no
Precedence): recognised by what they do, so two desks never acknowledge each other.

A sender is a robot on a ticket when, replying to our automatic mail, it
- carries another ticket system's tag in the subject ("[#117904]", "[Ticket#…]",
  "[RT #12]", RT's "[rtname #12]", "Case 00123", "Request #55", ServiceNow's
  "[INC0012345]", a Russian desk's "Заявка №12 зарегистрирована", Jira's "[SD-12]"), or
- answers faster than a person writes, again and again, with its canned text: the
  FAST_REPLIES-th reply in a row to our automatic mail within FAST_MINUTES of the mail
  it answers, each with words another such reply has too, or none of its own, and no
  new file (canned_run). A person adding details quickly («вот скриншот», «забыла:
  адрес сайта ...») writes new words or sends new files each time, and stays one; or
- answers our automatic mail with the same canned text however slowly: the
  SLOW_REPLIES-th reply in a row to it, canned alike (a desk answering in 40 minutes
  stays under every cap on automatic mail, and would loop with us for ever).
Pure: the ticket's thread records are passed in.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from maild.domain.ownside import staff_side
from maild.domain.quotes import trim_reply
from maild.domain.records import MessageRecord
from maild.domain.spam import domain_blockable
from maild.domain.spelling import routed_domain
from maild.domain.tid import WORD
from maild.domain.withdrawn import withdrawn_for, withdrawn_ids

__all__ = [
    "FOREIGN_TAG_RE",
    "answered",
    "answered_from_side",
    "auto_ids",
    "canned_run",
    "digest",
    "fast_reply",
    "folded",
    "own_text",
    "own_words",
    "robot_reason",
]

FAST_MINUTES = 5
# A person may answer an acknowledgement quickly once or twice ("and the log"); the
# third quick answer in a row to our automatic mail, saying what the others said, is a
# robot's. One that varies its words each round is never marked so: the bound on
# rounds of acknowledgements with no staff answer between (robotrounds.ACK_ROUNDS)
# ends that loop, which is what makes sparing people safe.
FAST_REPLIES = 3
# The same canned answer to our automatic mail, however slow, the fourth time in a row:
# a desk answering each of our mails in 40 minutes with its fixed text. A person who
# writes «когда будет ответ?» to our acknowledgements thrice is still one; one more
# such and staff get the notice that says how to undo the mark (#human)
SLOW_REPLIES = 4
# What own_words reads of a reply: a canned answer is short, and the cut costs a few ms
# whatever the text (quotes.trim_reply reads a pasted log at about a second a megabyte;
# a site's post of one is a fast reply too)
WORDS_CHARS = 10_000
_NUMBER_RE = re.compile(r"\d+")

# Russian desks' names of a ticket, nominative: "по заявке №5" (a customer's own words,
# in another case) is none of them
_RU_TICKET = r"(?:заявка|обращение|запрос|тикет)\s*(?:№|#)\s*\d+"
_RU_DONE = r"(?:зарегистрирован|принят|создан|получен|открыт)[аоы]?\b(?!\s*\?)"  # not asked
# ... at the start of a desk's subject: the «№» may be left out, the number may have
# letters before it (SR-12345) and a date after it (1C: «Обращение № 00000123 от
# 23.11.2026 зарегистрировано»)
_RU_NAMED = (
    r"(?:заявка|обращение|запрос|тикет)\s*(?:№|#)?\s*(?:[a-z]{1,6}-?)?\d+"
    r"(?:\s+от\s+\d{1,2}\.\d{1,2}\.\d{2,4}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)?"
)
# ServiceNow's numbers, as it writes them: INC0012345, RITM0012345, ...
_SNOW = r"(?-i:(?:INC|RITM|REQ|CHG|PRB|SCTASK|TASK|CS)\d{7,})"
# A Jira key, in capitals as Jira writes it (SD-123)
_JIRA_KEY = r"(?-i:[A-Z][A-Z0-9]{1,9}-\d+)"

# Our own tag is "[TID#…]": "TID" before the "#" keeps it out of every branch here, and
# so it does of the forms customers type by hand (tid.TAG_RE: "[TID№…]", "[TID …]"),
# the word in lookalikes too (tid.WORD: "[tІD # 48217730]" with a Ukrainian «І»).
FOREIGN_TAG_RE = re.compile(
    r"\[\s*(?:#|ticket\s*#|rt\s*#|case\s*#?|request\s*#?|req\s*#?|incident\s*#?)\s*:?\s*"
    r"[a-z0-9-]*\d[^\]]*\]"
    r"|\b(?:case|request)\s*(?:#|no\.?|№)?\s*:?\s*\d{3,}"
    r"|\bticket\s+(?:received|created|#\s*\d+)"
    # ServiceDesk Plus "[Request ID :##12345##]"; Zendesk "Request received: ..." and
    # RT's "RT #123: ..." at the start (a customer's prose may name «RT #123» anywhere)
    r"|\[\s*request\s+id\s*:?\s*##\s*\d+\s*##\s*\]"
    r"|^\s*(?:request\s+received|rt\s*#\s*\d+)\s*:"
    # ServiceNow "[INC0012345]", "Incident INC0012345 ..."; HappyFox "#ABC00012345", its
    # zero-padded counter after capitals (a customer's «заказ #5» is none)
    rf"|\[\s*{_SNOW}\s*\]|\b(?:incident|инцидент)\s*:?\s*{_SNOW}"
    r"|(?<![\w#])(?-i:#[A-Z]{2,5}00\d{6})\b"
    # RT: "[rtname #123]" (rtname a host name or a word: tickets.keeper.htb, DNS-FW)
    rf"|\[\s*(?!{WORD}\b)[a-z0-9][\w.-]*\s+#\s*\d+\s*\]"
    # a Russian desk's confirmation: "[Заявка №123]", "Заявка №123 зарегистрирована" (at
    # the start or after "Ваша"), "Создана заявка №123"
    rf"|\[\s*{_RU_TICKET}[^\]]*\]"
    rf"|(?:^|\bваш[аеи]?\s+){_RU_NAMED}[\s:,.-]*(?:успешно\s+)?{_RU_DONE}"
    rf"|\b{_RU_DONE}\s+(?:ваш[аеи]?\s+|нов(?:ая|ое|ый)\s+)?{_RU_TICKET}"
    # Jira: "[SD-123]", "[JIRA] (SD-123)" (bare, "XR-500 не включается" may be a
    # model's name: a customer's rewritten subject made them a robot); not our own tag
    # typed without its "#" or with a dash for it, "[TID4821-7730]", "[TID-48217730]"
    rf"|\[\s*(?!TID-?\d{{4}}-?\d{{4}}\s*\]){_JIRA_KEY}\s*\]|\[jira\]\s*\(\s*{_JIRA_KEY}\s*\)",
    re.IGNORECASE,
)


def auto_ids(messages: Iterable[MessageRecord], staff: Iterable[str]) -> dict[str, datetime]:
    """Message-ID -> time of our automatic mail to customers in this thread: each copy's
    (one per recipient, ``copies``), which is what a robot's answer names; not a copy
    withdrawn from the outbox (domain.withdrawn): it never went, no one answers it."""
    staff = staff_side(staff)
    out = {}
    for m in messages:
        if m.get("direction") != "out" or m.get("kind") not in ("confirmation", "notice"):
            continue
        if m.get("message_id") and not staff.holds(m.get("to") or ()):
            at = datetime.fromisoformat(m["received_at"])
            gone = withdrawn_ids(m)
            for mid in (m["message_id"], *(m.get("copies") or {}).values()):
                if mid not in gone:
                    out[mid] = at
    return out


def answered(
    refs: Iterable[str], sender: str, messages: list[MessageRecord], staff: Iterable[str]
) -> datetime | None:
    """When our automatic mail that this message answers was sent, or None.

    Named in In-Reply-To/References; a message naming nothing (some robots drop the
    headers and keep our tag) answers the last mail the thread sent this sender, if
    that was automatic."""
    refs = list(refs)
    ours = auto_ids(messages, staff)
    times = [ours[r] for r in refs if r in ours]
    if times:
        return max(times)
    if refs:
        return None
    last = next(
        (
            m
            for m in reversed(messages)
            if m.get("direction") == "out"
            and sender in (m.get("to") or ())
            and not withdrawn_for(m, sender)  # (never went to them)
        ),
        None,
    )
    return ours.get(last["message_id"]) if last and last.get("message_id") else None


def answered_from_side(
    refs: Iterable[str], sender: str, messages: list[MessageRecord], staff: Iterable[str]
) -> datetime | None:
    """When our automatic mail that a stranger's message naming this ticket answers
    was sent, or None: that mail went to another address, as another desk's robot
    writes from a new address each round (ticket-1001@, ticket-1002@, ...).

    Named in In-Reply-To/References; a message naming none of the thread's mail
    (a robot that threads by our tag alone) answers the last mail the thread sent
    the sender's side, an address at its domain (in either spelling: routed_domain),
    if all the thread sent there was automatic: each round's confirmation went to the
    robot's last address, and its answer came from the next. Not so once a person
    (staff) wrote there, whatever automatic mail went after, and never at a free-mail
    service (spam.FREE_MAIL), whose users are no one side. A message naming a mail of the
    thread that was no automatic one (a staff answer) answers a person."""
    refs = list(refs)
    ours = auto_ids(messages, staff)
    times = [ours[r] for r in refs if r in ours]
    if times:
        return max(times)
    if set(refs) & _thread_ids(messages):
        return None
    side, staff = _domain(sender), set(staff)
    if not side or not domain_blockable(sender):  # gmail.com's users are no one side
        return None
    last = None
    for m in messages:
        went = [a for a in m.get("to") or () if a not in staff and not withdrawn_for(m, a)]
        if m.get("direction") != "out" or not any(_domain(a) == side for a in went):
            continue
        ids = (m.get("message_id"), *(m.get("copies") or {}).values())
        last = next((ours[i] for i in ids if i in ours), None)
        if last is None:  # a person wrote there (a staff answer): a person may answer
            return None  # by the tag alone, whatever automatic mail went after it
    return last


def _thread_ids(messages: list[MessageRecord]) -> set[str]:
    """Every Message-ID the thread holds: its mail's, and each copy's of ours."""
    ids = {m.get("message_id") or "" for m in messages}
    for m in messages:
        ids.update((m.get("copies") or {}).values())
    return ids - {""}


def _domain(address: str) -> str:
    """The domain of ``address`` as mail is routed to it, "" without one."""
    _local, at, domain = address.rpartition("@")
    return routed_domain(domain) if at and domain else ""


def robot_reason(
    *,
    sender: str,
    subject: str,
    refs: Iterable[str],
    received_at: datetime,
    messages: list[MessageRecord],
    staff: Iterable[str],
    own_subject: str = "",
    words: str = "",
    files: bool = False,
) -> str | None:
    """Why this message shows its sender to be a robot, or None. `own_subject`: the
    ticket's subject, as its customer wrote it: a tag it holds ("Problem with Case
    12345") is the customer's own, kept by their mail client in every reply, and no
    sign of another desk. `words`: the message's own_words; `files`: whether it
    brings a file accepted (a new one: the ticket's files are left out before)."""
    when = answered(refs, sender, messages, staff)
    if when is None:
        return None  # a reply to a person, or no reply at all: people write those
    theirs = {_tag_key(t) for t in FOREIGN_TAG_RE.findall(own_subject or "")}
    tag = next(
        (t for t in FOREIGN_TAG_RE.findall(subject or "") if _tag_key(t) not in theirs), None
    )
    if tag:
        # no brackets of its own: staff read it in brackets («робот (…)», «(причина — …)»)
        return f"ответ робота другой системы заявок: в теме «{tag.strip()}»"
    fast = received_at - when <= timedelta(minutes=FAST_MINUTES)
    run = canned_run(sender, messages, words, files) if fast else 0
    if run >= FAST_REPLIES:
        return (
            f"ответ робота: {run}-й ответ подряд на автоматическое письмо "
            f"быстрее чем через {FAST_MINUTES} минут"
        )
    run = canned_run(sender, messages, words, files, slow=True)
    if run >= SLOW_REPLIES:
        return f"ответ робота: {run}-й ответ подряд на автоматическое письмо одним и тем же текстом"
    return None


def _tag_key(tag: str) -> str:
    """A foreign tag as compared: case and spacing aside."""
    return " ".join(tag.split()).casefold()


def own_words(text: str) -> str:
    """What a robot's canned answer keeps from round to round, as a short digest: the
    reply's own text (its quoted history cut: quotes.trim_reply), every number masked
    (the ticket numbers, dates and times of each round), case and spacing folded; ""
    when it has no text of its own. A reply to our automatic mail keeps it on its record
    ("fast_words", the name it had when only fast ones did; on a record it says the
    message answered that mail, fast or slow): a digest, not its text twice."""
    own = own_text(text)
    return digest(own) if own else ""


def own_text(text: str) -> str:
    """The reply's own text as own_words digests it: quoted history cut, numbers
    masked, case and spacing folded."""
    return folded(trim_reply(text[:WORDS_CHARS], fallback=False))


def folded(text: str) -> str:
    """Text as a robot repeats it from round to round: every number masked, case and
    spacing folded."""
    return " ".join(_NUMBER_RE.sub("0", text).casefold().split())


def digest(text: str) -> str:
    """A short digest of a robot's text, kept on records instead of the text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def canned_run(
    sender: str, messages: list[MessageRecord], words: str, files: bool, *, slow: bool = False
) -> int:
    """How many of the sender's latest fast replies to our automatic mail (`slow`: its
    replies to it however slow), this one (its own_words `words`, whether it brings an
    accepted file: `files`) the last, in a row are canned: no new file, and words that
    another reply of the run (the sender's such replies in a row) has too, or none of
    their own. A reply with new words or new files breaks it: a person adding details.
    The first of a robot's answers counts once the next repeats it: its same answer
    thrice is a run of three."""
    run = [(words, files)]
    for m in reversed(messages):
        if m.get("direction") != "in" or m.get("from") != sender:
            continue
        if not (m.get("fast_reply_to_auto") or slow and "fast_words" in m):  # (own_words)
            break  # a person who once answered quickly, then took their time
        run.append((_words_of(m), any(a.get("accepted") for a in m.get("attachments") or ())))
    seen = Counter(w for w, _ in run)
    n = 0
    for w, new_file in run:  # this one first
        if new_file or (w and seen[w] < 2):
            break
        n += 1
    return n


def _words_of(m: MessageRecord) -> str:
    """A reply's own_words: kept on its record, made of its text on one stored
    before records kept them."""
    kept = m.get("fast_words")
    return kept if kept is not None else own_words(m.get("text") or "")


def fast_reply(
    refs: Iterable[str],
    sender: str,
    received_at: datetime,
    messages: list[MessageRecord],
    staff: Iterable[str],
) -> bool | None:
    """Whether this message answers our automatic mail within FAST_MINUTES: True;
    later: False; None when it answers no automatic mail of ours."""
    when = answered(refs, sender, messages, staff)
    return None if when is None else received_at - when <= timedelta(minutes=FAST_MINUTES)
