"""Unit tests for maild.domain.closedcmd: #take / #wait on a ticket already closed,
#development on free support."""

from __future__ import annotations

from maild.domain.closedcmd import closed_errors, unasked_errors
from maild.domain.commands import Command
from maild.domain.conflicts import without_conflicts


def runs(*commands: Command) -> tuple[Command, ...]:
    """The commands of a reply that run, as staffreply passes them (Extras.runs)."""
    return without_conflicts(commands)[0]


def when(iso: str) -> str:
    return iso[8:10] + "." + iso[5:7] + "." + iso[:4] + " " + iso[11:16]


CLOSE = {"from": "anna@s.ru", "received_at": "2026-12-03T10:20:00+03:00", "commands": ["#close"]}
TICKET = {"status": "closed", "closed_at": "2026-12-03T10:20:00+03:00"}


def test_take_or_wait_on_a_closed_ticket_names_who_closed_it_and_when() -> None:
    [take, wait] = closed_errors([Command("take"), Command("wait")], TICKET, [CLOSE], when)
    assert take.startswith("#take не выполнена: обращение уже закрыто (anna@s.ru, 03.12.2026")
    assert "#reopen" in take and wait.startswith("#wait не выполнена")


def test_without_a_close_among_the_messages_it_says_when() -> None:
    [error] = closed_errors([Command("take")], TICKET, [], when)
    assert "обращение уже закрыто (03.12.2026 10:20)." in error


def test_an_open_ticket_a_reopen_or_other_commands_are_no_error() -> None:
    assert closed_errors([Command("take")], {**TICKET, "status": "open"}, [CLOSE], when) == []
    assert closed_errors([Command("take"), Command("reopen")], TICKET, [CLOSE], when) == []
    others = [
        Command("close"),
        Command("critical", "нет"),
        Command("note"),
        Command("level", "vip"),
    ]
    assert closed_errors(others, TICKET, [CLOSE], when) == []


def test_critical_on_a_closed_ticket_is_refused_as_take_is() -> None:
    # it marked a closed ticket urgent, which no queue shows and nobody works on
    [error] = closed_errors([Command("critical")], TICKET, [CLOSE], when)
    assert error.startswith("#critical не выполнена: обращение уже закрыто (anna@s.ru, 03.12")
    assert "#reopen" in error
    assert closed_errors([Command("critical"), Command("reopen")], TICKET, [CLOSE], when) == []


def test_assign_on_a_closed_ticket_is_refused_as_take_is() -> None:
    # it made someone responsible for a ticket nobody works on, without a word
    [error] = closed_errors([Command("assign", "boris@s.ru")], TICKET, [CLOSE], when)
    assert error.startswith("#assign boris@s.ru не выполнена: обращение уже закрыто (anna@s.ru,")
    assert "#reopen" in error
    both = [Command("reopen"), Command("assign", "boris@s.ru")]
    assert closed_errors(both, TICKET, [CLOSE], when) == []


def test_close_on_a_closed_ticket_changes_nothing_and_says_who_closed_it() -> None:
    from maild.domain.closedcmd import idle_commands

    runs, [error] = idle_commands(
        [Command("close"), Command("cc", "b@s.ru")], TICKET, [CLOSE], when
    )
    assert runs == (Command("cc", "b@s.ru"),)
    assert error == "#close не выполнена: обращение уже закрыто (anna@s.ru, 03.12.2026 10:20)."
    assert idle_commands([Command("close")], {"status": "open"}, [], when) == (
        (Command("close"),),
        [],
    )


def test_reopen_of_a_ticket_not_closed_changes_nothing_and_says_so() -> None:
    # it said nothing, and a new ticket read «В работе» on the site, nobody at work on it
    from maild.domain.closedcmd import idle_commands

    for status in ("new", "open"):
        runs, [error] = idle_commands(
            [Command("reopen"), Command("cc", "b@s.ru")], {"status": status}, [], when
        )
        assert runs == (Command("cc", "b@s.ru"),)
        assert error == "#reopen не выполнена: обращение не закрыто, открывать нечего."
    for status in ("closed", "waiting"):  # it opens these
        assert idle_commands([Command("reopen")], {"status": status}, [], when) == (
            (Command("reopen"),),
            [],
        )


def test_a_level_the_ticket_has_already_is_left_out_with_its_error() -> None:
    # a colleague set it a minute before: it said nothing
    from maild.domain.closedcmd import idle_commands

    vip = {"status": "open", "level": "vip", "first_reaction_at": "2026-12-03T10:00:00+03:00"}
    runs, [error] = idle_commands([Command("level", "vip"), Command("take")], vip, [], when)
    assert runs == (Command("take"),)
    assert (
        error
        == "#level vip не выполнена: уровень обращения уже «Коммерческие клиенты: VIP поддержка»."
    )
    dev = {**vip, "level": "development"}
    runs, [error] = idle_commands([Command("development")], dev, [], when)
    assert runs == () and error.startswith("#development не выполнена: уровень обращения уже")
    # with another level in the reply the ticket passes through it: both run
    both = (Command("level", "vip"), Command("development"))
    assert idle_commands(both, dev, [], when) == (both, [])
    # a ticket waiting for its first deadline gets one from the same level
    unset = {"status": "new", "level": "vip"}
    assert idle_commands([Command("level", "vip")], unset, [], when) == (
        (Command("level", "vip"),),
        [],
    )


def test_a_critical_that_changes_nothing_is_left_out_with_its_error() -> None:
    from maild.domain.closedcmd import idle_commands

    marked = {"status": "open", "critical": True}
    runs, [error] = idle_commands([Command("critical"), Command("take")], marked, [], when)
    assert runs == (Command("take"),) and error.startswith("#critical не выполнена")


def test_development_is_refused_on_free_support_unless_a_level_of_the_reply_allows() -> None:
    from maild.domain.closedcmd import level_errors

    free = {"level": "free"}
    [error] = level_errors([Command("development")], free)
    assert error.startswith("#development не выполнена: уровень «Бесплатная поддержка»")
    assert level_errors([Command("level", "vip"), Command("development")], free) == []
    # the level runs first wherever its line stands (conflicts.in_run_order)
    assert level_errors([Command("development"), Command("level", "vip")], free) == []
    assert "добавьте в ответ строку #level <уровень>" in error
    assert level_errors([Command("level", "vip"), Command("development")], {"level": "vip"}) == []
    for level in ("partner", "vip", "operative", "standard", "consulting", "development"):
        assert level_errors([Command("development")], {"level": level}) == []
    assert level_errors([Command("consulting"), Command("close")], free) == []


def test_level_development_is_refused_where_development_is() -> None:
    """#level development is #development (the cheat sheet says so): free support passes
    nothing to development by either."""
    from maild.domain.closedcmd import level_errors

    free = {"level": "free"}
    [error] = level_errors([Command("level", "development")], free)
    assert error.startswith("#level development не выполнена: уровень «Бесплатная поддержка»")
    assert level_errors([Command("level", "development")], {"level": "vip"}) == []
    assert level_errors([Command("level", "vip"), Command("level", "development")], free) == []
    assert level_errors([Command("level", "consulting")], free) == []


def test_development_asks_what_the_customer_is_owed_not_consulting() -> None:
    """Consulting is staff's move: a free ticket at consulting (kept `entitled_level`,
    or opened as free support before that key) is still refused, in the same words."""
    from maild.domain.closedcmd import level_errors

    moved = {"level": "consulting", "entitled_level": "free"}
    [error] = level_errors([Command("development")], moved)
    [same] = level_errors([Command("consulting"), Command("development")], {"level": "free"})
    assert error == same
    assert error.startswith("#development не выполнена: уровень «Бесплатная поддержка»")
    [_] = level_errors([Command("level", "consulting"), Command("development")], {"level": "free"})
    assert level_errors([Command("level", "vip"), Command("development")], moved) == []
    assert level_errors([Command("development")], {**moved, "entitled_level": "vip"}) == []
    old = {"level": "consulting", "identification": {"source": "none", "expired": False}}
    [_] = level_errors([Command("development")], old)
    licensed = {"source": "license", "expired": False}
    assert level_errors([Command("development")], {**old, "identification": licensed}) == []
    lapsed = {**licensed, "expired": True}
    [_] = level_errors([Command("development")], {**old, "identification": lapsed})


ANSWER = {"kind": "staff", "direction": "out", "from": "anna@s.ru"}
OPEN = {"tid": "1111-1111", "status": "open"}


def test_a_wait_alone_before_any_answer_to_the_customer_is_refused() -> None:
    """Nothing was asked: a #wait without an answer, on a ticket whose customer has had
    no staff answer (a note, a notice, an answer withdrawn unsent are none), is an error."""
    wait = [Command("take"), Command("wait")]
    note = {**ANSWER, "kind": "note", "direction": "in"}
    notice = {**ANSWER, "kind": "notice"}
    for thread in ([], [note, notice], [{**ANSWER, "withdrawn": "blocked"}]):
        [error] = unasked_errors(wait, False, thread, OPEN)
        assert error.startswith("#wait не выполнена: клиент ещё не получил от поддержки")
        assert "Напишите вопрос клиенту в том же письме" in error


def test_a_wait_with_an_answer_or_after_one_or_no_wait_is_no_error() -> None:
    assert unasked_errors([Command("wait")], True, [], OPEN) == []
    assert unasked_errors([Command("wait")], False, [ANSWER], OPEN) == []
    assert unasked_errors([Command("take"), Command("close")], False, [], OPEN) == []
    # #close with it: neither runs, the conflict is what the staff member is told
    assert unasked_errors(runs(Command("wait"), Command("close")), False, [], OPEN) == []


def test_a_wait_alone_while_a_merged_customer_waits_for_staff_is_refused() -> None:
    """A customer merged in before any reaction (mergedwait) has had no answer: a
    #wait alone would leave their mail unanswered while the ticket read «ждём ответа
    клиента», whoever else on it was answered. With an answer (it reaches them too),
    or once their wait ended, it runs."""
    wait = {"tid": "2222-2222", "level": "free", "created_at": "2026-12-03T09:00:00+03:00",
            "first_reaction_due": "2026-12-04T09:00:00+03:00", "first_reaction_at": None,
            "requester": "petr@x.ru"}  # fmt: skip
    ticket = {**OPEN, "merged_waits": [wait]}
    for commands in ([Command("wait")], [Command("take"), Command("wait")]):
        [error] = unasked_errors(commands, False, [ANSWER], ticket)
        text = " ".join(error.split())
        assert text.startswith("#wait не выполнена: клиент обращения 2222-2222 (petr@x.ru),")
        assert "ещё не получил от поддержки ни одного ответа" in text
        assert "Напишите ответ в том же письме, что и строка #wait" in text
    two = {**ticket, "merged_waits": [wait, {**wait, "tid": "3333-3333", "requester": "o@x.ru"}]}
    [error] = unasked_errors([Command("wait")], False, [ANSWER], two)
    assert "клиенты обращений 2222-2222 (petr@x.ru), 3333-3333 (o@x.ru)," in " ".join(error.split())
    assert unasked_errors([Command("wait")], True, [ANSWER], ticket) == []
    ended = {**ticket, "merged_waits": [{**wait, "first_reaction_at": wait["created_at"]}]}
    assert unasked_errors([Command("wait")], False, [ANSWER], ended) == []
    assert unasked_errors(runs(Command("wait"), Command("close")), False, [ANSWER], ticket) == []


MARK = {"from": "anna@s.ru", "received_at": "2026-12-03T10:20:00+03:00", "commands": ["#critical"]}
UNMARK = {**MARK, "from": "boris@s.ru", "commands": ["#take", "#critical нет"]}
OFF = Command("critical", "нет")


def test_critical_on_a_ticket_already_critical_names_who_marked_it() -> None:
    """«#critical» on a ticket a colleague marked a minute before changed nothing, and
    nobody said so: an error now, that names who marked it and says how to undo it."""
    from maild.domain.closedcmd import critical_errors

    [error] = critical_errors([Command("critical")], {"critical": True}, [MARK], when)
    assert error.startswith(
        "#critical не выполнена: обращение уже отмечено как срочное (anna@s.ru, 03.12.2026"
    )
    assert "#critical нет" in error
    # two lines of it are one command; a mark #merge brought in: no one to name
    errors = critical_errors([Command("critical")] * 2, {"critical": True}, [UNMARK], when)
    assert errors == [
        "#critical не выполнена: обращение уже отмечено как срочное.\n"
        "    Чтобы снять отметку, добавьте в ответ строку #critical нет."
    ]


def test_critical_off_on_a_ticket_not_critical_is_an_error() -> None:
    from maild.domain.closedcmd import critical_errors

    [error] = critical_errors([OFF], {"critical": False}, [], when)
    assert error == (
        "#critical нет не выполнена: обращение не отмечено как срочное, снимать нечего."
    )
    [error] = critical_errors([OFF], {}, [MARK, UNMARK], when)  # a ticket of older mail
    assert error == (
        "#critical нет не выполнена: отметку «срочное» уже сняли (boris@s.ru, 03.12.2026 10:20)."
    )


def test_a_mark_that_changes_something_or_a_conflicting_pair_is_no_error() -> None:
    from maild.domain.closedcmd import critical_errors

    assert critical_errors([Command("critical")], {"critical": False}, [UNMARK], when) == []
    assert critical_errors([OFF, Command("take")], {"critical": True}, [MARK], when) == []
    # both in one reply: neither runs, and conflicts.without_conflicts says so
    for ticket in ({"critical": True}, {"critical": False}):
        assert critical_errors([Command("critical"), OFF], ticket, [MARK], when) == []
    assert critical_errors([Command("take")], {"critical": True}, [MARK], when) == []


def test_its_own_level_is_refused_on_a_closed_or_waiting_ticket_without_deadlines() -> None:
    """A ticket whose first mail looked automatic has no deadline; closed, or waiting
    for the customer, #level of its level gives it none either (ticket.apply_command
    owes no answer there): it changes nothing, so it does not run and staff are told,
    as on any ticket; once only, however many lines of it the reply has."""
    from maild.domain.closedcmd import idle_commands

    for status in ("closed", "waiting"):
        unset = {"status": status, "level": "vip"}
        twice = [Command("level", "vip"), Command("level", "vip")]
        runs, errors = idle_commands(twice, unset, [], when)
        assert runs == (), status
        assert errors == [
            "#level vip не выполнена: уровень обращения уже «Коммерческие клиенты: VIP поддержка»."
        ], status
