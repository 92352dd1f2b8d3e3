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


def test_a_lists_proven_posts_held_give_no_command_for_an_empty_address(tmp_path, sink):
    """A list that keeps its posters' From and their DKIM (our MTA's dkim=pass for
    each poster's domain): the posts prove their senders, yet count as the list's,
    unproven (trust.notice_sender). The notice that they are held names the list and
    asks it be unsubscribed; it gives no `ticket list --requester` nor `block add`
    line: counted as proven, the notice's commands named an empty address ('')."""
    from tests.helpers import AUTHSERV, dkim_pass

    support = {"max_staff_notices_per_sender_per_hour": 2, "authserv_id": AUTHSERV}
    desk = Desk(tmp_path, sink.port, support=support)
    for i in range(4):
        poster = f"p{i}@corp{i}.example"
        post = make_mail(
            sender=f"Poster {i} <{poster}>",
            to="devel@lists.example.org",
            subject=f"[devel] build failure {i}",
            headers={**LIST, **dkim_pass(poster)},
        )
        desk.ingest(post)
    desk.flush()
    sink.wait_for(6)
    anna = sink.to("anna@example.com")
    [held] = [r for r in anna if "рассылки <devel.lists.example.org>" in r.subject]
    assert "попросите отписать адрес поддержки" in held.text
    assert "--requester" not in held.text and "block add" not in held.text, held.text
