"""A mailing list's posts, each from another poster, meet one staff-notice cap: the
list's (List-Id), not one per From."""

from __future__ import annotations

from tests.helpers import Desk, make_mail

LIST = {"List-Id": "Devel <devel.lists.example.org>", "Precedence": "list"}


def test_a_lists_posts_from_many_posters_meet_one_notice_cap(tmp_path, sink):
    """Each poster had been a sender of its own to the cap: 30 posts from 30 posters
    were 60 notices, here 12 posts 24. The notice that they are held gives staff no
    `ticket list --requester` line: the list is no requester."""
    desk = Desk(tmp_path, sink.port, support={"max_staff_notices_per_sender_per_hour": 3})
    for i in range(12):
        post = make_mail(
            sender=f"Poster {i} <p{i}@corp{i}.example>",
            to="devel@lists.example.org",
            subject=f"[devel] build failure {i}",
            headers=LIST,
        )
        desk.ingest(post)
    desk.ingest(make_mail(sender="ivan@shop-example.ru"))  # a person's mail: its own cap
    desk.flush()
    sink.wait_for(9)
    anna = sink.to("anna@example.com")
    assert len(desk.tickets()) == 13  # every post is kept
    posts = [r for r in anna if "build failure" in r.subject]
    assert len(posts) == 3, [r.subject for r in anna]
    [held] = [r for r in anna if "рассылки <devel.lists.example.org>" in r.subject]
    assert "приостановлены" in held.subject
    # a list's posters are many: no `--requester` line, which named "list:<its id>",
    # an address no ticket has
    assert "--requester" not in held.text and "list:" not in held.text
    assert [r for r in anna if "оформление заказа" in r.subject]
    assert [
        r for r in sink.received if r.rcpt_tos[0].endswith(".example") and "corp" in r.rcpt_tos[0]
    ] == []
