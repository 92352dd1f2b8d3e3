"""What a customer's mail costs the site to show (typedlines.for_site): a reply of
many short quoted lines against a long thread costs time linear in its lines and
the thread's words, not their product; and a line found as a run of the thread's
words (Thread, domain/runs.py) is what the search of the words' text found before.
"""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import typedlines
from maild.domain.quotes import unquoted
from maild.domain.runs import Runs
from maild.domain.typedlines import FOLD_CHARS, RUN_CHARS, Thread, _plain, _words, for_site
from tests.examples import examples


def reply(lines: int, rng: random.Random) -> str:
    """An answer, an attribution, ``lines`` short quoted lines in no mail, an answer."""
    quote = "\n".join(f"> к{rng.randint(0, 9999)}" for _ in range(lines))
    return f"Ответ клиента.\n\n25.11.2026 10:15, Служба поддержки пишет:\n{quote}\n\nИ ещё.\n"


def cpu(size: int) -> float:
    """The cost of showing a reply of 1,500 × ``size`` quoted lines, knowing earlier
    mail of 30,000 × ``size`` characters (no line of the reply in it)."""
    rng = random.Random(size)
    known = [" ".join(f"слово{rng.randint(0, 99999)}" for _ in range(3000 * size))]
    text = reply(1500 * size, rng)
    assert len(text) <= FOLD_CHARS  # checked line by line
    started = time.process_time()
    shown = for_site(text, known)
    spent = time.process_time() - started
    assert shown == text.strip()  # the lines are typed (in no mail): shown whole
    return spent


def test_a_reply_of_many_quoted_lines_costs_linear_time() -> None:
    """Four times the lines against four times the thread cost about four times as
    much, where a search of the thread for each line cost sixteen (10,000 lines
    against 200 KB took 5-22 s); a ratio, robust on a busy machine, and a bound."""
    small = min(cpu(1) for _ in range(2))
    large = min(cpu(4) for _ in range(2))
    assert large / max(small, 0.01) < 8, (small, large)
    assert large < 2.5, large  # (about 0.1 s on a quiet machine)


def test_a_reply_too_long_to_check_shows_whole() -> None:
    """A reply over FOLD_CHARS characters is not checked line by line: it shows whole,
    its quote of the mail it answers too, at once; a shorter one is cut as ever."""
    asked = "\n".join(f"Строка {n} ответа поддержки о настройке почты." for n in range(2000))
    quote = "\n".join(f"> {line}" for line in asked.splitlines())
    text = f"Спасибо, работает.\n\n25.11.2026 10:15, Служба поддержки пишет:\n{quote}\n\nИван\n"
    assert len(text) > FOLD_CHARS
    started = time.process_time()
    assert for_site(text, ["", asked]) == text.strip()
    assert time.process_time() - started < 0.5
    short = "\n".join(text.splitlines()[:100]) + "\n\nИван\n"
    assert for_site(short, ["", asked]) == "Спасибо, работает.\n\nИван"


def old_in(run: str, texts: list[str], words: bool, known_chars: int) -> bool:
    """The rule before: the run searched for in the joined texts' last characters."""
    read = _words if words else _plain
    blob = " " + " ".join(read(t) for t in texts)[-known_chars:] + " "
    return f" {run} " in blob


def old_quotes(thread: Thread, texts: list[str], line: str, above: str, cut: int) -> bool:
    """Thread.quotes as it searched the texts (a copy of its rule before)."""
    if thread.holds_line(line):
        return True
    plain, words = _plain(unquoted(line)), _words(unquoted(line))
    if len(plain) >= RUN_CHARS:
        return old_in(plain, texts, False, cut) or bool(words) and old_in(words, texts, True, cut)
    run, word_run = _plain(unquoted(above)), _words(unquoted(above))
    if run and old_in(f"{run} {plain}", texts, False, cut):
        return True
    return bool(word_run and words) and old_in(f"{word_run} {words}", texts, True, cut)


# few letters, spaces, line ends, quote marks and punctuation: runs that match often
SMALL = st.text(alphabet="aбB >\n\t.,-", max_size=40)


WORD = st.sampled_from(["", "a", "b", "ab"])


@settings(max_examples=examples(300), deadline=None)
@given(words=st.lists(WORD, max_size=12), run=st.lists(WORD, max_size=4))
def test_runs_are_the_contiguous_sublists(words: list[str], run: list[str]) -> None:
    held = any(words[i : i + len(run)] == run for i in range(len(words) - len(run) + 1))
    assert (run in Runs(words)) == held


@pytest.mark.parametrize("letters", ["abbabaa", "aababb", "abcabcab", "aaabaaab"])
def test_every_run_of_the_words_is_known(letters: str) -> None:
    """Runs: every contiguous sublist is found, also after a state was split in two (its
    clone): a quoted line lost here is taken for one the writer typed. A run drawn at
    random is seldom in the words, so the property above meets few of these."""
    words = list(letters)
    runs = Runs(words)
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            assert words[i:j] in runs, words[i:j]


@settings(max_examples=examples(300), deadline=None)
@given(
    texts=st.lists(SMALL, max_size=4),
    line=SMALL,
    above=SMALL,
    cut=st.sampled_from([3, 10, 25, typedlines.KNOWN_CHARS]),
)
def test_a_line_is_quoted_as_the_search_of_the_texts_found(
    texts: list[str], line: str, above: str, cut: int
) -> None:
    """Thread.quotes and ``in`` with the runs read once say what the search of the
    texts' last KNOWN_CHARS characters said, on every line, cut anywhere."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typedlines, "KNOWN_CHARS", cut)
        thread = Thread(texts)
        for one in line.splitlines() or [line]:
            assert thread.quotes(one, above) == old_quotes(thread, texts, one, above, cut)
            plain, words = _plain(unquoted(one)), _words(unquoted(one))
            assert thread.in_blob(plain) == old_in(plain, texts, False, cut)
            assert thread.in_words_blob(words) == old_in(words, texts, True, cut)
