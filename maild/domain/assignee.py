"""Whom #assign may name: a staff member (support.staff), since the assignee gets the
ticket's staff mail, internal notes and all. Anyone else stops the reply: a typo
(anan@ for anna@) or an outside address must not become one, nor the head, who is on
support's side but no staff member who takes tickets (Policy.is_head). A staff member
is one in either spelling of a Cyrillic domain (ownside.staff_side), and the ticket is
assigned to them as support.staff spells them (assigned): their queue, their #take and
the staff mail to them know them by that address.

The error names the staff list, and the staff member likely meant only when the
address typed is close to theirs (near_staff): «head@example.com» is not «anna@...»,
though the two share a domain and most of their letters.

Pure: the Policy and the reply's commands in, the errors (Russian) out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from maild.domain.commands import Command
from maild.domain.nearmiss import one_slip
from maild.domain.ownside import staff_side
from maild.domain.policy import Policy
from maild.domain.spelling import as_listed

__all__ = ["assign_errors", "assigned", "near_staff"]


def assign_errors(policy: Policy, commands: Iterable[Command]) -> list[str]:
    """One error per #assign of an address not on support.staff."""
    errors: list[str] = []
    known = ", ".join(policy.staff) or "(список пуст)"
    staff = staff_side(policy.staff)  # either spelling of a Cyrillic domain, any case
    for cmd in commands:
        if cmd.name != "assign" or not cmd.arg or cmd.arg in staff:
            continue
        if policy.is_head(policy.listed(cmd.arg)):
            errors.append(
                f"#assign: {cmd.arg} — руководитель поддержки (support.head), а не сотрудник;"
                f" назначить можно только сотрудника из списка support.staff: {known}."
            )
            continue
        meant = near_staff(cmd.arg, policy.staff)
        hint = f" Возможно, имелся в виду {meant}?" if meant else ""
        errors.append(
            f"#assign: {cmd.arg} — не сотрудник поддержки; назначить можно только"
            f" сотрудника из списка support.staff: {known}.{hint}"
        )
    return errors


def assigned(policy: Policy, commands: Iterable[Command]) -> tuple[Command, ...]:
    """``commands`` with the staff member each #assign names as support.staff spells
    them (anna@xn--80ahaefyxhn.xn--p1ai typed, anna@поддержка.рф listed): the ticket's
    assignee, and the record's «#assign» staleview finds the assignment by."""
    return tuple(
        replace(c, arg=as_listed(c.arg, policy.staff)) if c.name == "assign" and c.arg else c
        for c in commands
    )


def near_staff(typed: str, staff: Iterable[str]) -> str | None:
    """The staff address ``typed`` is likely a slip of, in config order: one slip of the
    whole address (nearmiss.one_slip: «anan@» for «anna@», «exmaple.com»), or the same
    name at another domain («anna@example.ru»); None when none is so close."""
    name = typed.partition("@")[0]
    for address in staff:
        if one_slip(typed, address) or address.partition("@")[0] == name:
            return address
    return None
