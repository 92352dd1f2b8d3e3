"""A command line as a client's plain text writes it when the staff member made it
bold or italic in the HTML they typed: Gmail writes bold as «*#close*» in the
text/plain alternative (the part maild reads), Thunderbird's plain text of an HTML
mail ("structured text") bold «*#close*», italic «/#close/», underlined «_#close_».
Read as it stood, the line went to the customer, closed nothing, and the staff
member heard nothing; HTML alone («<b>#close</b>») ran.

Only a line wholly inside one such pair (or pairs: «*/#close/*») whose inside
starts with a command's sign is read without them; any other line is as typed.
Pure: text in, text out.
"""

from __future__ import annotations

__all__ = ["MARKS", "unmarked"]

# Bold, italic, underlined, as Gmail and Thunderbird write them in plain text
MARKS = "*/_"
LAYERS = 3  # bold italic underlined at most: «*/_#close_/*»


def unmarked(line: str, signs: str | frozenset[str]) -> str:
    """``line`` (stripped) without the marks of emphasis around all of it when what
    they hold starts with one of ``signs``; otherwise ``line`` as it is."""
    inner = line
    for _ in range(LAYERS):
        if len(inner) < 3 or inner[0] not in MARKS or inner[-1] != inner[0]:
            break
        inner = inner[1:-1].strip()
    return inner if inner != line and inner[:1] in signs else line
