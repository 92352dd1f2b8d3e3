"""Whatever arrives, the real pipeline stores it: arbitrary bytes and MIME trees.

In-process (maild.runner.ingest on an App over a temporary data dir), so hypothesis
can try many messages: ingest never raises, the raw bytes are in the spool, and a
ticket holds the message under the Message-ID that parse() gives it.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maild.app import App
from maild.config import parse as parse_config
from maild.domain.message import parse
from maild.runner import ingest
from tests.unit.test_message import _serialize, _set_envelope, mime_tree

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# A fresh Message-ID per example: every tree goes all the way, none is a duplicate.
_IDS = itertools.count()


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> App:
    root = tmp_path_factory.mktemp("ingest-property")
    config = parse_config(
        {
            "support": {
                "address": "support@example.com",
                "staff": ["anna@example.com"],
                "head": "head@example.com",
            },
            "storage": {"path": str(root / "data")},
            "outbound": {"host": "127.0.0.1", "port": 9},
        },
        str(root / "maild.toml"),
    )
    return App(config)


def assert_stored(app: App, raw: bytes) -> None:
    key, decision = ingest(app, raw)
    assert decision is not None, "processing was deferred"
    assert not app.spool.is_pending(key)
    msgid = parse(raw).message_id
    assert app.store.tid_for_msgid(msgid) == decision.tid
    loaded = app.store.load(decision.tid)
    assert loaded is not None
    [record] = [m for m in loaded[1] if m["message_id"] == msgid]
    if decision.outcome == "duplicate":  # drawn before (b"" and b" " are one mail without
        # a Message-ID: its digest's), stored once: the copy its ticket names (runner)
        assert record["spool_key"] not in (None, key)
        app.spool.read(record["spool_key"])  # (there)
        with pytest.raises(FileNotFoundError):  # its second copy outlived no ticket
            app.spool.read(key)
    else:
        assert app.spool.read(key) == raw
    # Stored by the normal path, not by the runner's raw-text fallback after a bug.
    assert not (record.get("parse_problem") or "").startswith("processing error")
    assert isinstance(record["text"], str)


@PROPERTY
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.binary(max_size=2000).map(lambda b: b"From: a@shop.example\r\nSubject: x\r\n\r\n" + b),
    )
)
def test_any_bytes_are_stored(app: App, raw: bytes) -> None:
    assert_stored(app, raw)


@PROPERTY
@given(st.data())
def test_any_mime_tree_is_stored(app: App, data) -> None:
    tree, _leaves, _ = data.draw(mime_tree())
    _set_envelope(data.draw, tree)
    del tree["Message-ID"]
    tree["Message-ID"] = f"<property-{next(_IDS)}@shop.example>"
    assert_stored(app, _serialize(tree))
