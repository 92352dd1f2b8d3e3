"""A staff member's answer said again word for word is not sent twice
(maild.domain.samereply.repeated): the table of what counts as the same."""

from __future__ import annotations

import pytest

from maild.domain.samereply import repeated

ANNA, BORIS = "anna@example.com", "boris@example.com"
SENT = "Здравствуйте!\nЯ в отпуске до 10.12.\n\nС уважением, Анна"


def relayed(text: str, sender: str = ANNA, **kw) -> dict:
    return {"direction": "out", "kind": "staff", "from": sender, "text": text, **kw}


@pytest.mark.parametrize(
    "body",
    [
        SENT,
        "Здравствуйте! Я в отпуске до 10.12. С уважением, Анна",  # reflowed
        "  Здравствуйте!\r\n  Я в отпуске до 10.12.\n С уважением,\tАнна\n\n",
    ],
)
def test_the_same_answer_by_the_same_member_is_repeated(body: str) -> None:
    assert repeated(ANNA, body, [relayed("Первый ответ."), relayed(SENT)])


@pytest.mark.parametrize(
    ("sender", "body", "thread"),
    [
        (ANNA, "Здравствуйте! Я в отпуске до 11.12. С уважением, Анна", [relayed(SENT)]),
        (ANNA, "здравствуйте! я в отпуске до 10.12. с уважением, анна", [relayed(SENT)]),
        (BORIS, SENT, [relayed(SENT)]),  # another member's answer is hers alone
        (ANNA, SENT, [relayed(SENT, kind="note", direction="in")]),  # a note went nowhere
        (ANNA, SENT, [{"direction": "in", "kind": "customer", "from": ANNA, "text": SENT}]),
        (ANNA, SENT, []),
        (ANNA, "", [relayed("")]),  # nothing to send is no answer (unsent.py)
    ],
)
def test_what_is_no_repeated_answer(sender: str, body: str, thread: list[dict]) -> None:
    assert not repeated(sender, body, thread)
