"""registry.json: the licenses and commercial groups that give senders a level."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from tinydb import Query, TinyDB

from maild.adapters.store.files import CorruptFile, FileCache, open_db
from maild.domain.recordcheck import registry_fault
from maild.domain.sender import Group, License


class Registry:
    """The TinyDB of licenses and groups at `path`, kept parsed in `cache`."""

    def __init__(self, path: str, cache: FileCache) -> None:
        self.path = path
        self.cache = cache

    def _db(self) -> TinyDB:
        return open_db(self.path, self.cache, keep=True)

    def items(self) -> tuple[list[License], list[Group]]:
        """Licenses and groups; CorruptFile if registry.json is not readable, or an
        entry is not what maild wrote (domain.recordcheck.registry_fault: a level it
        does not know, addresses that are no list): mail waits rather than be given a
        wrong level, and fsck names the entry."""
        db = self._db()
        try:
            for table in ("licenses", "groups"):
                for n, entry in enumerate(db.table(table).all(), 1):
                    if fault := registry_fault(table, n, entry):
                        raise CorruptFile(self.path, f"not a registry: {fault}")
            return _licenses(db), _groups(db)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise CorruptFile(self.path, f"not a registry: {e!r}") from None
        finally:
            db.close()

    def add_license(self, lic: License) -> None:
        doc = asdict(lic)
        doc["emails"] = [e.lower() for e in lic.emails]
        doc["until"] = lic.until.isoformat() if lic.until else None
        self._upsert("licenses", doc, _named(Query().key, lic.key))

    def add_group(self, grp: Group) -> None:
        doc = asdict(grp)
        doc["domains"] = [d.lower() for d in grp.domains]
        doc["until"] = grp.until.isoformat() if grp.until else None
        self._upsert("groups", doc, _named(Query().name, grp.name))

    def remove_license(self, key: str) -> bool:
        return self._remove("licenses", _named(Query().key, key))

    def remove_group(self, name: str) -> bool:
        return self._remove("groups", _named(Query().name, name))

    def _upsert(self, table: str, doc: dict[str, Any], cond: Any) -> None:
        db = self._db()
        try:
            db.table(table).upsert(doc, cond)
        finally:
            db.close()

    def _remove(self, table: str, cond: Any) -> bool:
        db = self._db()
        try:
            return bool(db.table(table).remove(cond))
        finally:
            db.close()


def _until(doc: dict[str, Any]) -> date | None:
    return date.fromisoformat(doc["until"]) if doc.get("until") else None


def _licenses(db: TinyDB) -> list[License]:
    return [
        License(
            key=d["key"],
            level=d["level"],
            emails=tuple(d["emails"]),
            until=_until(d),
            name=d.get("name") or "",
        )
        for d in db.table("licenses").all()
    ]


def _groups(db: TinyDB) -> list[Group]:
    return [
        Group(name=d["name"], level=d["level"], domains=tuple(d["domains"]), until=_until(d))
        for d in db.table("groups").all()
    ]


def _named(field: Any, name: str) -> Any:
    """A registry entry by its key or name as given; one stored with blanks around it
    (the command strips them since) answers to it without them too: `remove` removes
    it, `add` changes it (not a second entry of that key)."""
    wanted = name.strip()
    return field.test(lambda value: isinstance(value, str) and value.strip() == wanted)
