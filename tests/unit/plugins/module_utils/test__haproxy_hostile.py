"""Issue 15 on the HAProxy side: hostile input never reaches haproxy.cfg.

Every value is read by its grammar and refused naming its variable, rendered
with HAProxy's quoting, and only HAProxyConfigError leaves the model, for
any JSON-like input."""

from __future__ import annotations

import copy
import pathlib
import random

import pytest
import yaml

from ansible_collections.halb.cluster.plugins.module_utils import _haproxy as h
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    INTERNAL_ERROR,
)

from .edit import set_at
from .test__haproxy import API, API1, FE, SHOP, STATS, WEB1, base

GOLDEN = pathlib.Path(__file__).parent / "golden_haproxy"
DOCS = {p.stem: yaml.safe_load(p.read_text()) for p in sorted(GOLDEN.glob("*.yml"))}
INJECT = "fe80::1%x\nlisten evil"


def errors_of(change, allow_weak=False):
    data = base()
    change(data)
    with pytest.raises(h.HAProxyConfigError) as info:
        h.normalize(data, allow_weak_secrets=allow_weak)
    return info.value.errors


def warnings_of(change, allow_weak=False):
    data = base()
    change(data)
    config, warnings = h.normalize(data, allow_weak_secrets=allow_weak)
    h.render(config, normalized=True)
    return warnings


# --------------------------------------------------------------------------
# Line injection: zone IDs, control characters anywhere, canonical addresses
# --------------------------------------------------------------------------

INJECTIONS = {
    "server address (zone ID with a line break)": (
        (*WEB1, "address"),
        INJECT,
        "haproxy_backends[shop].servers[web1].address: line breaks",
    ),
    "server address (zone ID)": (
        (*WEB1, "address"),
        "fe80::1%eth0",
        "haproxy_backends[shop].servers[web1].address: 'fe80::1%eth0' is not an IP address "
        "or a host name; a zone ID",
    ),
    "bind address": (
        (*FE, "binds", 0, "address"),
        "fe80::1%x\u2028bind :1",
        "haproxy_frontends[www].binds[0].address: line breaks",
    ),
    "bind address with a zone ID": (
        (*FE, "binds", 0, "address"),
        "fe80::1%eth0",
        "haproxy_frontends[www].binds[0].address: 'fe80::1%eth0' is not an IP address",
    ),
    "sni": (
        (*API1, "sni"),
        "api.example.com%x\nlisten evil",
        "haproxy_backends[api].servers[api1].sni: line breaks",
    ),
    "httpchk host": (
        (*API, "httpchk", "host"),
        "fe80::1%eth0",
        "haproxy_backends[api].httpchk.host: 'fe80::1%eth0' is not an IP address",
    ),
    "httpchk uri": (
        (*SHOP, "httpchk", "uri"),
        "/test.html\x85listen evil",
        "haproxy_backends[shop].httpchk.uri: line breaks",
    ),
    "log target": (
        ("global", "log", 0, "address"),
        "127.0.0.1%x\nlisten evil:514",
        "haproxy_global.log[0].address: line breaks",
    ),
    "log target host": (
        ("global", "log", 0, "address"),
        "log host:514",
        "haproxy_global.log[0].address: 'log host' is not an IP address or a host name",
    ),
    "stats realm (C1 next line)": (
        (*STATS, "stats", "realm"),
        "Stats\x85listen evil",
        "haproxy_listens[stats].stats.realm: line breaks",
    ),
    "stats user (paragraph separator)": (
        (*STATS, "stats", "auth", 0, "user"),
        "admin\u2029listen",
        "haproxy_listens[stats].stats.auth[0].user: line breaks",
    ),
    "pidfile with a space": (
        ("global", "pidfile"),
        "/run/haproxy.pid daemon",
        "haproxy_global.pidfile: '/run/haproxy.pid daemon' is not a valid path",
    ),
    "server_state_file relative": (
        ("global", "server_state_file"),
        "state",
        "haproxy_global.server_state_file: 'state' is not an absolute path",
    ),
    "ssl options with a comment": (
        ("global", "ssl_default_bind_options"),
        "no-tls-tickets #x",
        "haproxy_global.ssl_default_bind_options: '#x' is not a TLS bind option",
    ),
    "ciphers with a quote": (
        ("global", "ssl_default_bind_ciphers"),
        "ECDHE'x",
        'haproxy_global.ssl_default_bind_ciphers: "ECDHE\'x" contains white space, a quote',
    ),
    "criterion with U+2028": (
        (*FE, "acls", 0, "criterion"),
        "hdr_dom(host) -i a\u2028use_backend api",
        "haproxy_frontends[www].acls[host_shop].criterion: a criterion may not contain line breaks",
    ),
    "extra line with a carriage return": (
        (*SHOP, "extra"),
        ["option httplog\rlisten evil"],
        "haproxy_backends[shop].extra[0]: a line may not contain line breaks",
    ),
    "proxy name with a line break": (
        (*SHOP, "name"),
        "shop\nlisten evil",
        "haproxy_backends[0].name: line breaks",
    ),
}


@pytest.mark.parametrize("case", sorted(INJECTIONS))
def test_injection_is_refused_naming_the_variable(case):
    path, value, expected = INJECTIONS[case]
    errors = errors_of(set_at(path, value))
    assert any(expected in e for e in errors), errors
    assert not any(CONTROL_RE.search(e) for e in errors), errors


def test_addresses_are_re_emitted_canonically():
    data = base()
    data["backends"][0]["servers"][0]["address"] = " 2001:DB8:0:0::11 "
    data["frontends"][0]["binds"][0]["address"] = "2001:0db8::0010"
    text = h.render(data)
    assert "    server web1 2001:db8::11:8000 check" in text
    assert "    bind 2001:db8::10:80\n" in text


# --------------------------------------------------------------------------
# HAProxy's tokenizer: backslash does not escape inside single quotes
# --------------------------------------------------------------------------


def test_backslash_in_single_quotes_does_not_hide_a_comment():
    # HAProxy reads 'a\' as the word a\ and then a comment: the rest of the
    # rule's condition would be silently dropped.
    errors = errors_of(set_at((*FE, "acls", 0, "criterion"), "hdr_dom(host) -i 'a\\' # x"))
    assert any(
        e.startswith("haproxy_frontends[www].acls[host_shop].criterion: ")
        and "contains a # outside quotes" in e
        for e in errors
    ), errors
    errors = errors_of(set_at((*FE, "use_backends", 0, "cond"), "if { path 'a\\' } # host_shop"))
    assert any("use_backends[0].cond" in e and "# outside quotes" in e for e in errors), errors


@pytest.mark.parametrize(
    ("text", "words", "problem"),
    [
        ("a b", ["a", "b"], None),
        ("'a\\' # x", ["a\\"], "comment"),
        ('"a\\" # x"', ['a" # x'], None),
        ("a\\ b", ["a b"], None),
        ("a\\#b", ["a#b"], None),
        ("'a # b'", ["a # b"], None),
        ("'it'\\''s'", ["it's"], None),
        ('"x', [], "an unbalanced quote"),
        ("'x", [], "an unbalanced quote"),
        ("a\\x4", [], "a \\x escape without two hexadecimal digits"),
        ("a\\x41", ["aA"], None),
        ('"$1"', [], "a $ inside double quotes"),
        ('"${HOME}" $x', ["${HOME}", "$x"], None),
        ("'$1'", ["$1"], None),
    ],
)
def test_scanner_follows_haproxy_parse_line(text, words, problem):
    got, why = h._scan(text)
    assert (why or None) is None if problem is None else why.startswith(problem)
    if problem is None:
        assert got == words


@pytest.mark.parametrize(
    "value", ["a b", "it's", 'say "hi"', "x#y", "$HOME", "back\\slash", "{ } !", "plain"]
)
def test_quote_makes_one_haproxy_word(value):
    assert h._scan(f"stats realm {h._quote(value)}") == (["stats", "realm", value], None)


def test_realm_with_quote_and_hash_is_one_quoted_word():
    data = base()
    data["listens"][0]["stats"]["realm"] = "Ops' #1 page"
    text = h.render(data)
    assert "    stats realm 'Ops'\\'' #1 page'\n" in text


def test_realm_with_a_double_quote_is_refused():
    errors = errors_of(set_at((*STATS, "stats", "realm"), 'say "hi"'))
    assert any("stats.realm: may not contain double quotes" in e for e in errors), errors


def test_unbalanced_quote_in_args_is_refused():
    errors = errors_of(set_at((*FE, "http_request", 0, "args"), "X-Tag 'open"))
    assert any(
        e.startswith("haproxy_frontends[www].http_request[0].args: ") and "unbalanced quote" in e
        for e in errors
    ), errors


# --------------------------------------------------------------------------
# Lengths and numbers
# --------------------------------------------------------------------------


def test_a_line_longer_than_haproxy_reads_is_refused():
    data = base()
    data["frontends"][0]["http_request"][0]["args"] = "X-A " + "b" * 990
    data["frontends"][0]["http_request"][0]["cond"] = "{ hdr(x) -m str " + "c" * 980 + " }"
    data["frontends"][0]["extra"] = ["http-request set-header X-B " + "d" * 970]
    text = h.render(data)  # under 2047 bytes each: fine
    assert max(len(line) for line in text.splitlines()) < 2047
    data["frontends"][0]["http_request"][0]["args"] = "X-A " + "é" * 990
    with pytest.raises(h.HAProxyConfigError) as info:
        h.normalize(data)
    assert any(
        e.startswith("haproxy_frontends[www]: the line") and "at most 2047 bytes" in e
        for e in info.value.errors
    ), info.value.errors
    assert all(len(e) < 400 for e in info.value.errors)


def test_too_many_words_are_refused():
    errors = errors_of(
        set_at((*FE, "acls", 0, "criterion"), "hdr_dom(host) -i " + " ".join(["a.test"] * 70))
    )
    assert any("criterion: 72 words; HAProxy reads at most 63" in e for e in errors), errors


def test_long_values_are_cut_in_messages():
    errors = errors_of(set_at((*WEB1, "address"), "a" * 5000))
    assert errors and all(len(e) < 300 for e in errors), errors
    errors = errors_of(set_at((*FE, "default_backend"), ["x" * 5000]))
    assert errors and all(len(e) < 300 for e in errors), errors
    errors = errors_of(set_at((*SHOP, "x" * 5000), 1))
    assert errors and all(len(e) < 400 for e in errors), errors


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (10**20, False),
        ("99999999999999999999d", False),
        ("25d", False),
        ("24d", True),
        (2147483647, True),
        (2147483648, False),
        ("2147483647ms", True),
        ("2147484s", False),
        ("35791m", True),
        ("35792m", False),
        ("596h", True),
        ("597h", False),
        ("2147483647000us", True),
        ("2147483648000us", False),
        (-1, False),
        (1.5, False),
        ("5 s", False),
    ],
)
def test_durations_are_bounded_to_haproxy_timers(value, ok):
    change = set_at(("defaults", "timeouts", "client"), value)
    if ok:
        warnings_of(change)
    else:
        errors = errors_of(change)
        assert any(e.startswith("haproxy_defaults.timeouts.client: ") for e in errors), errors


def test_server_inter_must_be_positive():
    errors = errors_of(set_at((*WEB1, "inter"), 0))
    assert any("servers[web1].inter: 0 is too short" in e for e in errors), errors


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ((*WEB1, "port"), "9" * 5000, "servers[web1].port: "),
        ((*WEB1, "port"), 10**40, "servers[web1].port: "),
        ((*WEB1, "weight"), 1.5, "servers[web1].weight: 1.5 is not a whole number"),
        ((*WEB1, "check"), [True], "servers[web1].check: [True] is not a boolean"),
        (("defaults", "mode"), {"http": 1}, "haproxy_defaults.mode: {'http': 1} is not allowed"),
        ((*FE, "redirects", 0, "code"), "3" * 100, "redirects[0].code: "),
        (("global", "maxconn"), 10**7 + 1, "haproxy_global.maxconn: 10000001 is out of range"),
    ],
)
def test_numbers_and_choices_have_bounds(path, value, expected):
    errors = errors_of(set_at(path, value))
    assert any(expected in e for e in errors), errors
    assert all(len(e) < 300 for e in errors), errors


# --------------------------------------------------------------------------
# Weak secrets
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("123456", "shorter than 8"),
        ("12345678", "common passwords"),
        ("aaaaaaaaaa", "one character repeated"),
        ("abcdefghij", "consecutive"),
        ("Password1", "common passwords"),
    ],
)
def test_weak_stats_password_is_refused_without_being_shown(password, reason):
    errors = errors_of(set_at((*STATS, "stats", "auth", 0, "password"), password))
    assert any(
        e.startswith("haproxy_listens[stats].stats.auth[admin].password: the password")
        and reason in e
        for e in errors
    ), errors
    assert password not in "\n".join(errors)


def test_the_articles_stats_auth_is_refused():
    errors = errors_of(
        lambda d: d["listens"][0]["stats"].update(auth=[{"user": "admin", "password": "123456"}])
    )
    assert any("stats.auth[admin].password" in e for e in errors), errors


def test_weak_password_in_an_extra_stats_auth_line_is_refused():
    errors = errors_of(set_at((*STATS, "extra"), ["stats auth ops:11111111"]))
    assert any(e.startswith("haproxy_listens[stats].extra[0]: the password") for e in errors)
    assert "11111111" not in "\n".join(errors)


def test_weak_userlist_password_is_refused_and_a_hash_checked_only_for_its_form():
    users = [
        {"name": "a", "password": "admin123"},
        {"name": "b", "password": "$6$rounds=5000$salt$0bM7sQ3oOjvF5m1bpq7vY9"},
        {"name": "c", "password": "$notahash"},
        {"name": "d", "password": "$y$j9T$abc$def"},
    ]
    errors = errors_of(lambda d: d.update(userlists=[{"name": "ops", "users": users}]))
    assert any(
        e.startswith("haproxy_userlists[ops].users[a].password: the password") for e in errors
    )
    assert any(
        e.startswith("haproxy_userlists[ops].users[c].password: starts with $ but is not a crypt")
        for e in errors
    )
    assert not any("users[b]" in e or "users[d]" in e for e in errors), errors


def test_allow_weak_secrets_accepts_them_with_a_warning():
    change = set_at((*STATS, "stats", "auth", 0, "password"), "123456")
    warnings = warnings_of(change, allow_weak=True)
    assert any(
        w.startswith("haproxy_listens[stats].stats.auth[admin].password: the password")
        and "accepted because weak secrets are allowed" in w
        for w in warnings
    ), warnings
    assert "123456" not in "\n".join(warnings)
    data = base()
    change(data)
    assert "stats auth admin:123456" in h.render(data, allow_weak_secrets=True)
    assert h.check(data)["errors"] and not h.check(data, allow_weak_secrets=True)["errors"]
    # Only True itself switches it on (a truthy string from a template does not).
    assert h.check(data, allow_weak_secrets="false")["errors"]


# --------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------


def test_backend_no_frontend_uses_is_warned_about():
    lonely = {"name": "lonely", "servers": [{"name": "a", "address": "192.0.2.9", "port": 80}]}
    warnings = warnings_of(lambda d: d["backends"].append(lonely))
    assert any(
        w.startswith("haproxy_backends[lonely]: no frontend or listen uses this backend")
        for w in warnings
    ), warnings
    assert not any("haproxy_backends[shop]:" in w or "[api]:" in w for w in warnings)


def test_backend_used_from_extra_or_chosen_at_run_time_is_not_warned_about():
    lonely = {"name": "lonely", "servers": [{"name": "a", "address": "192.0.2.9", "port": 80}]}

    def named(d):
        d["backends"].append(lonely)
        d["frontends"][0]["extra"] = ["use_backend lonely if { path_beg /l }"]

    def dynamic(d):
        d["backends"].append(lonely)
        d["frontends"][0]["extra"] = ["use_backend be_%[req.hdr(host),lower]"]

    for change in (named, dynamic):
        assert not any("no frontend" in w for w in warnings_of(change))


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            (*FE, "acls", 0, "criterion"),
            "hdr_dom(host) -i *.example.com",
            "haproxy_frontends[www].acls[host_shop].criterion: '*.example.com': hdr_dom(host)",
        ),
        (
            (*FE, "acls", 0, "criterion"),
            "hdr(host) -i shop.example.com *.shop.example.com",
            "criterion: '*.shop.example.com': hdr(host)",
        ),
        (
            (*FE, "acls", 0, "criterion"),
            "hdr_end(Host) *.example.com",
            "criterion: '*.example.com': hdr_end(host)",
        ),
        (
            (*FE, "use_backends", 0, "cond"),
            "if { req.hdr(host) -i *.shop.test }",
            "haproxy_frontends[www].use_backends[0].cond: '*.shop.test'",
        ),
        (
            (*FE, "extra"),
            ["acl wild hdr_dom(host) -i *.example.com"],
            "haproxy_frontends[www].extra[0]: '*.example.com'",
        ),
    ],
)
def test_wildcard_in_a_literal_host_match_is_warned_about(path, value, expected):
    warnings = warnings_of(set_at(path, value))
    assert any(expected in w and "matches no host" in w for w in warnings), warnings


def test_regex_host_match_may_use_a_star():
    for criterion in ("hdr_reg(host) -i .*\\.example\\.com", "hdr(host) -m reg -i .*example"):
        warnings = warnings_of(set_at((*FE, "acls", 0, "criterion"), criterion))
        assert not any("matches no host" in w for w in warnings), warnings


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("option httpclose", "option httpclose closes every connection"),
        ("option accept-invalid-http-request", "request smuggling"),
        ("option nolinger", "option nolinger"),
        ("stats admin if TRUE", "TRUE lets anyone"),
    ],
)
def test_discouraged_lines_in_extra_are_warned_about(line, expected):
    warnings = warnings_of(set_at((*STATS, "extra"), [line]))
    assert any(
        w.startswith("haproxy_listens[stats].extra[0]: ") and expected in w for w in warnings
    )


def test_no_option_httpclose_is_not_warned_about():
    warnings = warnings_of(set_at((*SHOP, "extra"), ["no option httpclose"]))
    assert not any("httpclose" in w for w in warnings), warnings


# --------------------------------------------------------------------------
# Ports and sources (the firewall's input)
# --------------------------------------------------------------------------


def test_sources_as_a_single_string_are_one_network():
    ports = h.bind_ports(base(), {8404: "10.0.0.0/8"}, "haproxy_stats_allowed_networks")
    assert next(p for p in ports if p["port"] == 8404)["sources"] == ["10.0.0.0/8"]


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ({8404: 8}, "haproxy_stats_allowed_networks: expected a list, got int"),
        ({8404: 8.5}, "haproxy_stats_allowed_networks: expected a list, got float"),
        ({8404: True}, "haproxy_stats_allowed_networks: expected a list, got bool"),
        ({8404: [None]}, "haproxy_stats_allowed_networks[0]: required"),
        ({8404: ["10.0.0.1/8"]}, "haproxy_stats_allowed_networks[0]: 10.0.0.1/8 has host bits"),
        ({8404: ["10.0.0.0/8\nx"]}, "haproxy_stats_allowed_networks[0]: line breaks"),
        ({8404: [{"a": 1}]}, "haproxy_stats_allowed_networks[0]: "),
        (7, "haproxy_stats_allowed_networks: expected a mapping, got int"),
    ],
)
def test_bad_sources_are_refused_naming_the_variable(sources, expected):
    with pytest.raises(h.HAProxyConfigError) as info:
        h.bind_ports(base(), sources, "haproxy_stats_allowed_networks")
    assert any(e.startswith(expected) for e in info.value.errors), info.value.errors
    assert not any(INTERNAL_ERROR in e for e in info.value.errors)


# --------------------------------------------------------------------------
# Only HAProxyConfigError leaves the model, for any JSON-like input
# --------------------------------------------------------------------------

ATOMS = [
    None,
    True,
    False,
    0,
    -1,
    7,
    10**30,
    1.5,
    float("nan"),
    float("inf"),
    "",
    " ",
    "x",
    "a b",
    INJECT,
    "fe80::1%eth0",
    "10s",
    "99999999999999999999d",
    "#",
    "'",
    '"',
    "\\",
    "$(id)",
    "\u2028",
    "\x85",
    "a" * 3000,
    "9" * 5000,
    "*",
    "TRUE",
    "{",
    "}",
    "if",
    "0660",
    "/x",
    "192.0.2.1",
    "::1",
    "$6$",
]
KEYS = ["name", "x", "port", "address", "auth", "password", "user", "servers", 1, None]


def _value(rnd, depth=0):
    roll = rnd.random()
    if depth > 2 or roll < 0.6:
        return rnd.choice(ATOMS)
    if roll < 0.8:
        return [_value(rnd, depth + 1) for _item in range(rnd.randint(0, 3))]
    return {rnd.choice(KEYS): _value(rnd, depth + 1) for _item in range(rnd.randint(0, 3))}


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _replace(node, path, value):
    if not path:
        return value
    target = node
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return node


@pytest.mark.parametrize("seed", range(8))
def test_random_json_like_values_only_raise_config_errors(seed):
    rnd = random.Random(seed)
    for _case in range(150):
        data = copy.deepcopy(DOCS[rnd.choice(sorted(DOCS))])
        for _change in range(rnd.randint(1, 3)):
            data = _replace(data, rnd.choice(list(_paths(data))), _value(rnd))
        messages = []
        try:
            config, warnings = h.normalize(data, allow_weak_secrets=rnd.random() < 0.5)
            messages += warnings
            text = h.render(config, normalized=True)
            assert not any(CONTROL_RE.search(line) for line in text.split("\n"))
            assert all(len(line.encode()) <= 2047 for line in text.split("\n"))
        except h.HAProxyConfigError as exc:
            messages += exc.errors
        messages += h.check(data)["errors"]
        try:
            h.bind_ports(data, {8404: _value(rnd)}, "haproxy_stats_allowed_networks")
        except h.HAProxyConfigError as exc:
            messages += exc.errors
        listens = data.get("listens") if isinstance(data, dict) else data
        messages += h.file_entry_errors(listens, "haproxy_certificates")
        messages += h.file_entry_errors(_value(rnd), "haproxy_ca_certificates", "ca")
        h.secrets(data)
        h.redact(_value(rnd))
        for message in messages:
            assert INTERNAL_ERROR not in message, message
            assert len(message) < 600, message
            assert not CONTROL_RE.search(message), message


def test_not_a_mapping_anywhere_is_a_config_error():
    for value in (None, 1, 1.5, "x", [], True):
        with pytest.raises(h.HAProxyConfigError):
            h.normalize(value)
        assert h.check(value)["errors"]
    assert h.secrets({"listens": 1.5, "userlists": 7}) == []
    assert h.redact(None) is None and h.redact(5) == 5


@pytest.mark.parametrize(
    "line",
    [
        'user x insecure-password S3cretPw9 "',
        'stats auth admin:S3cretPw9 "x',
        'user bob password $6$S3cretPw9 "',
        "stats auth admin:S3cretPw9 #c",
    ],
)
def test_an_unreadable_extra_line_is_repeated_without_its_password(line):
    """The model names a line it cannot read; the password in it stays hidden
    (issue 19: imported hand-built lines reach extra)."""
    with pytest.raises(h.HAProxyConfigError) as info:
        h.normalize({"global": {"extra": [line]}})
    text = " ".join(info.value.errors)
    assert "haproxy_global.extra[0]" in text
    assert "S3cretPw9" not in text and "********" in text
