"""The mailx_notify role's filters: checks that name the variable, and the
files the role writes, never with the password in an error."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.filter.mailx_notify import FilterModule

F = FilterModule().filters()
PASSWORD = "S3cret:pass/word"


def good(**changes):
    values = {
        "mailx_notify_relay_host": "smtp.example.com",
        "mailx_notify_relay_security": "starttls",
        "mailx_notify_relay_port": None,
        "mailx_notify_relay_allow_plaintext": False,
        "mailx_notify_relay_user": "alerts",
        "mailx_notify_relay_password": PASSWORD,
        "mailx_notify_relay_tls_verify": True,
        "mailx_notify_relay_ca_file": None,
        "mailx_notify_from": "lb-alerts@example.com",
        "mailx_notify_recipients": ["ops@example.com"],
        "mailx_notify_hostname": "lb1.example.com",
        "mailx_notify_user": "keepalived_script",
        "mailx_notify_program_dir": "/usr/local/libexec/halb",
        "mailx_notify_timeout": 30,
        "mailx_notify_spool_dir": "/var/spool/halb-notify",
        "mailx_notify_spool_max": 1000,
        "mailx_notify_flush_interval": 60,
        "mailx_notify_send_test": False,
    }
    values.update(changes)
    return values


def test_the_filters_are_registered():
    assert set(F) == {
        "mailx_notify_errors",
        "mailx_notify_warnings",
        "mailx_notify_mailrc",
        "mailx_notify_settings",
        "mailx_notify_ca_file",
    }


def test_errors_name_the_variable():
    assert F["mailx_notify_errors"](good(), "lb1") == []
    errors = F["mailx_notify_errors"](
        good(mailx_notify_recipients=["ops@example.com", "bob@"], mailx_notify_relay_port=0), "lb1"
    )
    assert errors == [
        "mailx_notify_relay_port: 0 is out of range 1-65535",
        "mailx_notify_recipients[1]: 'bob@' is not an e-mail address (like ops@example.com)",
    ]


def test_the_current_host_name_is_checked_when_none_is_set():
    values = good(mailx_notify_hostname=None)
    assert F["mailx_notify_errors"](values) == []  # unknown: not checked
    [error] = F["mailx_notify_errors"](values, "localhost")
    assert error.startswith("mailx_notify_hostname: not set, and this host's name 'localhost'")


def test_lazy_containers_are_read_like_plain_ones():
    class Lazy:
        def __init__(self, data):
            self._data = data

        def items(self):
            return self._data.items()

    assert F["mailx_notify_errors"](Lazy(good()), "lb1") == []


def test_mailrc_and_settings():
    text = F["mailx_notify_mailrc"](good(), "lb1.example.com")
    assert "set mta='submission://alerts:S3cret%3Apass%2Fword@smtp.example.com:587'" in text
    assert "set hostname='lb1.example.com'" in text
    settings = F["mailx_notify_settings"](good(), "/usr/bin/s-nail")
    assert settings["mailer"] == "/usr/bin/s-nail" and settings["hostname"] == "lb1.example.com"
    assert PASSWORD not in repr(settings)


@pytest.mark.parametrize("name", ["mailx_notify_mailrc", "mailx_notify_settings"])
def test_rendering_refuses_bad_values_without_showing_the_password(name):
    bad = good(mailx_notify_from="nobody", mailx_notify_relay_password=PASSWORD + "\n")
    args = (bad, "/usr/bin/s-nail") if name == "mailx_notify_settings" else (bad,)
    with pytest.raises(AnsibleFilterError) as info:
        F[name](*args)
    text = str(info.value)
    assert "mailx_notify_from: 'nobody' is not an e-mail address" in text
    assert "mailx_notify_relay_password: contains a line break" in text
    assert PASSWORD not in text and "S3cret" not in text


def test_ca_file_and_warnings():
    assert F["mailx_notify_ca_file"](good()) == ""
    assert F["mailx_notify_ca_file"](good(mailx_notify_relay_ca_file="/etc/ssl/x.pem")) == (
        "/etc/ssl/x.pem"
    )
    assert F["mailx_notify_warnings"](good()) == []
    assert F["mailx_notify_warnings"](good(mailx_notify_relay_tls_verify=False))


def test_the_renderers_refuse_injections_and_weak_passwords_without_showing_them():
    for changes in (
        {"mailx_notify_relay_host": "fe80::1%eth0\nset mta=smtp://evil"},
        {"mailx_notify_recipients": [["ops@example.com"]]},
        {"mailx_notify_relay_password": "12345678"},
    ):
        with pytest.raises(AnsibleFilterError) as info:
            F["mailx_notify_mailrc"](good(**changes), "lb1.example.com")
        assert "12345678" not in str(info.value) and "set mta" not in str(info.value)
        assert F["mailx_notify_errors"](good(**changes), "lb1")
    assert F["mailx_notify_ca_file"](["junk"]) == ""
