"""Whom #assign may name: a staff member (support.staff), since the assignee gets the
ticket's staff mail, internal notes and all. Anyone else stops the reply: a typo
(anan@ for anna@) or an outside address must not become one, nor the head, who is on
support's side but no staff member who takes tickets (Policy.is_head).

The error names the staff list, and the staff member likely meant only when the
address typed is close to theirs (near_staff): «head@example.com» is not «anna@...»,
though the two share a domain and most of their letters.

Pure: the Policy and the reply's commands in, the errors (Russian) out.
"""

from __future__ import annotations

from collections.abc import Iterable

from maild.domain.commands import Command
from maild.domain.nearmiss import one_slip
from maild.domain.policy import Policy

__all__ = ["assign_errors", "near_staff"]


def assign_errors(policy: Policy, commands: Iterable[Command]) -> list[str]:
    """One error per #assign of an address not on support.staff."""
    errors: list[str] = []
    known = ", ".join(policy.staff) or "(список пуст)"
    for cmd in commands:
        if cmd.name != "assign" or not cmd.arg or cmd.arg in policy.staff:
            continue
        if policy.is_head(cmd.arg):
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


def near_staff(typed: str, staff: Iterable[str]) -> str | None:
    """The staff address ``typed`` is likely a slip of, in config order: one slip of the
    whole address (nearmiss.one_slip: «anan@» for «anna@», «exmaple.com»), or the same
    name at another domain («anna@example.ru»); None when none is so close."""
    name = typed.partition("@")[0]
    for address in staff:
        if one_slip(typed, address) or address.partition("@")[0] == name:
            return address
    return None
