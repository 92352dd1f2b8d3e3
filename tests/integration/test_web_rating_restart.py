"""One rating per closing holds in the store, not only in the site's memory: a
rating posted on the site before `maild serve` restarted, not stored yet, and a
second one of the same closing posted after the restart (the site's claim of the
first gone with the old process) are both spooled; the store records the first and
the second poster's page says the closing is rated, as a rating sent again does."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

from tests.faults.test_worker_killed import workers
from tests.helpers import Daemon, Sink
from tests.integration.test_backup_race import store_lock
from tests.integration.test_serve import wait_until
from tests.integration.test_web_customer import opened, staff_close
from tests.webclient import post, request, site_desk

WHO = "timur@shop-example.ru"
# how long a post waits for the pipeline before its page says «later»: shorter than
# views.WAIT_STORED (5 s; the first rating waits it all, the store locked), still far
# over the second's (answered within 0.1 s of the lock let go)
PACE = {"maild.web.views.WAIT_STORED": 2.0}


def serving(desk) -> Daemon:
    """`maild serve` started once more on the desk, its site listening."""
    daemon = Daemon(desk, pace=PACE)
    before = daemon.log.read_text().count("site on") if daemon.log.exists() else 0
    daemon.start()
    assert wait_until(lambda: daemon.logtext().count("site on") > before, timeout=10)
    return daemon


def crash(daemon: Daemon) -> None:
    """`maild serve` and its worker die at once (a power cut, kill -9 of the unit)."""
    dying = workers(daemon.proc.pid)
    for pid in dying:
        os.kill(pid, signal.SIGKILL)
    daemon.kill()
    # gone for good (reaped): the next start takes up what they had claimed
    assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in dying))


def spooled(store: Path) -> int:
    """Messages spooled and not processed: waiting, or claimed by a worker."""
    spool = store / "spool"
    count = 0
    for folder in [spool / "new", *(spool / "claimed").iterdir()]:
        with contextlib.suppress(FileNotFoundError):  # a dead worker's, taken up meanwhile
            count += sum(not name.startswith(".") for name in os.listdir(folder))
    return count


def test_a_closing_is_rated_once_across_a_restart_of_the_site(tmp_path):
    sink = Sink().start()
    desk, base = site_desk(tmp_path, sink.port)
    store = tmp_path / "data"
    daemon = serving(desk)
    try:
        link, tid = opened((desk, daemon, sink, base), WHO)
        staff_close((desk, daemon, sink, base), tid, "Готово.\n#close")
        first, second = request(link).form_token(), request(link).form_token()  # two tabs
        answers: dict[str, object] = {}
        with store_lock(store):  # the worker busy: the first rating not stored yet
            page = post(link + "/rate", {"form": first, "rating": "5"})
            assert page.status == 303 and page.headers["location"].endswith("?sent=later")
            crash(daemon)
            daemon = serving(desk)  # the site's memory of the first rating is gone

            def rate_again() -> None:
                answers["1"] = post(link + "/rate", {"form": second, "rating": "1"})

            poster = threading.Thread(target=rate_again)
            poster.start()
            assert wait_until(lambda: spooled(store) == 2, timeout=10)
        poster.join(30)
        again = answers["1"]
        # the store took the first: the second poster is told so, as on a rating sent again
        assert again.status == 400, (desk.ticket(tid)["messages"], daemon.logtext())
        assert "Вы уже оценили работу поддержки: 5 из 5." in again.text
        assert '<dd id="rating">5 из 5</dd>' in again.text and "Оцените работу" not in again.text

        def mail(subject: str) -> list:
            return [m for m in sink.to(WHO) if subject in m.subject]

        assert wait_until(lambda: mail("Обращение уже оценено"))
        time.sleep(0.5)
        assert len(mail("Спасибо за оценку")) == 1 and len(mail("Обращение уже оценено")) == 1
        ticket = desk.ticket(tid)
        assert ticket["rating"] == 5 and ticket["status"] == "closed"
        said = [m["text"].strip() for m in ticket["messages"] if m["kind"] == "customer"]
        assert said[-2:] == ["Оценка: 5", "Оценка: 1"]  # the second kept as text only
        # reopened and closed again: a new closing, rated anew
        reopened = post(link + "/reopen", {"form": request(link).form_token(), "text": "Снова"})
        assert reopened.headers["location"].endswith("?sent=reopen")
        staff_close((desk, daemon, sink, base), tid, "Теперь исправлено.\n#close")
        rated = post(link + "/rate", {"form": request(link).form_token(), "rating": "3"})
        assert rated.status == 303 and rated.headers["location"].endswith("?sent=rate")
        assert desk.ticket(tid)["rating"] == 3
        assert wait_until(lambda: len(mail("Спасибо за оценку")) == 2)
        assert '<dd id="rating">3 из 5</dd>' in request(link).text
    finally:
        assert daemon.stop() == 0
        sink.stop()
