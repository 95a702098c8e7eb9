"""The rsyslog model: hostile input is refused by name, never crashes, and
the rendered files quote every string by RainerScript's rules."""

from __future__ import annotations

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _rsyslog

GOOD = {
    "rsyslog_udp_address": "127.0.0.1",
    "rsyslog_allow_remote_input": False,
    "rsyslog_udp_port": 514,
    "rsyslog_log_dir": "/var/log/haproxy",
    "rsyslog_log_files": [
        {"facility": "local6", "severity": "info", "file": "info.log"},
        {"facility": "local5", "severity": "notice", "file": "notice.log"},
    ],
    "rsyslog_file_owner": "root",
    "rsyslog_file_group": "adm",
    "rsyslog_file_mode": "0640",
    "rsyslog_config_path": "/etc/rsyslog.d/49-halb-haproxy.conf",
    "rsyslog_logrotate_frequency": "daily",
    "rsyslog_logrotate_size": None,
    "rsyslog_logrotate_rotate": 14,
    "rsyslog_logrotate_compress": True,
    "rsyslog_service": "rsyslog.service",
}

JUNK = [
    None, True, 0, -1, 2.5, "", " ", "x" * 5000, "a\nb", "a\u2028b", "a\x85b",
    [], [None], [[[]]], {}, {"a": {"b": [1]}}, ["x" * 5000],
]  # fmt: skip


def bad(**changes):
    return dict(GOOD, **changes)


def test_the_defaults_render_both_files():
    assert _rsyslog.errors(GOOD) == []
    text = _rsyslog.config(GOOD)
    assert 'input(type="imudp" address="127.0.0.1" port="514" ruleset="halb_haproxy")' in text
    assert 'fileOwner="root" fileGroup="adm"' in text
    assert text.count('action(type="omfile"') == 2
    rotate = _rsyslog.logrotate(GOOD)
    assert rotate.startswith("/var/log/haproxy/info.log /var/log/haproxy/notice.log {\n")
    assert "kill-whom=main rsyslog.service" in rotate


@pytest.mark.parametrize("var", sorted(GOOD))
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_any_json_value_gives_messages_never_an_exception(var, junk):
    errs = _rsyslog.errors(bad(**{var: junk}))
    assert isinstance(errs, list)
    for message in errs:
        assert "\n" not in message and len(message) < 400, message
        assert "internal error" not in message
    if errs:
        with pytest.raises(_rsyslog.RsyslogConfigError):
            _rsyslog.config(bad(**{var: junk}))


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_as_the_whole_mapping_or_a_list_entry(junk):
    assert _rsyslog.errors(junk) or isinstance(junk, dict)
    assert isinstance(_rsyslog.errors(bad(rsyslog_log_files=[junk])), list)
    entry = {"facility": "local6", "severity": "info", "file": junk}
    assert _rsyslog.errors(bad(rsyslog_log_files=[entry]))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"rsyslog_file_owner": 'root" template="x") action(type="omprog'},
            "rsyslog_file_owner: ",
        ),
        ({"rsyslog_file_group": "adm\nmodule(load=omprog)"}, "rsyslog_file_group: line breaks"),
        ({"rsyslog_udp_address": "::1%lo\ninput(type=imtcp)"}, "rsyslog_udp_address: line"),
        ({"rsyslog_udp_address": "::1%lo"}, "rsyslog_udp_address: '::1%lo' is not an IPv4 or"),
        ({"rsyslog_udp_address": "::1%x\u2028y"}, "rsyslog_udp_address: line breaks"),
        ({"rsyslog_log_files": [{"facility": "local6", "severity": "info", "file": ["a"]}]},
         "rsyslog_log_files[0].file: ['a'] is not a plain file name"),
        ({"rsyslog_log_dir": '/var/log/"x'}, "rsyslog_log_dir: "),
        ({"rsyslog_service": "rsyslog; reboot"}, "rsyslog_service: "),
        ({"rsyslog_logrotate_frequency": "daily\nrotate 0"}, "rsyslog_logrotate_frequency: "),
        ({"rsyslog_logrotate_size": "1M\n"}, "rsyslog_logrotate_size: "),
        ({"rsyslog_udp_port": "5" * 5000}, "rsyslog_udp_port: '555"),
    ],
)  # fmt: skip
def test_injections_are_refused_by_name(changes, message):
    errs = _rsyslog.errors(bad(**changes))
    assert any(e.startswith(message) for e in errs), errs
    assert all(len(e) < 400 for e in errs)


def test_a_null_owner_or_group_leaves_the_directive_out():
    assert _rsyslog.errors(bad(rsyslog_file_owner=None, rsyslog_file_group="")) == []
    text = _rsyslog.config(bad(rsyslog_file_owner=None, rsyslog_file_group=""))
    assert "fileOwner" not in text and "fileGroup" not in text and "None" not in text
    text = _rsyslog.config(bad(rsyslog_file_owner=None))
    assert 'fileGroup="adm"' in text and "fileOwner" not in text


def test_addresses_are_written_canonically():
    text = _rsyslog.config(bad(rsyslog_udp_address=" 0:0:0:0:0:0:0:1 "))
    assert 'address="::1"' in text


def test_rainerscript_strings_escape_quote_and_backslash():
    assert _rsyslog.quote('a"b\\c') == '"a\\"b\\\\c"'
    with pytest.raises(_rsyslog.RsyslogConfigError):
        _rsyslog.quote("a\nb")
