"""The lines a writer closes a mail with, under which their signature stands: the
signature separator and the closing phrases. Read by signoff (a reply of a signature
alone) and logos (a picture under the signature is its logo). Pure patterns.
"""

from __future__ import annotations

import re

__all__ = ["NAME", "SEPARATOR_RE", "VALEDICTION_RE"]

# "-- " (RFC 3676), "--" as Gmail and webmail write it: what is under it is the signature.
SEPARATOR_RE = re.compile(r"--\s*")
# A name as a greeting or a closing names someone: capitalised words, one to three
# ("Здравствуйте, исправили." is text).
NAME = r"[A-ZА-ЯЁ][\w.-]*(?:\s+[A-ZА-ЯЁ][\w.-]*){0,2}"
# A closing line, with a name after it or not: "С уважением,", "С уважением, Анна".
# «Спасибо» is no closing: "#close" over «Спасибо!» thanks the customer.
VALEDICTION_RE = re.compile(
    r"(?i:с\s+уважением|с\s+наилучшими\s+пожеланиями|всего\s+(?:доброго|хорошего|наилучшего)"
    r"|(?:best\s+|kind\s+|warm\s+)?regards|best\s+wishes|sincerely)"
    rf"(?:\s*[,.!]?|\s*,\s*{NAME}\s*[.!]?)"
)
