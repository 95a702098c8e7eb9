"""The mailx_notify checks and the files rendered from the role's variables."""

from __future__ import annotations

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _mail

PASSWORD = "p@ss:w/rd% '\"x"
PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def good(**changes):
    values = {
        "mailx_notify_relay_host": "smtp.example.com",
        "mailx_notify_relay_security": "starttls",
        "mailx_notify_relay_port": None,
        "mailx_notify_relay_allow_plaintext": False,
        "mailx_notify_relay_user": "alerts@example.com",
        "mailx_notify_relay_password": PASSWORD,
        "mailx_notify_relay_tls_verify": True,
        "mailx_notify_relay_ca_file": None,
        "mailx_notify_from": "lb-alerts@example.com",
        "mailx_notify_recipients": ["ops@example.com", "oncall@example.com"],
        "mailx_notify_hostname": None,
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


def test_good_values_pass():
    assert _mail.errors(good(), "lb1.example.com") == []
    assert _mail.errors(good(mailx_notify_hostname="lb1"), "localhost") == []
    assert _mail.errors(good(mailx_notify_relay_host="192.0.2.25"), "lb1") == []
    assert _mail.errors(good(mailx_notify_relay_host="2001:db8::25"), "lb1") == []
    assert _mail.errors(good(mailx_notify_relay_ca_file="/etc/ssl/ca.pem"), "lb1") == []
    assert _mail.errors(good(mailx_notify_relay_ca_file=PEM), "lb1") == []
    # No authentication at all is allowed (a relay that trusts the network).
    assert (
        _mail.errors(good(mailx_notify_relay_user=None, mailx_notify_relay_password=None), "lb1")
        == []
    )
    # Plaintext when allowed explicitly.
    assert (
        _mail.errors(
            good(mailx_notify_relay_security="none", mailx_notify_relay_allow_plaintext=True),
            "lb1",
        )
        == []
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mailx_notify_from": "lb-alerts"}, "mailx_notify_from: 'lb-alerts' is not an e-mail"),
        ({"mailx_notify_from": None}, "mailx_notify_from: required"),
        ({"mailx_notify_from": "a b@example.com"}, "mailx_notify_from: 'a b@example.com' is not"),
        ({"mailx_notify_from": "|cmd@example.com"}, "mailx_notify_from: '|cmd@example.com' is not"),
        (
            {"mailx_notify_recipients": ["ops@example.com", "bob@"]},
            "mailx_notify_recipients[1]: 'bob@' is not an e-mail address",
        ),
        (
            {"mailx_notify_recipients": ["ops@localhost"]},
            "mailx_notify_recipients[0]: 'ops@localhost' is not an e-mail address",
        ),
        (
            {"mailx_notify_recipients": ["/tmp/file@example.com"]},
            "mailx_notify_recipients[0]: '/tmp/file@example.com' is not",
        ),
        (
            {"mailx_notify_recipients": ["ops@example.com", "OPS@example.com"]},
            "mailx_notify_recipients[1]: 'OPS@example.com' is listed twice",
        ),
        ({"mailx_notify_recipients": []}, "mailx_notify_recipients: is empty"),
        ({"mailx_notify_recipients": None}, "mailx_notify_recipients: is empty"),
        (
            {"mailx_notify_recipients": "ops@example.com"},
            "mailx_notify_recipients: expected a list, got str",
        ),
        (
            {"mailx_notify_relay_port": 70000},
            "mailx_notify_relay_port: 70000 is out of range 1-65535",
        ),
        ({"mailx_notify_relay_port": 0}, "mailx_notify_relay_port: 0 is out of range 1-65535"),
        (
            {"mailx_notify_relay_port": "smtp"},
            "mailx_notify_relay_port: 'smtp' is not a whole number",
        ),
        ({"mailx_notify_relay_host": ""}, "mailx_notify_relay_host: required"),
        ({"mailx_notify_relay_host": None}, "mailx_notify_relay_host: required"),
        (
            {"mailx_notify_relay_host": "smtp example.com"},
            "mailx_notify_relay_host: 'smtp example.com' is not a host name or IP address",
        ),
        (
            {"mailx_notify_relay_host": "user@smtp.example.com"},
            "mailx_notify_relay_host: 'user@smtp.example.com' is not a host name",
        ),
        (
            {"mailx_notify_relay_password": None},
            "mailx_notify_relay_password: required when mailx_notify_relay_user is set",
        ),
        (
            {"mailx_notify_relay_password": ""},
            "mailx_notify_relay_password: required when mailx_notify_relay_user is set",
        ),
        (
            {"mailx_notify_relay_user": None},
            "mailx_notify_relay_user: required when mailx_notify_relay_password is set",
        ),
        (
            {"mailx_notify_relay_password": "two\nlines"},
            "mailx_notify_relay_password: contains a line break",
        ),
        ({"mailx_notify_relay_password": 1234}, "mailx_notify_relay_password: must be a string"),
        (
            {"mailx_notify_relay_user": "a\tb"},
            "mailx_notify_relay_user: 'a\\tb' is not a user name",
        ),
        (
            {"mailx_notify_relay_security": "none"},
            "mailx_notify_relay_security: none sends the alerts (and the relay password) unencrypted",
        ),
        (
            {"mailx_notify_relay_security": "ssl"},
            "mailx_notify_relay_security: 'ssl' is not allowed (allowed: starttls, tls, none)",
        ),
        ({"mailx_notify_relay_security": None}, "mailx_notify_relay_security: required"),
        (
            {"mailx_notify_relay_allow_plaintext": "maybe"},
            "mailx_notify_relay_allow_plaintext: 'maybe' is not a boolean",
        ),
        ({"mailx_notify_relay_tls_verify": "sure"}, "mailx_notify_relay_tls_verify: 'sure' is not"),
        ({"mailx_notify_timeout": 0}, "mailx_notify_timeout: 0 is out of range 1-300"),
        ({"mailx_notify_timeout": 301}, "mailx_notify_timeout: 301 is out of range 1-300"),
        ({"mailx_notify_timeout": "30s"}, "mailx_notify_timeout: '30s' is not a whole number"),
        ({"mailx_notify_timeout": None}, "mailx_notify_timeout: required"),
        ({"mailx_notify_spool_max": 5}, "mailx_notify_spool_max: 5 is out of range 10-100000"),
        ({"mailx_notify_flush_interval": 1}, "mailx_notify_flush_interval: 1 is out of range"),
        ({"mailx_notify_user": "root"}, "mailx_notify_user: root is not allowed"),
        ({"mailx_notify_user": "Bad User"}, "mailx_notify_user: 'Bad User' is not a system user"),
        ({"mailx_notify_spool_dir": "spool"}, "mailx_notify_spool_dir: 'spool' is not an absolute"),
        ({"mailx_notify_spool_dir": "/var/../etc"}, "mailx_notify_spool_dir: '/var/../etc' is not"),
        ({"mailx_notify_spool_dir": "/tmp"}, "mailx_notify_spool_dir: /tmp is a system directory"),
        ({"mailx_notify_program_dir": "bin"}, "mailx_notify_program_dir: 'bin' is not an absolute"),
        ({"mailx_notify_send_test": "yes please"}, "mailx_notify_send_test: 'yes please' is not"),
        (
            {"mailx_notify_relay_ca_file": "certs/ca.pem"},
            "mailx_notify_relay_ca_file: 'certs/ca.pem' is neither an absolute path",
        ),
        (
            {"mailx_notify_relay_ca_file": "-----BEGIN PRIVATE KEY-----\nabc\n"},
            "mailx_notify_relay_ca_file: PEM text is neither",
        ),
        (
            {"mailx_notify_hostname": "lb1_example!"},
            "mailx_notify_hostname: 'lb1_example!' is not a valid host name",
        ),
        (
            {"mailx_notify_hostname": "a" * 65},
            "mailx_notify_hostname: '" + "a" * 53,
        ),
        (
            {"mailx_notify_hostname": "localhost"},
            "mailx_notify_hostname: 'localhost' does not say which load balancer sent an alert",
        ),
    ],
)
def test_bad_values_are_named(changes, message):
    errors = _mail.errors(good(**changes), "lb1.example.com")
    assert any(e.startswith(message) for e in errors), errors


@pytest.mark.parametrize(
    "name",
    ["localhost", "localhost.localdomain", "debian", "(none)", "", "0123456789ab", "LOCALHOST"],
)
def test_a_meaningless_host_name_is_refused_unless_one_is_set(name):
    errors = _mail.errors(good(), name)
    assert len(errors) == 1
    assert errors[0].startswith(f"mailx_notify_hostname: not set, and this host's name {name!r}")
    assert _mail.errors(good(mailx_notify_hostname="lb1.example.com"), name) == []


def test_the_password_is_never_in_a_message():
    for changes in (
        {"mailx_notify_relay_password": PASSWORD + "\n"},
        {"mailx_notify_relay_user": None},
        {"mailx_notify_relay_password": PASSWORD * 40},
        {"mailx_notify_relay_security": "none"},
    ):
        errors = _mail.errors(good(**changes), "localhost")
        assert errors
        assert not any(PASSWORD in e or "p@ss" in e for e in errors), errors


def test_ports_follow_the_security_unless_given():
    assert _mail.relay_port(good()) == 587
    assert _mail.relay_port(good(mailx_notify_relay_security="tls")) == 465
    assert _mail.relay_port(good(mailx_notify_relay_security="none")) == 25
    assert _mail.relay_port(good(mailx_notify_relay_port=2525)) == 2525
    assert _mail.relay_port(good(mailx_notify_relay_port="2525")) == 2525


def test_the_mta_url_encodes_the_credentials():
    assert _mail.mta_url(good()) == (
        "submission://alerts%40example.com:p%40ss%3Aw%2Frd%25%20%27%22x@smtp.example.com:587"
    )
    assert _mail.mta_url(good(mailx_notify_relay_security="tls")).startswith("submissions://")
    assert _mail.mta_url(good(mailx_notify_relay_user=None, mailx_notify_relay_password=None)) == (
        "submission://smtp.example.com:587"
    )
    assert _mail.mta_url(good(mailx_notify_relay_host="2001:db8::25")).endswith(
        "@[2001:db8::25]:587"
    )


def test_the_mailrc_for_starttls_checks_the_relay_against_the_given_ca():
    text = _mail.mailrc(good(mailx_notify_relay_ca_file=PEM), "lb1.example.com")
    lines = text.splitlines()
    assert "set v15-compat" in lines
    assert f"set mta='{_mail.mta_url(good())}'" in lines
    assert "set smtp-use-starttls" in lines
    assert "set tls-verify=strict" in lines
    assert "set tls-ca-file='/etc/halb/notify-ca.pem'" in lines
    assert "set tls-ca-no-defaults" in lines
    assert "set from='lb-alerts@example.com'" in lines
    assert "set hostname='lb1.example.com'" in lines
    assert "set sendwait" in lines and "unset save" in lines
    assert "set expandaddr=fail,-all,+addr" in lines
    assert "set socket-connect-timeout=30" in lines
    # Only the percent-encoded form of the password is in the file.
    assert PASSWORD not in text
    # No line breaks the single quotes s-nail reads the values in.
    for line in lines:
        if line.startswith("set ") and "'" in line:
            assert line.count("'") == 2, line


def test_the_mailrc_for_other_settings():
    tls = _mail.mailrc(good(mailx_notify_relay_security="tls"))
    assert "smtp-use-starttls" not in tls and "submissions://" in tls
    assert "tls-ca-file" not in tls  # the host's trust store
    assert "set hostname" not in tls
    path = _mail.mailrc(good(mailx_notify_relay_ca_file="/etc/ssl/certs/relay-ca.pem"))
    assert "set tls-ca-file='/etc/ssl/certs/relay-ca.pem'" in path
    noverify = _mail.mailrc(good(mailx_notify_relay_tls_verify=False))
    assert "set tls-verify=ignore" in noverify
    noauth = _mail.mailrc(good(mailx_notify_relay_user=None, mailx_notify_relay_password=None))
    assert "set smtp-auth=none" in noauth
    plain = _mail.mailrc(
        good(mailx_notify_relay_security="none", mailx_notify_relay_allow_plaintext=True)
    )
    assert "smtp://" in plain and "tls-verify" not in plain and "starttls" not in plain


def test_warnings_for_weakened_security():
    assert _mail.warnings(good()) == []
    [plain] = _mail.warnings(
        good(mailx_notify_relay_security="none", mailx_notify_relay_allow_plaintext=True)
    )
    assert plain.startswith("mailx_notify_relay_allow_plaintext: the relay is used WITHOUT TLS")
    assert "relay password" in plain
    [noverify] = _mail.warnings(good(mailx_notify_relay_tls_verify=False))
    assert noverify.startswith("mailx_notify_relay_tls_verify: false")
    [ip] = _mail.warnings(good(mailx_notify_relay_host="192.0.2.25"))
    assert ip.startswith("mailx_notify_relay_host: 192.0.2.25 is an IP address")


def test_settings_hold_no_secret():
    settings = _mail.settings(good(mailx_notify_timeout=10), "/usr/bin/s-nail")
    assert settings == {
        "hostname": "",
        "from": "lb-alerts@example.com",
        "recipients": ["ops@example.com", "oncall@example.com"],
        "relay": "smtp.example.com:587 (starttls)",
        "mailer": "/usr/bin/s-nail",
        "mailrc": "/etc/halb/notify.mailrc",
        "user": "keepalived_script",
        "spool_dir": "/var/spool/halb-notify",
        "spool_max": 1000,
        "timeout": 10,
        "flush_budget": 60,
    }
    assert _mail.settings(good(), "m")["flush_budget"] == 120
    assert PASSWORD not in repr(settings)


@pytest.mark.parametrize(
    ("value", "kind", "path"),
    [
        (None, None, None),
        ("", None, None),
        ("/etc/ssl/ca.pem", "path", "/etc/ssl/ca.pem"),
        (PEM, "pem", "/etc/halb/notify-ca.pem"),
        ("ca.pem", "invalid", None),
        ("/etc/../ca.pem", "invalid", None),
        (42, "invalid", None),
    ],
)
def test_ca_file_kinds(value, kind, path):
    assert _mail.ca_kind(value) == kind
    assert _mail.ca_file(good(mailx_notify_relay_ca_file=value)) == path


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("ops@example.com", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("bob@", False),
        ("@example.com", False),
        ("ops@example", False),
        ("a@b@example.com", False),
        ("Ops <ops@example.com>", False),
        ("ops@-example.com", False),
        (".ops@example.com", False),
        ("ops..x@example.com", False),
        (None, False),
    ],
)
def test_is_email(address, ok):
    assert _mail.is_email(address) is ok


JUNK = [
    None, True, 0, -1, 2.5, "", " ", "x" * 5000, "a\nb", "a\u2028b", "a\x85b", "::1%lo",
    "fe80::1%eth0\nset mta=x", [], [None], [[[]]], {}, {"a": {"b": [1]}}, ["x" * 5000],
    [["ops@example.com"]],
]  # fmt: skip


@pytest.mark.parametrize("var", sorted(good()) + ["mailx_notify_allow_weak_secrets"])
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_any_json_value_gives_messages_never_an_exception(var, junk):
    values = good(**{var: junk})
    errs = _mail.errors(values, "lb1.example.com")
    assert isinstance(errs, list)
    for message in errs:
        assert "\n" not in message and len(message) < 500, message
        assert "internal error" not in message and "p@ss" not in message
    assert isinstance(_mail.warnings(values), list)
    if not errs:
        # What passes renders, and no value adds a line to the s-nail settings.
        text = _mail.mailrc(values, "lb1.example.com")
        assert all(line.startswith(("#", "set ", "unset ")) for line in text.splitlines())


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_as_the_whole_mapping_gives_a_message(junk):
    assert _mail.errors(junk) or isinstance(junk, dict)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"mailx_notify_relay_host": "fe80::1%eth0\nset mta=smtp://evil"},
            "mailx_notify_relay_host: line breaks and other control characters",
        ),
        (
            {"mailx_notify_relay_host": "fe80::1%eth0"},
            "mailx_notify_relay_host: 'fe80::1%eth0' is not a host name or IP address",
        ),
        (
            {"mailx_notify_relay_host": "smtp.example.com\u2028x"},
            "mailx_notify_relay_host: line breaks",
        ),
        (
            {"mailx_notify_recipients": [["ops@example.com"]]},
            "mailx_notify_recipients[0]: ['ops@example.com'] is not an e-mail address",
        ),
        (
            {"mailx_notify_recipients": [{"a": 1}, {"a": 1}]},
            "mailx_notify_recipients[1]: {'a': 1} is not an e-mail address",
        ),
        (
            {"mailx_notify_from": "a@example.com' \nset x='y"},
            "mailx_notify_from: line breaks",
        ),
        (
            {"mailx_notify_relay_ca_file": PEM.replace("MIIBfake", "MIIB fake'\nset x=y")},
            "mailx_notify_relay_ca_file: PEM text is neither",
        ),
        (
            {"mailx_notify_relay_ca_file": "/etc/ssl/ca.pem\n"},
            "mailx_notify_relay_ca_file: '/etc/ssl/ca.pem\\n' is neither",
        ),
        ({"mailx_notify_spool_dir": "/var/spool/a b"}, "mailx_notify_spool_dir: '/var/spool/a b'"),
        ({"mailx_notify_program_dir": "/usr/%h"}, "mailx_notify_program_dir: '/usr/%h' is not"),
        ({"mailx_notify_timeout": "9" * 5000}, "mailx_notify_timeout: '999"),
    ],
)
def test_injections_are_refused_by_name(changes, message):
    errs = _mail.errors(good(**changes), "lb1.example.com")
    assert any(e.startswith(message) for e in errs), errs
    assert all(len(e) < 500 for e in errs)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Short1!", "is shorter than 8 characters"),
        ("aaaaaaaaaaaa", "is one character repeated"),
        ("12345678", "is on the list of common passwords"),
        ("abcdefghij", "is a run of consecutive characters"),
        ("Password123", "is on the list of common passwords"),
    ],
)
def test_a_weak_relay_password_is_refused_unless_allowed(password, reason):
    values = good(mailx_notify_relay_password=password)
    [error] = _mail.errors(values, "lb1")
    assert error.startswith(f"mailx_notify_relay_password: the password {reason}")
    assert "mailx_notify_allow_weak_secrets" in error and password not in error
    allowed = good(mailx_notify_relay_password=password, mailx_notify_allow_weak_secrets="true")
    assert _mail.errors(allowed, "lb1") == []
    [warning] = [w for w in _mail.warnings(allowed) if "password" in w]
    assert "accepted because weak secrets are allowed" in warning and password not in warning


@pytest.mark.parametrize("password", ["R3lay:P@ss/76%", "aB3dE6gH9jK2mN5pQ8sT"])
def test_the_test_and_lab_relay_passwords_pass(password):
    assert _mail.errors(good(mailx_notify_relay_password=password), "lb1") == []


def test_s_nail_values_are_quoted_shell_style():
    assert _mail.quote("a'b") == "'a'\\''b'"
    assert _mail.quote("smtp://x") == "'smtp://x'"
    with pytest.raises(_mail.MailConfigError):
        _mail.quote("a\nset x=y")


def test_the_relay_address_is_written_canonically():
    values = good(mailx_notify_relay_host=" 2001:DB8:0:0::25 ")
    assert _mail.errors(values, "lb1") == []
    assert _mail.mta_url(values).endswith("@[2001:db8::25]:587")
    assert _mail.settings(values, "m")["relay"] == "[2001:db8::25]:587 (starttls)"


def test_the_grammar_is_the_shared_one():
    from ansible_collections.halb.cluster.plugins.module_utils import _typed

    assert _mail.is_email is _typed.is_email and _mail.is_hostname is _typed.is_hostname
    with pytest.raises(_mail.MailConfigError):
        _mail.checked(good(mailx_notify_from=None))
