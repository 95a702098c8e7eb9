"""The rsyslog role's checks: each bad value is named with what is allowed."""

from __future__ import annotations

import pytest

from ansible_collections.halb.cluster.plugins.filter.rsyslog import FilterModule

CHECK = FilterModule().filters()["rsyslog_errors"]


def good(**changes):
    values = {
        "rsyslog_udp_address": "127.0.0.1",
        "rsyslog_allow_remote_input": False,
        "rsyslog_udp_port": 514,
        "rsyslog_log_dir": "/var/log/haproxy",
        "rsyslog_log_files": [
            {"facility": "local6", "severity": "info", "file": "info.log"},
            {"facility": "local5", "severity": "notice", "file": "notice.log"},
        ],
        "rsyslog_file_mode": "0640",
        "rsyslog_logrotate_size": None,
        "rsyslog_logrotate_rotate": 14,
    }
    values.update(changes)
    return values


def test_the_role_defaults_pass():
    assert CHECK(good()) == []
    assert CHECK(good(rsyslog_udp_address="::1", rsyslog_logrotate_size="100M")) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rsyslog_udp_address": "0.0.0.0"}, "rsyslog_udp_address: 0.0.0.0 is not a loopback"),
        ({"rsyslog_udp_address": "localhost"}, "rsyslog_udp_address: 'localhost' is not an IP"),
        ({"rsyslog_udp_port": 70000}, "rsyslog_udp_port: 70000 is out of range 1-65535"),
        ({"rsyslog_log_dir": "var/log"}, "rsyslog_log_dir: 'var/log' is not an absolute path"),
        ({"rsyslog_log_dir": "/var/../etc"}, "rsyslog_log_dir: '/var/../etc'"),
        ({"rsyslog_file_mode": 416}, "rsyslog_file_mode: 416 is not a quoted octal mode"),
        ({"rsyslog_file_mode": "0666"}, "rsyslog_file_mode: 0666 lets every user write"),
        ({"rsyslog_log_files": []}, "rsyslog_log_files: is empty"),
        (
            {"rsyslog_log_files": [{"facility": "local9", "severity": "info", "file": "a.log"}]},
            "rsyslog_log_files[a.log].facility: 'local9' is not allowed (allowed: kern,",
        ),
        (
            {"rsyslog_log_files": [{"facility": "local6", "severity": "information", "file": "a"}]},
            "rsyslog_log_files[a].severity: 'information' is not allowed",
        ),
        (
            {"rsyslog_log_files": [{"facility": "local6", "severity": "info", "file": "../x"}]},
            "rsyslog_log_files[../x].file: '../x' is not a plain file name",
        ),
        (
            {"rsyslog_log_files": [{"facility": "local6", "file": "a.log"}]},
            "rsyslog_log_files[a.log].severity: required",
        ),
        (
            {
                "rsyslog_log_files": [
                    {"facility": "local6", "severity": "info", "file": "a.log"},
                    {"facility": "local5", "severity": "notice", "file": "a.log"},
                ]
            },
            "rsyslog_log_files[a.log].file: 'a.log' is used twice",
        ),
        (
            {
                "rsyslog_log_files": [
                    {"facility": "local6", "severity": "info", "file": "a", "fil": 1}
                ]
            },
            "rsyslog_log_files[a]: unknown key 'fil'",
        ),
        ({"rsyslog_logrotate_size": "100 MB"}, "rsyslog_logrotate_size: '100 MB' is not a size"),
        ({"rsyslog_logrotate_rotate": -1}, "rsyslog_logrotate_rotate: -1 is out of range"),
    ],
)
def test_bad_values_are_named(changes, message):
    errors = CHECK(good(**changes))
    assert any(e.startswith(message) for e in errors), errors


def test_remote_input_only_when_allowed():
    assert CHECK(good(rsyslog_udp_address="10.0.0.5", rsyslog_allow_remote_input=True)) == []
