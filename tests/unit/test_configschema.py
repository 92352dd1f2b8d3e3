"""SCHEMA (maild.configschema) and the config dataclasses agree: every key of a
section is a field of its dataclass, and its default there is SCHEMA's (configtypes'
FROM_SCHEMA), so no rule (the 75 % reminder, the caps on automatic mail) has two
values."""

from __future__ import annotations

import dataclasses

import pytest

from maild import configtypes
from maild.configschema import REQUIRED, SCHEMA

SECTIONS = {
    "support": configtypes.SupportConfig,
    "schedule": configtypes.ScheduleConfig,
    "calendar": configtypes.CalendarConfig,
    "storage": configtypes.StorageConfig,
    "templates": configtypes.TemplatesConfig,
    "spam": configtypes.SpamConfig,
    "limits": configtypes.LimitsConfig,
    "log": configtypes.LogConfig,
    "metrics": configtypes.MetricsConfig,
    "web": configtypes.WebConfig,
    "outbound": configtypes.OutboundConfig,
    "smtp": configtypes.SmtpConfig,
    "imap": configtypes.ImapConfig,
}
NOT_FIELDS = {"storage": {"path"}}  # Config.storage_path


def test_every_section_has_a_dataclass_or_is_a_plain_table():
    assert set(SCHEMA) == set(SECTIONS) | {"attachments"}  # Config.attachments: a dict


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_keys_are_the_dataclass_fields(name):
    keys = set(SCHEMA[name]) - NOT_FIELDS.get(name, set())
    assert keys == {f.name for f in dataclasses.fields(SECTIONS[name])}


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_a_default_in_both_places_is_the_same(name):
    for f in dataclasses.fields(SECTIONS[name]):
        if f.default is dataclasses.MISSING:
            continue
        default = SCHEMA[name][f.name][2]
        assert default is not REQUIRED, f"{name}.{f.name}"
        assert (tuple(default) if isinstance(default, list) else default) == f.default, (
            f"{name}.{f.name}"
        )


@pytest.mark.parametrize(
    ("name", "key"), [(s, k) for s, keys in SCHEMA.items() for k in keys], ids=str
)
def test_every_default_passes_its_own_check(name, key):
    check, _what, default = SCHEMA[name][key]
    if default is not REQUIRED and default is not None:
        assert check(default), f"{name}.{key} = {default!r}"
