"""A service level's id, as every record that names a level holds it: a ticket, a
summary row, a merged ticket's wait (records.py, waitrecord.py)."""

from typing import Literal

__all__ = ["LevelId"]

# The keys of domain.sla.LEVELS (tests/unit/test_records.py holds them equal).
LevelId = Literal["partner", "vip", "operative", "standard", "free", "consulting", "development"]
