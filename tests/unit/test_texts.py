"""What people read: every count next to a noun agrees with it (1 день, 2 дня,
5 дней, 11 дней, 21 день), in the shipped templates, the site and the domain's texts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from maild.domain.caps import Caps, cap_reached
from maild.domain.filerules import NAMES as FILE_TYPES
from maild.domain.filetypes import size_text
from maild.domain.mailnames import NAMES, mail_name, unsent_note
from maild.domain.plural import ru_count
from maild.domain.sla import LEVELS
from maild.render import Renderer
from maild.web.pages import size_ru
from tests.helpers import support_config

COUNTS = [0, 1, 2, 5, 11, 12, 21, 22, 25, 111, 112, 121]
# the form Russian grammar asks for after each count: (one, few, many)
EXPECTED = {0: 2, 1: 0, 2: 1, 5: 2, 11: 2, 12: 2, 21: 0, 22: 1, 25: 2, 111: 2, 112: 2, 121: 0}

SUPPORT = support_config()


def form(n: int, one: str, few: str, many: str) -> str:
    return f"{n} {(one, few, many)[EXPECTED[n]]}"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(SUPPORT)


def ticket_ctx(**extra) -> dict:
    ctx = {
        "tid": "1234-5678",
        "subject": "Не работает корзина",
        "name": "Иван",
        "requester": "ivan@shop-example.ru",
        "level_id": "free",
        "level_name": "Бесплатная поддержка",
        "level_short": "бесплатная",
        "reaction": "24 рабочих часа",
        "due": "25.11.2026 16:00",
        "due_short": "25.11 16:00",
        "assignee": None,
        "status": "new",
        "site_link": None,
        "from_name": "Иван Петров",
        "refers_to": None,
        "tid_named": None,
        "tid_gone": None,
        "refers_own": None,
        "opened_by": None,
        "forwarded": None,
        "unconfirmed": None,
        "unconfirmed_wave": None,
        "automated": None,
        "quiet": None,
        "problem": None,
        "free_expired": False,
        "attachments_more": 0,
        "charset_doubt": None,
        "encrypted_letter": None,
        "asked_to_join": [],
        "asked_removed": [],
        "copies": [],
        "reply_to": None,
        "left_out": [],
        "max_participants": 10,
        "support_address": "support@example.com",
    }
    ctx.update(extra)
    return ctx


@pytest.mark.parametrize("n", COUNTS)
def test_ru_count_picks_the_form_grammar_asks_for(n):
    assert ru_count(n, "день", "дня", "дней") == form(n, "день", "дня", "дней")


@pytest.mark.parametrize("n", COUNTS)
def test_days_credentials_are_kept_after_closing(renderer, n):
    _, body = renderer.text("resolved.txt", ticket_ctx(keep_days=n))
    assert f"Через {form(n, 'день', 'дня', 'дней')} после закрытия" in body.replace("\n", " ")
    assert "дн." not in body


@pytest.mark.parametrize("n", COUNTS)
def test_days_a_confirmation_link_lasts(renderer, n):
    ctx = {"link": "https://support.example.com/c/x", "days": n}
    _, body = renderer.text("web_confirm.txt", ctx)
    assert f"Ссылка действует {form(n, 'день', 'дня', 'дней')}." in body


@pytest.mark.parametrize("n", COUNTS)
def test_months_of_free_support_in_the_confirmation(renderer, n):
    full = variants()[0]  # free support over, since 12.01.2026
    _, body = renderer.text("confirmation.txt", {**full, "free_months": n})
    term = f"({form(n, 'месяц', 'месяца', 'месяцев')} с первого обращения, 12.01.2026) истёк"
    assert term in body.replace("\n", " ")


@pytest.mark.parametrize("n", COUNTS)
def test_attempts_in_the_alerts_to_the_head(renderer, n):
    times = form(n, "раз", "раза", "раз")
    meta = {"subject": "x", "attempts": n, "to": ["a@b.ru"], "queued_at": "", "last_error": ""}
    _, body = renderer.text("outbox_alert.txt", {"m": meta})
    assert f"отправить уже {times}." in body and "раз(а)" not in body
    ctx = {"attempts": n, "key": "k", "message_id": None, "sender": None, "subject": None}
    _, body = renderer.text("spool_alert.txt", {**ctx, "error": "x"})
    assert f"обработать {times}," in body and "раз(а)" not in body


@pytest.mark.parametrize("n", COUNTS)
@pytest.mark.parametrize("template", ["staff_new.txt", "staff_followup.txt"])
def test_attachment_sizes_in_staff_notices(renderer, n, template):
    a = {"filename": "a.png", "content_type": "image/png", "size": n, "accepted": True}
    ctx = ticket_ctx(
        attachments=[a], text="Текст", reason="-", reopened=False, sender="ivan@shop-example.ru"
    )
    _, body = renderer.text(template, ctx)
    assert f"(image/png, {form(n, 'байт', 'байта', 'байт')}): принято" in body


@pytest.mark.parametrize("template", ["staff_new.txt", "staff_followup.txt"])
def test_staff_read_a_refused_files_size_as_the_customer_does(renderer, template):
    """20971593 bytes is «20,0 МБ» in the refusal the customer gets: staff read the same,
    not a count of bytes they would have to divide themselves."""
    big = 20 * 1024 * 1024 + 73
    reason = f"Файл «big.zip» слишком велик ({size_text(big)}): допустимо не более 20 МБ."
    files = [
        {"filename": "big.zip", "content_type": "application/zip", "size": big,
         "accepted": False, "reason": reason},
        {"filename": "a.png", "content_type": "image/png", "size": 46387, "accepted": True},
    ]  # fmt: skip
    ctx = ticket_ctx(
        attachments=files, text="Текст", reason="-", reopened=False, sender="ivan@shop-example.ru"
    )
    _, body = renderer.text(template, ctx)
    assert "big.zip (application/zip, 20,0 МБ): отклонено" in body
    assert "a.png (image/png, 45,3 КБ): принято" in body
    assert "байт" not in body and str(big) not in body


@pytest.mark.parametrize("n", COUNTS)
def test_sizes_in_refusals_and_on_the_site(n):
    assert size_text(n) == form(n, "байт", "байта", "байт")
    assert size_ru(n) == size_text(n)
    assert size_ru(1536 * 1024) == "1,5 МБ"  # the Russian decimal comma, as in mail


@pytest.mark.parametrize(
    ("n", "shown"),
    [(1024, "1 КБ"), (1048524, "1023,9 КБ"), (1048525, "1,0 МБ"), (1048575, "1,0 МБ")],
)
def test_a_size_that_rounds_to_1024_kb_reads_as_megabytes(n, shown):
    """A file a few bytes under 1 MB rounds to 1024,0 КБ: it reads as «1,0 МБ», the unit
    a person expects, as every size from 1 MB on does."""
    assert size_text(n) == shown
    assert size_ru(n) == shown


@pytest.mark.parametrize("n", [1, 2, 5, 21, 22])
def test_caps_name_their_limit_in_the_genitive(n):
    caps = Caps(per_address_hour=n, per_address_day=100, per_ticket_hour=100)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    why = cap_reached(caps, [now] * n, [], now)
    letters = "автоматического письма" if n % 10 == 1 else "автоматических писем"
    assert why == f"не больше {n} {letters} адресу в час"


# -- every template, rendered as the desk fills it ----------------------------------

TEMPLATES = sorted(
    p.name
    for p in (Path(__file__).resolve().parents[2] / "templates").glob("*.txt")
    # included in others
    if p.name
    not in {
        "commands.txt",
        "site_link.txt",
        "charset_doubt.txt",
        "text_cut.txt",
        "license_named.txt",
        "asked_to_join.txt",
    }
)
NOT_ABOUT_A_TICKET = {"web_confirm.txt", "fault_alert.txt", "spool_alert.txt", "digest.txt"}
NOT_ABOUT_A_TICKET |= {"imap_alert.txt"}
NOT_ABOUT_A_TICKET |= {"report_sla.txt", "outbox_alerts.txt"}
REFUSED = {"filename": "shot.bmp", "reason": "Файл «shot.bmp» не принят.", "accepted": False}
ACCEPTED = {"filename": "скрин.png", "content_type": "image/png", "size": 2, "accepted": True}
NAMED = {
    "key": "S-1",
    "name": "ООО Ромашка",
    "level_id": "standard",
    "level_name": "Коммерческие клиенты: стандартная поддержка",
    "until": "30.06.2027",
    "expired": False,
    "emails": ["ivan@shop-example.ru", "olga@shop-example.ru"],
    "same_domain": False,
    "actionable": True,
    "command": "maild license add --key S-1 --level standard --email ivan@shop-example.ru "
    '--email ivan@mail-example.ru --until 2027-06-30 --name "ООО Ромашка"',
}
ROW = {
    "tid": "1234-5678",
    "overdue": True,
    "critical": True,
    "due": "25.11 16:00",
    "level_name": "Бесплатная поддержка",
    "requester": "ivan@shop-example.ru",
    "subject": "Не работает корзина",
    "assignee": "boris@example.com",
    "status": "open",
}


# a merged customer due at the moment a reminder or escalation is about (pending.Deadline)
ALSO = {
    "tid": "2222-3333",
    "merged_with": "1234-5678",
    "requester": "olga@shop-example.ru",
    "level_name": "Бесплатная поддержка",
    "reaction": "24 рабочих часа",
}


def variants() -> list[dict]:
    """The desk's contexts: everything set (lists full, flags up), then everything off
    (no name, no lists, flags down): each `if` of a template both ways."""
    full = ticket_ctx(
        site_link="https://support.example.com/t/1234-5678.1.x",
        reopened=True,
        encrypted_letter="PGP",  # the letter itself came encrypted (domain.encrypted)
        refused=[REFUSED],
        refused_more=3,
        bmp_refused=True,
        attachments=[ACCEPTED, {**REFUSED, "content_type": "image/bmp", "size": 62}],
        attachments_more=2,
        commercial=False,
        unverified=False,
        expired=True,
        listed=True,
        confirmed=True,
        # acknowledgement, staff_followup: the registry changed the level (levelnow)
        level_was="Коммерческие клиенты: стандартная поддержка",
        # staff_new, staff_followup: licenses the mail names by key, its sender not on
        # them (licensekeys.license_ctx); confirmation, acknowledgement: staff check it
        licenses_named=[NAMED, dict(NAMED, expired=True, actionable=False, same_domain=True)],
        license_sender="ivan@mail-example.ru",
        license_check=True,
        answers_its_auto=True,
        ack_rounds=3,  # staff_followup: acknowledgements in a row (robotrounds.ACK_ROUNDS)
        # staff_new, confirmation: a staff member's forward opened it (staffforward)
        opened_by="anna@example.com",
        forwarded="petr@client-shop.ru",
        reason="срок действия лицензии S истёк 01.01.2026",
        free_expired=True,
        free_since="12.01.2026",
        free_months=6,
        keep_days=2,
        autoclosed=True,
        merged_into="8765-4321",
        # reminders, escalations about a merged wait: the ticket it goes on in
        merged_with="8765-4321",
        # reminders, escalations: the merged customers due at the same moment, named too
        also=[ALSO],
        status_ru="в работе",
        last_action="ответ сотрудника, 23.11.2026 10:00",
        rating=2,
        rated=4,  # acknowledgement: a rating opened the mail, recorded (ratingtext.rating_beside)
        rater="olga@shop-example.ru",  # rated_already: another participant rated first
        head="head@example.com",  # resolved: whom the customer may write (support.head)
        codec="koi8-r",
        text="Привет",
        quote_cut=True,  # staff_followup: the customer's quote of the thread was cut
        report=True,  # staff_followup: a mail server's report, quoted as no customer's
        errors=["#merge: обращения 9999-9999 нет"],
        errors_more=3,  # staff_error: errors past those listed (limits.MAX_LISTED_ERRORS)
        partial=True,  # staff_error: commands that contradict each other, the rest ran
        contradict=True,  # staff_error, partial: of them, some contradict each other
        idle=True,  # staff_error, partial: some would change nothing (closedcmd.idle_commands)
        in_subject=True,  # staff_error, partial: a command typed in the subject (subjectcmd)
        ran=["#critical"],
        answered=True,
        # staff_direct, staff_unverified, staff_error: the customers the staff member's
        # mail named, who got it from her mail system; staff_direct: it was a #note
        direct=["ivan@shop-example.ru"],
        resent=True,  # staff_direct: maild's answer went to them too (#answer)
        note=True,
        stale=True,  # staff_error: a reply on a stale view (staleview), a reply to it sends it
        # staff_error: the answer stopped for a file it cannot carry, not for a command
        answer_stopped=True,
        own_cut={"shown": 3990, "total": 12000},  # staff_error: its quote of the reply cut
        issued=True,  # staff_noticket, head_noticket: the ticket was (off: a typo?)
        marked_by="anna@example.com",
        marked_at="23.11.2026 10:00",
        blocked="spam@spam.ru",
        entries=["657d42d843c0749a"],
        # staff_spam_done: what #spam blocked (off: the address), «домен» of free mail
        blocked_domain=True,
        free_mail="gmail.com",
        spam_kept=2,
        notices=True,
        commands=["#close"],
        relayed=True,  # head_note: the head's mail went to staff (off: to support@)
        for_head=True,  # reminder_staff, reminder_list: the head's copy (off: staff's)
        typed=["Ответ внутри цитаты"],
        files=["a.png"],
        files_more=1,
        held_files=["error.png"],  # knownfiles: files the ticket holds, left out (leftout)
        logo_files=["image001.png"],  # a staff answer's pictures taken as its logo
        no_customer=True,
        answered_at="23.11.2026 10:00",  # staff_recall: the writer's last answer went then
        # staff_merged: the customers of the two tickets #merge joined, who differ
        source_customers=["sergey@other.example"],
        target_customers=["olga@mail.example", "petr@mail.example"],
        reply_address="support+1234-5678.abc@example.com",
        staff="anna@example.com",
        as_support=False,
        authserv_id="mx.example.com",
        refers_to="1111-2222",
        tid_named="1111-2222",
        # confirmation, staff_new: the sender's own ticket its text names (textnamed.py)
        refers_own="3333-4444",
        automated="тема автоответа «Автоответ: в отпуске»",
        # staff_followup: this very message got its sender marked a robot (humans.py)
        robot_marked=(
            "ответ робота: 3-й ответ подряд на автоматическое письмо быстрее чем через 5 минут"
        ),
        problem="нет границы MIME",
        spool_key="k1",
        asked_to_join=["petr@shop-example.ru"],
        asked_removed=["olga@shop-example.ru"],
        left_out=["oleg@shop-example.ru"],
        copies=["olga@shop-example.ru"],
        reply_to="olga.client@mail-example.ru",
        charset_doubt="кодировка не указана",
        sender="ivan@shop-example.ru",
        list_id="devel.lists.example.org",  # staff_flood: a list's posts held, all posters
        overdue=2,  # the digest's count; the staff reminder's flag; status and
        # acknowledgement: the deadline passed (no past time promised, an apology)
        assignee="boris@example.com",
        status="новое, ответа ещё не было",
        link="https://support.example.com/c/x",
        days=3,
        date="23.11.2026",
        mine=[ROW],
        # the digest's line of a ticket answered and open: no deadline (""); one opened
        # by automatic mail, never given one (sla.unattended)
        others=[
            dict(ROW, overdue=False, critical=False, assignee=None),
            dict(ROW, due=""),
            dict(ROW, due="", status="new"),
        ],
        waiting=[ROW],
        quarantined=3,
        oversize=("143,0 МБ", "30,0 МБ"),
        in_parts={"number": 1, "total": 3},  # a part of a letter sent in parts
        oversize_folder="Обработанные",  # staff notices: where the mail itself stays
        quarantined_since="20.11.2026 09:00",
        close_at="07.12.2026 10:01",
        table="уровень обращений",
        m={
            "subject": "x",
            "attempts": 5,
            "to": ["a@b.ru"],
            "queued_at": "23.11.2026 10:00",
            "last_error": "x",
        },
        mails=[
            {
                "subject": "x",
                "attempts": 5,
                "to": ["a@b.ru"],
                "queued_at": "23.11.2026 10:00",
                "last_error": "x",
            }
        ]
        * 2,
        total=3,
        more=1,
        attempts=3,
        key="k1",
        message_id="<a@b>",
        error="диск заполнен",
        undelivered=[
            {
                "to": "ivan@exmaple.ru",
                "what": "ответ сотрудника",
                "subject": "Не работает корзина",
                "queued_at": "23.11.2026 10:00",
                "error": "ivan@exmaple.ru: 550 5.1.1 <ivan@exmaple.ru>",
            }
        ]
        * 2,
        path="/var/lib/maild",
        since="23.11.2026 10:00",
        storage="/var/lib/maild",
        mailbox="support@example.com",
        server="imap.example.com:993",
        answer="[AUTHENTICATIONFAILED]",  # the server's words (fault alerts: error)
        failed_at="23.11.2026 10:20",  # imap_alert: the last failed round's (its error)
        limit=20,  # staff_flood: notices per sender an hour, and till when they are held
        proven=True,  # staff_flood: the flood's mail proves its sender (a robot, a loop)
        # staff_flood: many senders' notices held, all unproven senders (a possible spam
        # wave), or those of one From domain (flood_domain; variant `held` below)
        flood_desk=True,
        flood_domain="@one.example",
        flood_domain_shown="one.example",
        flood_since="2026-11-23",
        # staff_list_reply: the list's reader wrote (off: someone else, whom it names)
        from_reader=True,
        # reminder_list, escalation_list: the tickets a list names, and how often one goes
        # staff_refused_list: each ticket's mail the relay refused (one too big)
        tickets=[
            dict(
                ROW,
                reply_address="support+1234-5678.abc@example.com",
                undelivered=[
                    {
                        "to": "ivan@exmaple.ru",
                        "what": "ответ сотрудника",
                        "subject": "Не работает корзина",
                        "queued_at": "23.11.2026 10:00",
                        "error": "ivan@exmaple.ru: 550 5.1.1 <ivan@exmaple.ru>",
                        "too_big": too_big,
                    }
                    for too_big in (False, True)
                ],
                merged_with=merged,  # a merged wait's line: the ticket it goes on in
                also=[] if merged else [ALSO],  # merged customers due at its moment too
            )
            for merged in (None, "8765-4321")
        ],
        every=10,
        until="23.11.2026 11:00",
        until_short="23.11 11:00",
        # staff_capped: the notices a staff member's commands caused that a cap stopped
        unsent_notices=["работа начата", "изменён уровень обслуживания"],
        unsent_to=["ivan@shop-example.ru", "olga@shop-example.ru"],
        why="не больше 5 автоматических писем по обращению в час",
        kept_back="blocked",  # a blocked address, not the cap ("" in off)
        # staff_new: the cap that stopped the customer's confirmation (None in off)
        unconfirmed="не больше 10 автоматических писем адресу в час",
        # staff_new: that cap was the desk-wide one on confirmations, its figure
        unconfirmed_wave=60,
        empty=True,  # confirmation: the mail came with no subject, text or file
        # desk context (Renderer.keep): spam.keep_days, storage.keep_closed_days
        spam_keep_days=30,
        closed_keep_days=1825,
    )
    off = {
        k: ([] if isinstance(v, list) else 0 if isinstance(v, int) and v is not True else v)
        for k, v in full.items()
    }
    off.update(
        {k: False for k, v in full.items() if v is True},
        name=None,
        from_name=None,
        site_link=None,
        assignee=None,
        last_action=None,
        quarantined=None,
        commercial=True,
        rating=5,
        authserv_id=None,
        refers_to=None,
        tid_named=None,
        refers_own=None,
        automated=None,
        robot_marked=None,
        problem=None,
        charset_doubt=None,
        merged_into="8765-4321",
        merged_with=None,
        answer=None,
        failed_at=None,
        encrypted_letter=None,
        spam_keep_days=1,
        closed_keep_days=None,
        oversize_folder=None,
        in_parts=None,
        own_cut=None,
        kept_back="",
        free_mail="",
        level_was=None,
        unconfirmed=None,
        unconfirmed_wave=None,
        flood_domain=None,
        flood_domain_shown=None,
        answered_at=None,
        head=None,
        rater=None,
    )
    quiet = dict(
        full,
        expired=False,
        automated=None,
        robot_marked=None,
        quiet="X-Auto-Response-Suppress: all",
    )
    listed = dict(full, expired=False, commercial=False)  # a free license's holder
    # an encrypted letter whose sender was asked for it again (no automatic mail held)
    asked = dict(full, automated=None, answers_its_auto=False, encrypted_letter="S/MIME")
    # automatic mail of a sender not marked a robot by it (an out-of-office)
    unverified = dict(full, expired=False, unverified=True, robot_marked=None)
    # staff_error of a whole reply stopped on a stale view (partial: only commands stopped)
    stale = dict(full, partial=False)
    # staff_error of an answer stopped for its files («Ответ не отправлен»)
    stopped = dict(full, partial=False, stale=False)
    # staff_error of commands that would change nothing alone (no contradiction)
    idle = dict(full, contradict=False, in_subject=False)
    # staff_error of a command typed in the subject alone (nothing else held back)
    in_subject = dict(full, contradict=False, idle=False)
    # staff_flood of one From domain's senders; staff_new whose confirmation a cap per
    # address stopped, not the desk-wide one
    held = dict(full, flood_desk=False, unconfirmed_wave=None)
    # confirmation, staff_new: a reply to our mail of the sender's ticket deleted since
    # (retention, erasure: textnamed.told), told instead of tid_named's words
    gone = dict(full, refers_to=None, tid_named=None, tid_gone="5555-6666")
    # the rating scale made 1–10 (domain.ratingtext; desk context: rating_worst,
    # rating_best, 1 and 5 in the others): «7 из 10», «от 1 до 10»
    wide = dict(full, rating_worst=1, rating_best=10, rating_fair=6, rating=7, rated=7)
    # staff_followup: a fourth reply in a row to our automatic mail, no acknowledgement
    # (robotrounds.acks_stopped)
    rounds = dict(full, robot_marked=None, automated=None, quiet=None, acks_stopped=4)
    return [
        full,
        off,
        unverified,
        listed,
        quiet,
        asked,
        stale,
        stopped,
        idle,
        in_subject,
        held,
        gone,
        wide,
        rounds,
    ]


LATIN = re.compile(r"(?<![\w@.#/+<\[-])[A-Za-z]{2,}(?![\w@.>(/])")
# Latin that belongs: code staff type or read (commands, config keys, maild's CLI),
# the file types of the regulation, SPF/DKIM, PGP, the names of charsets
_CODE = """maild spam list release block remove spool retry outbox show ticket bad keep_days
keep_closed_days storage outbound status FTP SPF DKIM MIME
windows koi cp utf domain Message ID TID report sla support imap systemctl journalctl
restart all PGP"""
# the file types the regulation names (JPG GIF PNG BMP ZIP RAR: filerules.NAMES), and
# the level's id beside its name in staff mail, what #level takes (sla.LEVELS)
ALLOWED_LATIN = set(_CODE.split()) | set(FILE_TYPES.values()) | set(LEVELS)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_reads_as_russian_text_for_people(renderer, template):
    for ctx in variants():
        if template == "web_link.txt":  # the mail that carries a link, always
            ctx = dict(ctx, site_link="https://support.example.com/t/1234-5678.1.x")
        subject, body = renderer.text(template, ctx)
        msg = renderer.message(
            subject=subject,
            body=body,
            to=["ivan@shop-example.ru"],
            tid=None if template in NOT_ABOUT_A_TICKET else "1234-5678",
            message_id="<x@example.com>",
            now=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
        )
        if template not in NOT_ABOUT_A_TICKET:
            assert msg.headers["Subject"].endswith(" [TID#1234-5678]"), subject
        assert len(subject) <= 120 and subject.strip() == subject and "  " not in subject
        # a subject is read at a glance: no level ids, only what names code
        assert set(LATIN.findall(subject)) <= set(_CODE.split()) | set(FILE_TYPES.values()) | {
            "VIP"
        }, subject
        for text in (subject, body):
            for repr_ in ("None", "True", "False", "[]", "{}", "{{", "}}", "{%", "'"):
                assert repr_ not in text, (template, repr_, text)
        assert "\n\n\n" not in body and not body.startswith("\n"), (template, body)
        for line in body.splitlines():
            prose = line.strip()
            if not prose.startswith("#"):  # the cheat sheet's aligned columns
                assert "  " not in prose and line == line.rstrip(), (template, line)
            words = set(LATIN.findall(re.sub(r"https://\S+", "", prose))) - ALLOWED_LATIN
            assert not words or prose.startswith(("#", "maild ")), (template, line, words)


ROOT = Path(__file__).resolve().parents[2]
# words the texts write with ё everywhere else: "еще" beside "ещё" reads as a slip
WITHOUT_YO = re.compile(r"\b(?:[Ее]ще|[Вв]се равно|придет|пришлет|отчет)\b")


def test_yo_is_written_the_same_way_in_every_text():
    sources = [*(ROOT / "templates").rglob("*.txt"), *(ROOT / "maild" / "web").rglob("*.html")]
    sources += [p for p in (ROOT / "maild").rglob("*.py") if "redact" not in p.name]
    slips = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in sources
        for m in WITHOUT_YO.finditer(p.read_text(encoding="utf-8"))
    ]
    assert slips == []


def test_the_unsent_notice_opens_with_one_sentence_not_a_broken_line(renderer):
    full, off = variants()[:2]
    _, body = renderer.text("staff_unsent.txt", off)
    first = body.split("\n\n")[0]
    assert first == "Ваше письмо по обращению 1234-5678 получено, но клиенту ничего не отправлено."
    _, body = renderer.text("staff_unsent.txt", full)
    # commands ran, but whether their notice went is not this mail's to say: a cap or
    # the address may stop it (staff are then told so apart, staff_capped.txt)
    first = " ".join(body.split("\n\n")[0].split())
    assert first == (
        "Ваше письмо по обращению 1234-5678 получено и команды выполнены, "
        "но само письмо клиенту не отправлено."
    )


def test_the_reply_deadline_is_written_alike_in_every_customer_mail(renderer):
    lines = {
        line
        for t in ("confirmation.txt", "acknowledgement.txt", "level_changed.txt", "status.txt")
        for line in renderer.text(t, variants()[0])[1].splitlines()
        if line.startswith("Ответ поступит")
    }
    assert lines == {"Ответ поступит не позднее: 25.11.2026 16:00 (время московское)"}


def test_every_level_has_a_short_russian_name_for_the_staff_subject():
    from maild.domain.sla import LEVELS, SHORT_RU

    assert set(SHORT_RU) == set(LEVELS)
    # spelt as the full name the notice's body gives («Партнерская поддержка»)
    assert all(SHORT_RU[k].lower() in LEVELS[k].name_ru.lower() for k in ("partner", "free"))
    assert all(not name.isascii() or name == "VIP" for name in SHORT_RU.values())


def test_the_charset_doubt_keeps_its_advice_on_lines_of_its_own(renderer):
    doubt = "в письме указана кодировка iso-8859-1, но текст прочитан как koi8-r"
    ctx = dict(variants()[0], charset_doubt=doubt)
    _, body = renderer.text("staff_new.txt", ctx)
    assert f"Кодировка письма определена неуверенно: {doubt}.\nЕсли текст нечитаем," in body


def test_an_override_saved_with_a_byte_order_mark_is_read_without_it(tmp_path):
    """Notepad saves UTF-8 with a BOM: the template's first line was then no
    "Subject:" line, and the processing of every new ticket failed on it."""
    from maild.render import TEMPLATES

    source = (TEMPLATES / "staff_new.txt").read_text()
    (tmp_path / "staff_new.txt").write_bytes(b"\xef\xbb\xbf" + source.encode())
    renderer = Renderer(SUPPORT, override=tmp_path)
    text, filename, _ = renderer.env.loader.get_source(renderer.env, "staff_new.txt")
    assert filename == str(tmp_path / "staff_new.txt") and text == source


@pytest.mark.parametrize("confirmed", [False, True])
def test_the_follow_up_notice_gives_level_and_deadline_a_line_each(renderer, confirmed):
    """«Уровень: Бесплатная поддержка (free)Реакция не позднее: ...»: a block tag at a
    line's end took its line break (trim_blocks)."""
    ctx = dict(variants()[0], confirmed=confirmed, bounced=[], reopened=False)
    _subject, body = renderer.text("staff_followup.txt", ctx)
    lines = body.splitlines()
    level = next(i for i, line in enumerate(lines) if line.startswith("Уровень: "))
    assert lines[level + 1].startswith("Реакция не позднее: "), lines[level : level + 2]
    assert ("адрес клиента подтверждён" in lines[level]) == confirmed


@pytest.mark.parametrize("bounced", [[], ["ivan@shop-example.ru"]])
def test_the_follow_up_notice_of_a_failed_delivery_says_why(renderer, bounced):
    """A report that our mail failed (customer.decide_followup, undeliverable.on_report):
    «Письмо клиенту не доставлено», each address with its Status, what it means and
    the server's answer; only a failure for good (bounced: marked) speaks of #cc."""
    failed = [
        {
            "address": "ivan@shop-example.ru",
            "status": "5.2.2",
            "error": "552 5.2.2 Mailbox full",
            "meaning": "ящик получателя переполнен",
        }
    ]
    ctx = dict(variants()[0], bounced=bounced, failed=failed, reopened=False)
    subject, body = renderer.text("staff_followup.txt", ctx)
    assert subject.startswith("Письмо клиенту не доставлено: ")
    assert "ivan@shop-example.ru: ящик получателя переполнен (статус 5.2.2);" in body
    assert "ответ сервера: 552 5.2.2 Mailbox full" in body
    assert ("добавит верный" in body) == bool(bounced)
    assert ("Адрес не отмечен как несуществующий" in body) != bool(bounced)


def test_every_mail_about_a_ticket_has_a_russian_name_for_staff_notes():
    """The ticket's note that a mail was not sent names it as staff know it
    (domain.mailnames), never by its template's file name."""
    about = [t for t in TEMPLATES if t not in NOT_ABOUT_A_TICKET and t != "staff_reply.txt"]
    assert [t for t in about if t not in NAMES] == []
    assert mail_name("level_changed.txt") == "уведомление «изменён уровень обслуживания»"
    assert mail_name(None) == "письмо"
    note = unsent_note("started.txt", ["anna@example.com"], {"anna@example.com"}, "причина", None)
    assert note == "Не отправлено уведомление «работа начата» сотруднику anna@example.com: причина"


def test_a_staff_note_names_whom_a_mail_was_for_and_the_mail_as_its_subject_reads():
    """Staff addresses are known whatever their case (Anna@Example.com is a staff
    member, not a customer), two addressees are spoken of in the plural, and a
    subject's word in capitals keeps them («FAQ по оплате», not «fAQ по оплате»); a mail
    NAMES names is called so, not by its subject."""
    staff = {"anna@example.com", "boris@example.com"}
    note = unsent_note("started.txt", ["Anna@Example.com"], staff, "причина", None)
    assert note.startswith("Не отправлено уведомление «работа начата» сотруднику Anna@")
    two = unsent_note(
        "started.txt", ["ivan@shop-example.ru", "olga@shop-example.ru"], staff, "x", None
    )
    assert " клиентам ivan@shop-example.ru, olga@shop-example.ru: x" in two
    assert mail_name("confirmation.txt", "FAQ по оплате") == "уведомление «FAQ по оплате»"
    assert mail_name("confirmation.txt", "Ваш вопрос принят") == "уведомление «ваш вопрос принят»"
    # a mail named here keeps its name, whatever its subject's words (guard.py passes them)
    assert mail_name("started.txt", "Мы начали работу") == "уведомление «работа начата»"


def test_a_mail_to_a_customer_and_a_staff_member_is_spoken_of_as_the_customers():
    """A mail to a staff member and a customer together is the customers' (its note
    tells staff a customer did not get it), not «сотрудникам»."""
    staff = {"anna@example.com"}
    note = unsent_note(
        "started.txt", ["anna@example.com", "ivan@shop-example.ru"], staff, "x", None
    )
    assert " клиентам anna@example.com, ivan@shop-example.ru: x" in note


# the config's keys: an admin's words, in the alerts an admin reads, not in staff mail
CONFIG_KEY = re.compile(
    r"\b(?:spam|storage|support|schedule|limits|web)\.(?:[a-z]+_[a-z_]+|staff)\b"
)
READ_BY_ADMINS = {"imap_alert.txt", "fault_alert.txt", "spool_alert.txt"}
READ_BY_ADMINS |= {"outbox_alert.txt", "outbox_alerts.txt", "report_sla.txt"}


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t not in READ_BY_ADMINS])
def test_staff_and_customers_read_numbers_not_config_keys(renderer, template):
    for ctx in variants():
        subject, body = renderer.text(template, ctx)
        assert not CONFIG_KEY.findall(f"{subject}\n{body}"), (template, body)


def test_the_commands_header_fits_a_mail_line(renderer):
    _, body = renderer.text("staff_error.txt", variants()[0])
    start = body.index("Команды (по одной в строке")
    sheet = body[start:].split("Сохранённые ответы")[0]  # (their names: the admin's)
    assert [x for x in sheet.splitlines() if len(x) > 78] == []


DESK_NAME = re.compile(r"служб\w* технической поддержки")


@pytest.mark.parametrize("template", [t for t in TEMPLATES if not t.startswith("staff_")])
def test_customer_mail_names_the_desk_one_way(renderer, template):
    """«служба поддержки», as most mail has it: the confirmation and «work started»
    said «служба технической поддержки»."""
    for ctx in variants():
        subject, body = renderer.text(template, ctx)
        assert not DESK_NAME.search(" ".join(f"{subject} {body}".split())), template


def test_credentials_kept_are_deleted_by_us_and_then_not_our_care(renderer):
    """The mail promises what redaction does: it blanks the access data it finds (in
    the texts and the subjects), not every password however it was written; so the
    customer is asked to change them in any case."""
    _, body = renderer.text("resolved.txt", ticket_ctx(keep_days=2))
    assert (
        "пожалуйста, смените их сейчас: после работы службы поддержки это нужно сделать "
        "в любом случае. Через 2 дня после закрытия обращения мы удалим из переписки "
        "пароли и ключи доступа, которые найдём в письмах и их темах (записанное в "
        "свободной форме может остаться); после этого служба поддержки не отвечает за "
        "сохранность переданных данных."
    ) in " ".join(body.split())


@pytest.mark.parametrize("template", ["reminder_staff.txt", "escalation.txt"])
def test_a_merged_customer_named_first_and_others_due_then_read_as_several(renderer, template):
    """The mail about a moment that names a merged customer first and another due then
    (pending.Deadline.also) said the answer reaches «и этот клиент»: it reaches all
    (the head's copy of a reminder says no answer of his reaches a customer)."""
    full = dict(variants()[0], for_head=False)
    one = " ".join(renderer.text(template, dict(full, also=[]))[1].split())
    several = " ".join(renderer.text(template, full)[1].split())
    assert "и этот клиент" in one
    assert "этот клиент" not in several and "эти клиенты" in several


def test_the_notice_of_automatic_mail_says_no_deadline_was_set_and_what_to_do(renderer):
    """A new ticket its automatic first mail gave no deadline (sla.unattended): the
    subject and one paragraph say so, name the sign and the way to set one."""
    ctx = dict(variants()[0], due="", due_short="", automated="Precedence: bulk")
    subject, body = renderer.text("staff_new.txt", ctx)
    assert subject.startswith("Новое обращение (бесплатная, без срока): ")
    assert "Реакция: срок не назначен (письмо автоматическое)" in body
    said = " ".join(body.split("\n\n", 1)[1].split())
    assert (
        "Письмо автоматическое (Precedence: bulk), автоответ клиенту не отправлялся."
        " Поэтому срок реакции не назначен: напоминаний и эскалаций не будет. Если письмо"
        " всё же написал человек, просто ответьте ему (для ответа срок не нужен) или"
        " назначьте срок строкой «#level free» в ответе: он начнётся с этой минуты."
    ) in said
    for line in body.splitlines():  # (the cheat sheet's columns aside)
        assert line.lstrip().startswith("#") or "  " not in line.strip(), line


def test_staff_read_that_a_notice_to_automatic_mail_was_held_and_how_to_lift_it(renderer):
    """staff_capped.txt of a notice held from a ticket its automatic mail opened
    (capped.held): the sign, that staff's answer goes, and «#human»."""
    full = variants()[0]
    ctx = {
        **full,
        "unsent_to": ["devel@lists.example.org"],
        "unsent_notices": ["обращение закрыто"],
    }
    _, body = renderer.text("staff_capped.txt", {**ctx, "kept_back": "automatic", "why": "List-Id"})
    text = " ".join(body.split())
    assert "Клиенту devel@lists.example.org не отправлено уведомление «обращение закрыто»:" in text
    assert "обращение открыто автоматическим письмом (List-Id)" in text
    assert "уйдёт клиенту как ваш ответ" in text and "строкой «#human»" in text
    assert "предел" not in text and "блокировки" not in text


# a time as mail shows it (Policy.fmt_time), and what names the desk's zone after it:
# (МСК) in staff mail, (время московское) in a customer's (config/maild.example.toml)
SHOWN_TIME = re.compile(r"\d\d\.\d\d\.\d{4} \d\d:\d\d")
ZONE_NAMED = re.compile(r"(?:\(|, )(?:МСК|время московское)\)")  # «(10:20, МСК)» too
# lists whose heading names the zone of the times in their rows, once
ZONE_IN_HEADING = {"digest.txt", "reminder_list.txt", "escalation_list.txt"}


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_time_in_a_mail_names_its_zone(renderer, template):
    """A time in a mail's text is followed on its line by its zone, as the example
    config promises: staff and customers read mail from other zones."""
    full = variants()[0]
    # imap_alert: no server's answer, so the last failed attempt and its time
    for ctx in [*variants(), dict(full, answer=None)]:
        body = renderer.text(template, ctx)[1]
        if template in ZONE_IN_HEADING:
            assert ZONE_NAMED.search(body) or not SHOWN_TIME.search(body), body
            continue
        for line in body.splitlines():
            for m in SHOWN_TIME.finditer(line):
                assert ZONE_NAMED.search(line, m.end()), (template, line)


@pytest.mark.parametrize("errors", [1, 2])
def test_a_stale_reply_is_asked_again_in_words_apart(renderer, errors):
    """A reply on a stale view: «повторив в ответе текст и команды», and with more
    errors «и исправив остальные ошибки» after a space (it once read «командыи»)."""
    stale = dict(variants()[6], direct=None)  # the customer got no mail of it directly
    ctx = dict(stale, errors=[f"#take: ошибка {i}" for i in range(errors)], errors_more=0)
    text = " ".join(renderer.text("staff_error.txt", ctx)[1].split())
    rest = " и исправив остальные ошибки." if errors > 1 else "."
    assert "повторив в ответе текст и команды" + rest in text


@pytest.mark.parametrize(
    ("shown", "words"),
    [(99_992, "99\u00a0992 знака"), (3_991, "3\u00a0991 знак"), (12_000, "12\u00a0000 знаков")],
)
def test_the_start_of_a_long_text_counts_its_characters_in_words_that_agree(renderer, shown, words):
    """«выше его первые 99 992 знаков из 151 212»: the count's noun in the form the
    number asks for (the `plural` filter), its digits grouped as before."""
    cut = {"shown": shown, "total": 151_212}
    staff = dict(variants()[0], text_cut=cut, text_file="text.txt")
    text = renderer.text("staff_new.txt", staff)[1].replace("\n", " ")  # (split() splits at NBSP)
    assert f"выше его первые {words} из 151\u00a0212." in text
    own = dict(variants()[0], own_cut=cut, partial=False, text="Ответ")
    text = renderer.text("staff_error.txt", own)[1].replace("\n", " ")
    assert f"выше его первые {words} из 151\u00a0212." in text
    assert ru_count(shown, "знак", "знака", "знаков", grouped=True) == words
