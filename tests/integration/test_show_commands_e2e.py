"""`maild ticket show` names the commands each staff reply ran: a reply of commands
alone is kept as a note «(только команды)», so after #take, #wait, #close, #reopen the
thread showed identical entries and nobody could tell who closed or reopened the
ticket. The text shows them under each reply, the JSON as the message's `commands`.
Real `maild ingest` and `maild ticket show`."""

from __future__ import annotations

from tests.helpers import Desk, make_mail, staff_to

ANNA, BORIS = "anna@example.com", "boris@example.com"


def staff_says(desk: Desk, tid: str, body: str, staff: str) -> None:
    desk.ingest(make_mail(sender=staff, to=staff_to(tid, staff), subject=f"[TID#{tid}]", body=body))


def test_ticket_show_names_the_commands_each_reply_ran_and_who_gave_them(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    staff_says(desk, tid, "#take", ANNA)
    staff_says(desk, tid, "Иван, пришлите журнал ошибок.\n#wait", ANNA)
    staff_says(desk, tid, "#close", BORIS)
    staff_says(desk, tid, "#reopen\n#level vip", ANNA)
    messages = desk.ticket(tid)["messages"]
    ran = [(m["from"], m["kind"], m["commands"]) for m in messages if "commands" in m]
    assert ran == [
        (ANNA, "note", ["#take"]),
        (ANNA, "staff", ["#wait"]),
        (BORIS, "note", ["#close"]),
        (ANNA, "note", ["#reopen", "#level vip"]),
    ]
    assert [m["text"] for m in messages if m["kind"] == "note"] == ["(только команды)"] * 3
    assert all("commands" not in m for m in messages if m["kind"] != "note" and m["from"] != ANNA)
    shown = desk.run("ticket", "show", tid).out.splitlines()
    lines = [s.strip() for s in shown if s.strip().startswith("[команды:")]
    assert lines == [
        "[команды: #take]",
        "[команды: #wait]",
        "[команды: #close]",
        "[команды: #reopen, #level vip]",
    ]
    # each under its writer's line: Boris closed the ticket
    closed = shown.index("   [команды: #close]")
    assert f"note  {BORIS}" in shown[closed - 1]
