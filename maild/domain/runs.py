"""Which runs of words a text holds, each answered in time linear in the run: the
words of the text (a list of strings) read once into a suffix automaton, so a run is
followed word by word from its start state, never searched for through the text.

Pure: strings in, a yes or no out.
"""

from __future__ import annotations

from collections.abc import Sequence


class Runs:
    """The runs (contiguous sublists) of ``words``: ``run in Runs(words)`` is whether
    ``run`` (a list of strings) stands in ``words`` as consecutive items. Built in time
    and space linear in ``words`` (at most 2n states and 3n moves)."""

    def __init__(self, words: Sequence[str]) -> None:
        moves: list[dict[str, int]] = [{}]
        link, length = [-1], [0]
        last = 0
        for word in words:
            cur = len(moves)
            moves.append({})
            length.append(length[last] + 1)
            link.append(0)
            p = last
            while p != -1 and word not in moves[p]:
                moves[p][word] = cur
                p = link[p]
            if p != -1:
                q = moves[p][word]
                if length[p] + 1 == length[q]:
                    link[cur] = q
                else:  # q also ends longer runs: a state for the shorter ones alone
                    clone = len(moves)
                    moves.append(dict(moves[q]))
                    length.append(length[p] + 1)
                    link.append(link[q])
                    while p != -1 and moves[p].get(word) == q:
                        moves[p][word] = clone
                        p = link[p]
                    link[q] = link[cur] = clone
            last = cur
        self._moves = moves

    def __contains__(self, run: Sequence[str]) -> bool:
        state = 0
        for word in run:
            after = self._moves[state].get(word)
            if after is None:
                return False
            state = after
        return True
