"""The SLA report: per level, did staff react within the level's time?

A ticket is "in time" when its first staff reaction came before the deadline set
at creation, "breached" when it came later or is still missing past it.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime
from typing import Any

from maild.app import App
from maild.domain.sla import LEVELS


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (k - lo), 2)


def sla_report(app: App, since: date | None = None, until: date | None = None) -> dict[str, Any]:
    now = app.now()
    rows = app.store.summaries()
    buckets: dict[str, dict[str, Any]] = {}

    def bucket(level: str) -> dict[str, Any]:
        return buckets.setdefault(
            level,
            {
                "level": level,
                "tickets": 0,
                "in_time": 0,
                "breached": 0,
                "open": 0,
                "overdue": 0,
                "_hours": [],
            },
        )

    for r in rows:
        created = datetime.fromisoformat(r["created_at"])
        local_day = created.astimezone(app.tz).date()
        if (since and local_day < since) or (until and local_day > until):
            continue
        for b in (bucket(r["level"]), bucket("all")):
            b["tickets"] += 1
            due = r.get("first_reaction_due")
            reacted = r.get("first_reaction_at")
            if reacted:
                hours = app.calendar.business_hours_between(
                    created, datetime.fromisoformat(reacted)
                )
                b["_hours"].append(hours)
                if due and reacted <= due or not due:
                    b["in_time"] += 1
                else:
                    b["breached"] += 1
            elif due and datetime.fromisoformat(due) < now:
                b["breached"] += 1
            if r["status"] != "closed":
                b["open"] += 1
                if r.get("reaction_due") and datetime.fromisoformat(r["reaction_due"]) < now:
                    b["overdue"] += 1
    order = [*LEVELS, "all"]
    levels = []
    for lv in order:
        if lv not in buckets:
            continue
        b = buckets[lv]
        hours = b.pop("_hours")
        b["median_reaction_hours"] = round(statistics.median(hours), 2) if hours else None
        b["p90_reaction_hours"] = _pct(hours, 0.9)
        levels.append(b)
    return {
        "generated_at": now.isoformat(),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "levels": levels,
    }


def format_sla(data: dict[str, Any]) -> str:
    head = (
        f"{'level':<12} {'tickets':>7} {'in time':>7} {'breached':>8} {'median h':>8} "
        f"{'p90 h':>6} {'open':>5} {'overdue':>7}"
    )
    lines = [f"SLA report, generated {data['generated_at'][:16]}", head, "-" * len(head)]
    for b in data["levels"]:
        med = "-" if b["median_reaction_hours"] is None else f"{b['median_reaction_hours']:.1f}"
        p90 = "-" if b["p90_reaction_hours"] is None else f"{b['p90_reaction_hours']:.1f}"
        lines.append(
            f"{b['level']:<12} {b['tickets']:>7} {b['in_time']:>7} {b['breached']:>8} "
            f"{med:>8} {p90:>6} {b['open']:>5} {b['overdue']:>7}"
        )
    if not data["levels"]:
        lines.append("no tickets in this period")
    return "\n".join(lines)
