"""What a decision has to say in the log, as values: the domain decides without I/O,
and the pipeline logs its lines once the decision is stored (pipeline.process).

A line is as it was logged before: its level, its logger's name and its text,
formatted here (``%`` with its arguments, as logging formats a line).
"""

from __future__ import annotations

from dataclasses import dataclass

# logging's own figures: the domain imports no logging
INFO = 20
WARNING = 30


@dataclass(frozen=True)
class Said:
    """One line of the log: `logging.getLogger(logger).log(level, text)`."""

    level: int
    logger: str
    text: str


def info(logger: str, line: str, *args: object) -> Said:
    return Said(INFO, logger, line % args if args else line)


def warning(logger: str, line: str, *args: object) -> Said:
    return Said(WARNING, logger, line % args if args else line)
