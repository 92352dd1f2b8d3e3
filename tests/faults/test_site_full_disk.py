"""The support site on a full disk (a small real ext4 image, loop-mounted): a reply,
«Задать вопрос» and a confirmation posted while the store cannot write get 503 «try
later» with what the visitor typed shown back, one log line naming the ticket and
the reason; a 500 and a traceback logged as ERROR before. The post sent again once
space returns is taken."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from tests.faults.fs import ext4, fill
from tests.helpers import Daemon, Desk, Sink, make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.webclient import link_in, post, request, site_desk


@contextlib.contextmanager
def site_on_a_small_disk(tmp_path: Path) -> Iterator[tuple[Desk, Daemon, str, str, Path]]:
    """`maild serve` with the site, its store on a 16 MB ext4 image, one ticket of
    Ivan's in it: (desk, daemon, base URL, Ivan's ticket link, the image's mount)."""
    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=16) as mnt:
        sink = Sink().start()
        desk, base = site_desk(tmp_path, sink.port, storage={"path": str(mnt / "data")})
        daemon = Daemon(desk).start()
        try:
            desk.ingest(make_mail(msgid="<full1@client.example>"))
            desk.flush()
            [conf] = sink.to("ivan@shop-example.ru")
            yield desk, daemon, base, link_in(conf.text, base), mnt
        finally:
            daemon.stop()
            sink.stop()


def _tid(link: str) -> str:
    return link.rsplit("/", 1)[1].split(".")[0]


def test_the_site_on_a_full_disk_says_try_later_and_keeps_the_text(tmp_path):
    with site_on_a_small_disk(tmp_path) as (desk, daemon, base, link, mnt):
        page = request(link)
        ballast = fill(mnt)
        typed = "Ответ при полном диске"
        r = post(link + "/reply", {"form": page.form_token(), "text": typed})
        assert r.status == 503 and "Попробуйте, пожалуйста, через несколько минут" in r.text
        assert typed in r.text  # to copy, not to type again
        ask = {"email": "oleg@client.example", "subject": "Вопрос", "text": "Другой вопрос"}
        form = request(base + "/new").form_token()
        r = post(base + "/new", {**ask, "form": form}, headers={"X-Forwarded-For": "192.0.2.9"})
        assert r.status == 503 and "Другой вопрос" in r.text
        log = daemon.logtext()
        assert "Traceback" not in log and "ERROR" not in log, log[-2000:]
        said = rf"web POST /t/…/reply \[TID#{_tid(link)}\] not served: OSError: No space left"
        assert re.search(said, log), log[-2000:]
        ballast.unlink()
        sent = post(link + "/reply", {"form": page.form_token(), "text": typed})
        assert sent.status == 303
        messages = desk.ticket(_tid(link))["messages"]
        assert [m["text"] for m in messages if m["kind"] == "customer"][-1].strip() == typed


def test_a_rating_refused_on_a_full_disk_is_taken_when_posted_again(tmp_path):
    """The 503 page asks to post again in a few minutes, but the failed post's claim
    on the closing stood for 10 minutes: the rating posted again was refused as given
    already («Вы уже оценили»), and none was stored."""
    with site_on_a_small_disk(tmp_path) as (desk, _daemon, _base, link, mnt):
        tid = _tid(link)
        closing = make_mail(
            sender="anna@example.com", to=staff_to(tid), subject=f"Re: [TID#{tid}]",
            body="Готово.\n#close",
        )  # fmt: skip
        desk.ingest(closing)
        assert desk.ticket(tid)["status"] == "closed"
        page = request(link)
        ballast = fill(mnt)
        r = post(link + "/rate", {"form": page.form_token(), "rating": "5"})
        assert r.status == 503
        ballast.unlink()
        again = post(link + "/rate", {"form": request(link).form_token(), "rating": "5"})
        assert again.status == 303, again.text[:300]
        assert wait_until(lambda: desk.ticket(tid).get("rating") == 5)
        assert desk.ticket(tid)["rating"] == 5
