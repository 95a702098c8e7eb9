"""The grammar of values (_typed.py): every kind refuses control characters,
names the variable and what it allows, and never repeats a long value."""

from __future__ import annotations

import re

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _typed as t

CONTROLS = ["\n", "\r", "\x00", "\x0b", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]
READERS = [name for name in t.KINDS if name != "port"]


def read(kind, value):
    errs = []
    return t.KINDS[kind](errs, "my_var", value), errs


@pytest.mark.parametrize("kind", READERS)
@pytest.mark.parametrize("control", CONTROLS, ids=repr)
def test_no_kind_takes_a_control_character(kind, control):
    for value in (f"a{control}b", f"ab{control}", f"fe80::1%{control}x"):
        clean, errs = read(kind, value)
        assert clean is None
        assert errs and errs[0].startswith("my_var: ")
        assert not t.CONTROL_RE.search(errs[0])


@pytest.mark.parametrize("kind", READERS)
def test_a_long_value_is_refused_without_being_repeated(kind):
    clean, errs = read(kind, "a" * 100_000)
    assert clean is None
    assert errs and all(len(e) < 400 for e in errs)


@pytest.mark.parametrize("kind", READERS)
@pytest.mark.parametrize("value", [1.5, True, [], {}, ["a"], {"a": 1}], ids=repr)
def test_no_kind_takes_another_type(kind, value):
    clean, errs = read(kind, value)
    assert clean is None and errs and errs[0].startswith("my_var: ")


@pytest.mark.parametrize(
    ("kind", "good", "clean"),
    [
        ("word", "web-1.example:8080", "web-1.example:8080"),
        ("name", "VI_1", "VI_1"),
        ("file_name", "chk_haproxy.sh", "chk_haproxy.sh"),
        ("user", "keepalived_script", "keepalived_script"),
        ("interface", "eth0.100", "eth0.100"),
        ("path", "/usr/local/libexec/halb", "/usr/local/libexec/halb"),
        ("directory", "/var/log/haproxy/", "/var/log/haproxy"),
        ("hostname", "lb1.example.com", "lb1.example.com"),
        ("ip", "2001:DB8::0001", "2001:db8::1"),
        ("host", "relay.example.com", "relay.example.com"),
        ("network", "192.0.2.0/24", "192.0.2.0/24"),
        ("email", "ops@example.com", "ops@example.com"),
        ("text", "HAProxy statistics", "HAProxy statistics"),
    ],
)
def test_each_kind_takes_a_good_value(kind, good, clean):
    assert read(kind, good) == (clean, [])


@pytest.mark.parametrize(
    ("kind", "bad", "says"),
    [
        ("word", "a b", "letters, digits"),
        ("word", "$(id)", "letters, digits"),
        ("name", "-x", "not starting with"),
        ("file_name", "../../etc/cron.d/x", "file name"),
        ("file_name", ".hidden", "file name"),
        ("user", "Root", "lower-case"),
        ("user", "a'b", "lower-case"),
        ("interface", "eth0 eth1", "interface name"),
        ("interface", "averyveryverylongname", "at most 15"),
        ("path", "relative/path", "absolute path"),
        ("path", "/etc/../shadow", "without . or .."),
        ("path", "/a//b", "absolute path"),
        ("path", "/a/b/", "absolute path"),
        ("path", "/a b", "absolute path"),
        ("path", "/$(id)", "absolute path"),
        ("hostname", "-a.example", "host name"),
        ("hostname", "1.2.3.4", "host name"),
        ("ip", "fe80::1%eth0", "zone ID"),
        ("ip", "192.0.2.300", "IPv4 or IPv6"),
        ("host", "a_b", "host name"),
        ("network", "192.0.2.1/24", "did you mean 192.0.2.0/24"),
        ("network", "fe80::/64%eth0", "zone ID"),
        ("email", "a|b@example.com", "e-mail address"),
        ("email", "ops@localhost", "e-mail address"),
        ("text", "   ", "white space"),
    ],
)
def test_each_kind_refuses_with_the_variable_and_what_is_allowed(kind, bad, says):
    clean, errs = read(kind, bad)
    assert clean is None
    assert len(errs) == 1 and errs[0].startswith("my_var: ") and says in errs[0]


def test_a_zone_id_only_where_asked_for_and_only_an_interface_name():
    errs = []
    assert t.as_ip(errs, "v", "FE80::1%eth0", zone=True) == "fe80::1%eth0"
    assert t.as_ip(errs, "v", "fe80::1%eth0 x", zone=True) is None
    assert t.as_ip(errs, "v", "192.0.2.1%eth0", zone=True) is None
    assert t.as_ip(errs, "v", "fe80::1%$(id)", zone=True) is None
    assert len(errs) == 3 and all("zone ID" in e or "IPv4" in e for e in errs)


def test_ip_family():
    errs = []
    assert t.as_ip(errs, "v", "192.0.2.1", family=6) is None
    assert errs == ["v: '192.0.2.1' is not an IPv6 address"]


def test_port_bounds():
    errs = []
    assert t.as_port(errs, "p", 0) is None and t.as_port(errs, "p", "443") == 443
    assert t.as_port(errs, "p", 10**20) is None
    assert len(errs) == 2 and all(e.startswith("p: ") for e in errs)


def test_show_cuts_and_escapes():
    assert t.show("a\nb") == "'a\\nb'"
    long = t.show("x" * 10_000)
    assert len(long) < 100 and "characters" in long


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("123456", "shorter than 8"),
        ("11111111", "one character repeated"),
        ("Password", "common passwords"),
        ("changeme", "common passwords"),
        ("abcdefghi", "consecutive"),
        ("98765432", "consecutive"),
    ],
)
def test_weak_secrets_are_refused_without_showing_them(secret, why):
    errs, warns = [], []
    t.check_secret(errs, warns, "haproxy_stats_password", secret)
    assert warns == [] and len(errs) == 1
    assert errs[0].startswith("haproxy_stats_password: the password ") and why in errs[0]
    assert secret not in errs[0] and "halb_allow_weak_secrets" in errs[0]


def test_weak_secrets_are_a_warning_in_a_lab():
    errs, warns = [], []
    t.check_secret(errs, warns, "v", "11111111", allow_weak=True)
    assert errs == [] and len(warns) == 1 and "11111111" not in warns[0]


def test_a_strong_secret_passes():
    errs, warns = [], []
    t.check_secret(errs, warns, "v", "Tq7-vX2p-Lm9")
    assert errs == warns == []


def test_label_uses_a_name_only_when_it_could_be_valid():
    assert t.label("v", 0, {"name": "VI_1"}) == "v[VI_1]"
    assert t.label("v", 3, {"name": "VI\n1"}) == "v[3]"
    assert t.label("v", 4, {"name": "x" * 1000}) == "v[4]"


UNSAFE = re.compile(r"[\s#]")


def test_as_unquoted_names_what_the_file_cannot_hold_and_checks_the_pattern():
    def read(value, **kwargs):
        errs = []
        args = ("v", value, UNSAFE, "white space or #", "a.cfg")
        return t.as_unquoted(errs, *args, **kwargs), errs

    assert read("web-1") == ("web-1", [])
    assert read("a b", what="server name") == (
        None,
        ["v: 'a b' contains white space or #, which a.cfg cannot hold in a server name"],
    )
    pattern = re.compile(r"[a-z]+")
    assert read("web-1", pattern=pattern) == (None, ["v: 'web-1' is not a valid name"])
    assert read(8404) == (None, ["v: 8404 is not a non-empty string (name)"])
    assert read(8404, numbers=True) == ("8404", [])
    assert read("x" * 11, max_len=10)[1] == ["v: 11 characters is too long for a name (at most 10)"]


def test_unknown_keys_hints_only_for_strings_and_names_removed_keys():
    errs = []
    allowed = ("value", "overwrite")
    t.unknown_keys(errs, "v", {False: 1, "valu": 2, "old": 3}, allowed, {"old": "is gone"})
    assert errs == [
        "v: unknown key False (allowed: overwrite, value)",
        "v: unknown key 'valu'; did you mean 'value'? (allowed: overwrite, value)",
        "v.old: old is gone",
    ]


def test_entry_shows_a_duplicate_name_whole():
    errs = []
    seen = set()
    name = "n" * 64
    for _attempt in range(2):
        t.entry(errs, "v[x]", {"name": name}, ("name",), seen, t.as_name)
    assert errs == [f"v[x].name: {name!r} is defined twice"]


def test_mappings_yields_the_mappings_and_reports_the_rest():
    errs = []
    value = [{"name": "a", "colour": 1}, "b", {"name": "c"}]
    found = list(t.mappings(errs, "v", value, "a name", ("name",), removed={"colour": "is gone"}))
    assert found == [("v[0]", value[0]), ("v[2]", value[2])]
    assert errs == ["v[0].colour: colour is gone", "v[1]: expected a mapping with a name"]
    errs = []
    labelled = t.mappings(errs, "v", value, "a name", ("name", "colour"), lambda i, e: f"v<{i}>")
    assert [at for at, _entry in labelled] == ["v<0>", "v<2>"]
    assert errs == ["v<1>: expected a mapping with a name"]
    assert list(t.mappings(errs, "w", "text", "a name", ("name",))) == []
    assert errs[-1] == "w: expected a list, got str"


def test_backstop_turns_a_crash_into_our_error_naming_the_variable():
    class MyError(t.ConfigError):
        pass

    @t.only_config_errors(MyError, "my_var")
    def broken(data):
        return data["x"] + 1

    with pytest.raises(MyError) as caught:
        broken({"x": "a"})
    assert caught.value.errors[0].startswith("my_var: ") and t.INTERNAL_ERROR in str(caught.value)


def test_value_errors_checks_role_variables_by_kind():
    errs = t.value_errors(
        {
            "haproxy_scripts_dir": ["directory", "/usr/local/$(id)"],
            "haproxy_config_path": ["path", "/etc/haproxy/haproxy.cfg\nExecStartPre=/bin/sh"],
            "rsyslog_file_owner": ["user", None, {"optional": True}],
            "mailx_notify_recipients": ["email", ["ops@example.com", None, ["x"]], {"list": True}],
            "haproxy_down_file": ["path", None],
        }
    )
    assert [e.split(":", maxsplit=1)[0] for e in errs] == [
        "haproxy_scripts_dir",
        "haproxy_config_path",
        "mailx_notify_recipients[1]",
        "mailx_notify_recipients[2]",
        "haproxy_down_file",
    ]
    assert not any(t.CONTROL_RE.search(e) for e in errs)


def test_value_errors_checks_numbers_against_their_range():
    errs = t.value_errors(
        {
            "keepalived_backend_check.interval": ["number", "abc", {"min": 0.1, "max": 60}],
            "keepalived_garp_master_refresh": ["int", -1, {"min": 0, "max": 86400}],
            "keepalived_backend_alert_after": ["int", "1.5", {"min": 0, "max": 86400}],
            "ok_number": ["number", "0.5", {"min": 0.1, "max": 60}],
            "ok_int": ["int", "10", {"min": 0, "max": 86400}],
            "unbounded": ["int", 1],
        }
    )
    assert errs == [
        "keepalived_backend_check.interval: 'abc' is not a number (allowed: 0.1-60)",
        "keepalived_garp_master_refresh: -1 is out of range 0-86400",
        "keepalived_backend_alert_after: '1.5' is not a whole number (allowed: 0-86400)",
        "unbounded: internal: kind int needs min and max",
    ]


def test_value_errors_on_a_bad_spec():
    assert t.value_errors([]) and t.value_errors({"v": ["nokind", "x"]})[0].startswith("v: ")
