"""Rendering (golden files), checks, warnings and redaction of _haproxy."""

from __future__ import annotations

import copy
import os
import pathlib

import pytest
import yaml

from ansible_collections.halb.cluster.plugins.module_utils import _haproxy as h

from .edit import DELETE, set_at

GOLDEN = pathlib.Path(__file__).parent / "golden_haproxy"
ARTICLE = yaml.safe_load((GOLDEN / "haproxy_article.yml").read_text())
STATS_PASSWORD = "Vg7-kq2Lx9"


def base():
    """The article's setup: frontend www, listen stats, backends shop and api."""
    return copy.deepcopy(ARTICLE)


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.yml")))
def test_render_matches_golden_file(name):
    data = yaml.safe_load((GOLDEN / f"{name}.yml").read_text())
    text = h.render(data)
    expected = GOLDEN / f"{name}.cfg"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text)
    assert text == expected.read_text()


def test_render_is_deterministic_and_idempotent_through_normalize():
    data = base()
    once, warnings = h.normalize(data)
    assert h.normalize(once) == (once, warnings)
    assert h.render(data) == h.render(once, normalized=True) == h.render(base())


def test_render_does_not_change_its_input():
    data = base()
    h.render(data)
    assert data == base()


def test_sections_come_in_a_fixed_order_with_the_header_first():
    text = h.render(yaml.safe_load((GOLDEN / "haproxy_tcp_userlists.yml").read_text()))
    assert text.startswith(h.HEADER)
    titles = [line.split()[0] for line in text.splitlines() if line and not line[0].isspace()]
    assert titles == ["#", "global", "defaults", "userlist", "frontend", "listen", "backend"]


def test_empty_configuration_renders_only_the_header():
    assert h.render({}) == h.HEADER


def test_normalize_accepts_strings_for_numbers_and_booleans():
    data = base()
    data["backends"][0]["servers"][0]["port"] = "8000"
    data["global"]["master_worker"] = "yes"
    config, _warnings = h.normalize(data)
    assert config["backends"][0]["servers"][0]["port"] == 8000
    assert config["global"]["master_worker"] is True


def test_article_setup_renders_the_modern_directives():
    text = h.render(base())
    assert "    stats admin if LOCALHOST\n" in text
    assert "    http-request redirect scheme https code 301 if !{ ssl_fc }\n" in text
    assert "    option httpchk\n    http-check send meth GET uri /test.html\n" in text
    assert "ssl verify required ca-file /etc/haproxy/ca/internal-ca.pem" in text
    assert "nbproc" not in text


def test_ssl_server_verifies_by_default():
    config, warnings = h.normalize(base())
    assert config["backends"][1]["servers"][1]["verify"] == "required"
    assert warnings == []


def test_redact_hides_every_password():
    text = h.render(yaml.safe_load((GOLDEN / "haproxy_tcp_userlists.yml").read_text()))
    text += h.render(base())
    hidden = h.redact(text)
    for secret in (STATS_PASSWORD, "Plain-Text-9", "$6$rounds=5000$salt$0bM7sQ3oOjvF5m1bpq7vY9"):
        assert secret in text
        assert secret not in hidden
    assert "    stats auth admin:********\n" in hidden
    assert "    user alice password ********\n" in hidden
    assert "    user bob insecure-password ********\n" in hidden
    assert h.redact("") == ""


def test_secrets_lists_passwords_of_raw_and_normalized_configs():
    data = yaml.safe_load((GOLDEN / "haproxy_tcp_userlists.yml").read_text())
    assert h.secrets(data) == ["$6$rounds=5000$salt$0bM7sQ3oOjvF5m1bpq7vY9", "Plain-Text-9"]
    assert h.secrets(base()) == [STATS_PASSWORD]
    assert h.secrets(h.normalize(base())[0]) == [STATS_PASSWORD]
    assert h.secrets({}) == []
    assert h.secrets(None) == []


# ---------------------------------------------------------------------------
# Bad input: each case changes one thing and expects the variable to be named.
# ---------------------------------------------------------------------------


def _add(path, value):
    def change(data):
        target = data
        for key in path:
            target = target[key]
        target.append(copy.deepcopy(value))

    return change


FE = ("frontends", 0)
STATS = ("listens", 0)
SHOP = ("backends", 0)
API = ("backends", 1)
WEB1 = (*SHOP, "servers", 0)
API1 = (*API, "servers", 0)

BAD = {
    "unknown key (typo)": (
        set_at((*SHOP, "balanse"), "roundrobin"),
        "haproxy_backends[shop]: unknown key 'balanse'; did you mean 'balance'?",
    ),
    "unknown section": (
        set_at(("frontend",), []),
        "haproxy configuration: unknown section 'frontend'; did you mean 'frontends'?",
    ),
    "nbproc key": (
        set_at(("global", "nbproc"), 12),
        "haproxy_global.nbproc: nbproc was removed in HAProxy 2.5; use nbthread",
    ),
    "nbproc in extra": (
        set_at(("global", "extra"), ["nbproc 12"]),
        "haproxy_global.extra[0]: nbproc was removed in HAProxy 2.5; use nbthread",
    ),
    "reqadd in extra": (
        set_at((*FE, "extra"), ["reqadd X-Proto:\\ https"]),
        "haproxy_frontends[www].extra[0]: reqadd was removed in HAProxy 2.1; use http-request",
    ),
    "rspidel in extra": (
        set_at((*SHOP, "extra"), ["rspidel ^Server:"]),
        "haproxy_backends[shop].extra[0]: rspidel was removed in HAProxy 2.1",
    ),
    "block in extra": (
        set_at((*FE, "extra"), ["block if { src 192.0.2.66 }"]),
        "haproxy_frontends[www].extra[0]: block was removed in HAProxy 2.1; use http-request deny",
    ),
    "option forceclose": (
        _add(("defaults", "options"), "forceclose"),
        "haproxy_defaults.options[3]: option forceclose was removed in HAProxy 2.0; use option httpclose",
    ),
    "option forceclose in extra": (
        set_at((*SHOP, "extra"), ["option forceclose"]),
        "haproxy_backends[shop].extra[0]: option forceclose was removed",
    ),
    "unknown option": (
        set_at((*FE, "options"), ["forwardfore"]),
        "haproxy_frontends[www].options[0]: unknown option 'forwardfore'; did you mean 'forwardfor'?",
    ),
    "option twice": (
        set_at((*FE, "options"), ["forwardfor", "forwardfor"]),
        "haproxy_frontends[www].options[1]: option 'forwardfor' is listed twice",
    ),
    "server port out of range": (
        set_at((*WEB1, "port"), 70000),
        "haproxy_backends[shop].servers[web1].port: 70000 is out of range 1-65535",
    ),
    "server port missing": (
        set_at((*WEB1, "port"), DELETE),
        "haproxy_backends[shop].servers[web1].port: required",
    ),
    "server address invalid": (
        set_at((*WEB1, "address"), "web 1"),
        "haproxy_backends[shop].servers[web1].address: 'web 1' is not an IP address or a host name",
    ),
    "server address bad IPv4": (
        set_at((*WEB1, "address"), "192.0.2.300"),
        "haproxy_backends[shop].servers[web1].address: '192.0.2.300' is not an IP address",
    ),
    "server name twice": (
        set_at((*SHOP, "servers", 1, "name"), "web1"),
        "haproxy_backends[shop].servers[web1].name: 'web1' is defined twice",
    ),
    "server weight out of range": (
        set_at((*WEB1, "weight"), 300),
        "haproxy_backends[shop].servers[web1].weight: 300 is out of range 0-256",
    ),
    "server inter without check": (
        set_at((*WEB1, "check"), False),
        "haproxy_backends[shop].servers[web1]: inter, rise, fall and check_ssl need check: true",
    ),
    "server inter not a duration": (
        set_at((*WEB1, "inter"), "1 second"),
        "haproxy_backends[shop].servers[web1].inter: '1 second' is not an HAProxy duration",
    ),
    "server ssl without ca_file": (
        set_at((*API1, "ca_file"), DELETE),
        "haproxy_backends[api].servers[api1].ca_file: required with ssl and verify: required",
    ),
    "server verify bogus": (
        set_at((*API1, "verify"), "optional"),
        "haproxy_backends[api].servers[api1].verify: 'optional' is not allowed (allowed: required, none)",
    ),
    "server ca_file without ssl": (
        set_at((*WEB1, "ca_file"), "/etc/ssl/ca.pem"),
        "haproxy_backends[shop].servers[web1]: verify, ca_file and sni need ssl: true",
    ),
    "backend name twice": (
        set_at(("backends", 1, "name"), "shop"),
        "haproxy_backends[shop].name: 'shop' is defined twice",
    ),
    "backend named like a listen": (
        set_at((*API, "name"), "stats"),
        "haproxy_backends[stats].name: 'stats' is also the name of a listen section",
    ),
    "frontend named like a listen": (
        set_at((*FE, "name"), "stats"),
        "haproxy_frontends[stats].name: 'stats' is also the name of a listen section",
    ),
    "use_backend unknown": (
        set_at((*FE, "use_backends", 0, "backend"), "shopp"),
        "haproxy_frontends[www].use_backends[0].backend: 'shopp' is not defined in haproxy_backends or haproxy_listens; did you mean 'shop'?",
    ),
    "default_backend unknown": (
        set_at((*FE, "default_backend"), "nowhere"),
        "haproxy_frontends[www].default_backend: 'nowhere' is not defined",
    ),
    "use_backend without cond": (
        set_at((*FE, "use_backends", 0, "cond"), DELETE),
        "haproxy_frontends[www].use_backends[0].cond: required (without a condition, use default_backend)",
    ),
    "backend mode differs from frontend": (
        set_at((*SHOP, "mode"), "tcp"),
        "haproxy_frontends[www].use_backends[0].backend: 'shop' runs in mode tcp but this section in mode http",
    ),
    "http rules in tcp mode": (
        set_at(("defaults", "mode"), "tcp"),
        "haproxy_frontends[www].redirects: needs mode http",
    ),
    "stats in tcp mode": (
        set_at((*STATS, "mode"), "tcp"),
        "haproxy_listens[stats].stats: needs mode http",
    ),
    "bind ssl without crt": (
        set_at((*FE, "binds", 1, "crt"), DELETE),
        "haproxy_frontends[www].binds[1].crt: required with ssl",
    ),
    "bind crt relative": (
        set_at((*FE, "binds", 1, "crt"), "www.pem"),
        "haproxy_frontends[www].binds[1].crt: 'www.pem' is not an absolute path",
    ),
    "bind alpn without ssl": (
        set_at((*FE, "binds", 0, "alpn"), ["h2"]),
        "haproxy_frontends[www].binds[0]: crt and alpn need ssl: true",
    ),
    "bind port out of range": (
        set_at((*FE, "binds", 0, "port"), 0),
        "haproxy_frontends[www].binds[0].port: 0 is out of range 1-65535",
    ),
    "bind address hostname": (
        set_at((*FE, "binds", 0, "address"), "www.example.com"),
        "haproxy_frontends[www].binds[0].address: 'www.example.com' is not an IP address, * or empty",
    ),
    "bind port used twice": (
        set_at((*STATS, "binds", 0, "port"), 443),
        "haproxy_listens[stats].binds[0]: *:443 is already bound by haproxy_frontends[www]",
    ),
    "binds missing": (
        set_at((*FE, "binds"), DELETE),
        "haproxy_frontends[www].binds: required",
    ),
    "binds empty": (
        set_at((*FE, "binds"), []),
        "haproxy_frontends[www].binds: is empty",
    ),
    "redirect code": (
        set_at((*FE, "redirects", 0, "code"), 305),
        "haproxy_frontends[www].redirects[0].code: 305 is not allowed (allowed: 301, 302, 303, 307, 308)",
    ),
    "redirect loop": (
        set_at((*FE, "redirects", 0, "cond"), DELETE),
        "haproxy_frontends[www].redirects[0].cond: required here",
    ),
    "acl undefined in condition": (
        set_at((*FE, "use_backends", 0, "cond"), "host_shopp"),
        "haproxy_frontends[www].use_backends[0].cond: ACL 'host_shopp' is not defined in this section; did you mean 'host_shop'?",
    ),
    "acl undefined in stats admin": (
        set_at((*STATS, "stats", "admin_cond"), "ADMIN_NET"),
        "haproxy_listens[stats].stats.admin_cond: ACL 'ADMIN_NET' is not defined",
    ),
    "acl named like a predefined one": (
        set_at((*FE, "acls", 0, "name"), "TRUE"),
        "haproxy_frontends[www].acls[TRUE].name: 'TRUE' is an ACL HAProxy predefines",
    ),
    "line break in criterion": (
        set_at((*FE, "acls", 0, "criterion"), "hdr_dom(host) -i a\n    use_backend x"),
        "haproxy_frontends[www].acls[host_shop].criterion: a criterion may not contain line breaks",
    ),
    "comment in args": (
        set_at((*FE, "http_request", 0, "args"), "X-Tag #1"),
        "haproxy_frontends[www].http_request[0].args: 'X-Tag #1' contains a # outside quotes",
    ),
    "line break in extra": (
        set_at(("defaults", "extra"), ["option httplog\nlisten evil"]),
        "haproxy_defaults.extra[0]: a line may not contain line breaks",
    ),
    "http_request action invalid": (
        set_at((*FE, "http_request", 0, "action"), "set header"),
        "haproxy_frontends[www].http_request[0].action: 'set header' contains white space",
    ),
    "duration format": (
        set_at(("defaults", "timeouts", "connect"), "5 s"),
        "haproxy_defaults.timeouts.connect: '5 s' is not an HAProxy duration",
    ),
    "duration unit": (
        set_at(("defaults", "timeouts", "client"), "30sec"),
        "haproxy_defaults.timeouts.client: '30sec' is not an HAProxy duration",
    ),
    "unknown timeout": (
        set_at(("defaults", "timeouts", "conect"), "5s"),
        "haproxy_defaults.timeouts: unknown key 'conect'; did you mean 'connect'?",
    ),
    "server timeout in a frontend": (
        set_at((*FE, "timeouts"), {"server": "30s"}),
        "haproxy_frontends[www].timeouts.server: timeout server has no effect in a frontend",
    ),
    "client timeout in a backend": (
        set_at((*SHOP, "timeouts"), {"client": "30s"}),
        "haproxy_backends[shop].timeouts.client: timeout client has no effect in a backend",
    ),
    "maxconn in a backend": (
        set_at((*SHOP, "maxconn"), 100),
        "haproxy_backends[shop]: unknown key 'maxconn'",
    ),
    "balance": (
        set_at((*SHOP, "balance"), "round-robin"),
        "haproxy_backends[shop].balance: 'round-robin' is not allowed",
    ),
    "httpchk method": (
        set_at((*SHOP, "httpchk", "method"), "POST"),
        "haproxy_backends[shop].httpchk.method: 'POST' is not allowed (allowed: GET, HEAD, OPTIONS)",
    ),
    "httpchk uri": (
        set_at((*SHOP, "httpchk", "uri"), "test.html"),
        "haproxy_backends[shop].httpchk.uri: 'test.html' must start with /",
    ),
    "httpchk HTTP/1.1 without host": (
        set_at((*API, "httpchk", "host"), DELETE),
        "haproxy_backends[api].httpchk.host: required with version HTTP/1.1",
    ),
    "http-check expect": (
        set_at((*SHOP, "http_check_expect"), "200"),
        "haproxy_backends[shop].http_check_expect: '200' is not an http-check expectation",
    ),
    "cookie mode": (
        set_at((*SHOP, "cookie", "mode"), "inject"),
        "haproxy_backends[shop].cookie.mode: 'inject' is not allowed",
    ),
    "log facility": (
        set_at(("global", "log", 0, "facility"), "local9"),
        "haproxy_global.log[0].facility: 'local9' is not allowed",
    ),
    "log level": (
        set_at(("global", "log", 0, "level"), "warn"),
        "haproxy_global.log[0].level: 'warn' is not allowed",
    ),
    "log address": (
        set_at(("global", "log", 0, "address"), "127.0.0.1:99999"),
        "haproxy_global.log[0].address: 99999 is out of range 1-65535",
    ),
    "log facility missing": (
        set_at(("global", "log", 0, "facility"), DELETE),
        "haproxy_global.log[0].facility: required",
    ),
    "nbthread": (
        set_at(("global", "nbthread"), 0),
        "haproxy_global.nbthread: 0 is out of range 1-64",
    ),
    "daemon not a boolean": (
        set_at(("global", "daemon"), "maybe"),
        "haproxy_global.daemon: 'maybe' is not a boolean",
    ),
    "stats socket mode": (
        set_at(("global", "stats_socket", "mode"), "999"),
        "haproxy_global.stats_socket.mode: '999' is not an octal file mode",
    ),
    "stats socket level": (
        set_at(("global", "stats_socket", "level"), "root"),
        "haproxy_global.stats_socket.level: 'root' is not allowed (allowed: user, operator, admin)",
    ),
    "stats socket mode as a number": (
        set_at(("global", "stats_socket", "mode"), 0o660),
        "haproxy_global.stats_socket.mode: 432 is a number; quote the mode",
    ),
    "log target IPv6": (
        set_at(("global", "log", 0, "address"), "2001:db8::1"),
        "haproxy_global.log[0].address: '2001:db8::1': IPv6 log targets are ambiguous",
    ),
    "stats disabled but configured": (
        set_at((*STATS, "stats", "enable"), False),
        "haproxy_listens[stats].stats.enable: false, but any other stats setting turns the page on",
    ),
    "stats uri": (
        set_at((*STATS, "stats", "uri"), "stats"),
        "haproxy_listens[stats].stats.uri: 'stats' must start with /",
    ),
    "stats auth without password": (
        set_at((*STATS, "stats", "auth", 0, "password"), DELETE),
        "haproxy_listens[stats].stats.auth[admin].password: required",
    ),
    "stats user with colon": (
        set_at((*STATS, "stats", "auth", 0, "user"), "ad:min"),
        "haproxy_listens[stats].stats.auth[ad:min].user: 'ad:min' is not a valid user name",
    ),
    "userlist user twice": (
        set_at(
            ("userlists",),
            [{"name": "ops", "users": [{"name": "a", "password": "$6$x"}] * 2}],
        ),
        "haproxy_userlists[ops].users[a].name: 'a' is defined twice",
    ),
    "userlist without users": (
        set_at(("userlists",), [{"name": "ops"}]),
        "haproxy_userlists[ops].users: is empty",
    ),
    "section not a list": (
        set_at(("frontends",), {"name": "www"}),
        "haproxy_frontends: expected a list, got dict",
    ),
    "section entry without name": (
        set_at((*SHOP, "name"), DELETE),
        "haproxy_backends[0].name: required",
    ),
    "defaults log": (
        set_at(("defaults", "log"), "local"),
        "haproxy_defaults.log: 'local' is not allowed (allowed: global)",
    ),
    "retry_on typo": (
        set_at(("defaults", "retry_on"), ["conn-failure", "empty-respons"]),
        "haproxy_defaults.retry_on[1]: 'empty-respons' is not a retry-on keyword; did you "
        "mean 'empty-response'? (allowed: none, conn-failure, empty-response,",
    ),
    "retry_on status HAProxy 2.6 does not retry": (
        set_at((*API, "retry_on"), [429]),
        "haproxy_backends[api].retry_on[0]: 429 is not a retry-on keyword",
    ),
    "retry_on not a word": (
        set_at((*API, "retry_on"), ["conn-failure\nhttp-request deny"]),
        "haproxy_backends[api].retry_on[0]: 'conn-failure\\nhttp-request deny' is not a "
        "retry-on keyword",
    ),
    "retry_on boolean": (
        set_at((*API, "retry_on"), [True]),
        "haproxy_backends[api].retry_on[0]: True is not a retry-on keyword (allowed:",
    ),
    "retry_on twice": (
        set_at((*API, "retry_on"), ["503", 503]),
        "haproxy_backends[api].retry_on[1]: '503' is listed twice",
    ),
    "retry_on none with others": (
        set_at(("defaults", "retry_on"), ["none", "conn-failure"]),
        "haproxy_defaults.retry_on: none stands alone (it turns every retry off)",
    ),
    "retry_on empty": (
        set_at(("defaults", "retry_on"), []),
        "haproxy_defaults.retry_on: is empty; write [none] to never send a request again",
    ),
    "retry_on on the frontend": (
        set_at((*FE, "retry_on"), ["conn-failure"]),
        "haproxy_frontends[www]: unknown key 'retry_on'",
    ),
    "L7 retry_on in mode tcp": (
        set_at(
            API,
            {
                "name": "api",
                "mode": "tcp",
                "retry_on": ["conn-failure", "503"],
                "servers": [{"name": "a", "address": "192.0.2.9", "port": 1}],
            },
        ),
        "haproxy_backends[api].retry_on: 503 needs mode http (this section runs in mode tcp; "
        "only conn-failure and none act there)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_the_variable(case):
    change, expected = BAD[case]
    data = base()
    change(data)
    with pytest.raises(h.HAProxyConfigError) as info:
        h.normalize(data)
    assert any(expected in message for message in info.value.errors), info.value.errors


def test_every_problem_is_reported_at_once():
    data = base()
    data["backends"][0]["servers"][0].update(port=0, weight=-1, address="not an address")
    with pytest.raises(h.HAProxyConfigError) as info:
        h.normalize(data)
    assert len(info.value.errors) == 3
    assert str(info.value) == "\n".join(info.value.errors)


def test_not_a_mapping_is_refused():
    with pytest.raises(h.HAProxyConfigError, match="expected a mapping, got list"):
        h.normalize([])


@pytest.mark.parametrize(
    "password", ["two words", 'quo"te', "hash#tag", "back\\slash", "line\nbreak"]
)
def test_bad_passwords_are_refused_without_being_shown(password):
    data = base()
    data["listens"][0]["stats"]["auth"][0]["password"] = password
    data["userlists"] = [{"name": "ops", "users": [{"name": "a", "password": password}]}]
    with pytest.raises(h.HAProxyConfigError) as info:
        h.normalize(data)
    assert len(info.value.errors) == 2
    assert password not in str(info.value)


def test_quoted_hash_and_escaped_hash_are_not_comments():
    data = base()
    data["frontends"][0]["http_request"][0]["args"] = 'X-Tag "#1"'
    data["frontends"][0]["acls"][0]["criterion"] = "path_beg /a\\#b"
    text = h.render(data)
    assert '    http-request set-header X-Tag "#1" if { ssl_fc }\n' in text


def test_frontend_and_backend_may_share_a_name():
    data = base()
    data["backends"][0]["name"] = "www"
    data["frontends"][0]["use_backends"][0]["backend"] = "www"
    data["frontends"][0]["default_backend"] = "www"
    assert "backend www\n" in h.render(data)


def test_use_backend_may_target_a_listen():
    data = base()
    data["frontends"][0]["default_backend"] = "stats"
    assert "    default_backend stats\n" in h.render(data)


def test_conditions_accept_negation_or_and_unless():
    data = base()
    data["frontends"][0]["use_backends"][0]["cond"] = "host_shop or !host_api || METH_GET"
    data["frontends"][0]["http_request"][0]["cond"] = "unless { ssl_fc }"
    text = h.render(data)
    assert "    use_backend shop if host_shop or !host_api || METH_GET\n" in text
    assert "    http-request set-header X-Forwarded-Proto https unless { ssl_fc }\n" in text


# ---------------------------------------------------------------------------
# Warnings: accepted, but risky or discouraged.
# ---------------------------------------------------------------------------

WARN = {
    "option httpclose": (
        _add(("defaults", "options"), "httpclose"),
        "haproxy_defaults.options[3]: option httpclose closes every connection",
    ),
    "option httpclose in extra": (
        set_at((*SHOP, "extra"), ["option httpclose"]),
        "haproxy_backends[shop].extra[0]: option httpclose closes every connection",
    ),
    "verify none": (
        set_at((*API1, "verify"), "none"),
        "haproxy_backends[api].servers[api1].verify: none: the server's certificate is not checked",
    ),
    "stats admin if TRUE": (
        set_at((*STATS, "stats", "admin_cond"), "TRUE"),
        "haproxy_listens[stats].stats.admin_cond: TRUE lets anyone who reaches the page",
    ),
    "stats without auth": (
        set_at((*STATS, "stats", "auth"), DELETE),
        "haproxy_listens[stats].stats.auth: not set, so the statistics page is open",
    ),
    "server cookie without backend cookie": (
        set_at((*SHOP, "cookie"), DELETE),
        "haproxy_backends[shop].servers[web1].cookie: has no effect without cookie on the backend",
    ),
    "clear-text userlist password": (
        set_at(
            ("userlists",), [{"name": "ops", "users": [{"name": "a", "password": "pw-123-Xk9q"}]}]
        ),
        "haproxy_userlists[ops].users[a].password: not a crypt hash",
    ),
    "missing timeouts": (
        set_at(("defaults", "timeouts"), {"client": "30s"}),
        "haproxy_backends[shop].timeouts: no timeout connect, timeout server here or in haproxy_defaults.timeouts",
    ),
}


@pytest.mark.parametrize("case", sorted(WARN))
def test_risky_input_is_accepted_with_a_warning(case):
    change, expected = WARN[case]
    data = base()
    change(data)
    config, warnings = h.normalize(data)
    assert any(expected in message for message in warnings), warnings
    h.render(config, normalized=True)


def test_verify_none_is_rendered_only_when_asked():
    data = base()
    assert "verify none" not in h.render(data)
    data["backends"][1]["servers"][0]["verify"] = "none"
    data["backends"][1]["servers"][0].pop("ca_file")
    assert " ssl verify none sni str(api.example.com) check-ssl\n" in h.render(data)


def test_minimal_configuration_warns_about_missing_timeouts():
    data = yaml.safe_load((GOLDEN / "haproxy_minimal.yml").read_text())
    _config, warnings = h.normalize(data)
    assert warnings == [
        "haproxy_frontends[www].timeouts: no timeout client here or in "
        "haproxy_defaults.timeouts; HAProxy then waits forever on idle connections",
        "haproxy_backends[web].timeouts: no timeout connect, timeout server here or in "
        "haproxy_defaults.timeouts; HAProxy then waits forever on idle connections",
    ]


def test_listen_declares_acls_before_stats_admin_uses_them():
    data = base()
    stats = data["listens"][0]
    stats["acls"] = [{"name": "admins", "criterion": "src 192.0.2.0/24"}]
    stats["stats"]["admin_cond"] = "if LOCALHOST || admins"
    lines = [line.strip() for line in h.render(data).splitlines()]
    assert lines.index("acl admins src 192.0.2.0/24") < lines.index(
        "stats admin if LOCALHOST || admins"
    )


GUARD = "    http-request disable-l7-retry if !METH_GET !METH_OPTIONS\n"


def _sections(text):
    """{section title: its body} of rendered haproxy.cfg text."""
    out, title = {}, None
    for line in text.splitlines(keepends=True):
        if line and not line.startswith((" ", "#", "\n")):
            title = line.strip()
            out[title] = ""
        elif title:
            out[title] += line
    return out


def test_l7_retries_are_kept_to_get_head_and_options():
    """retry-on beyond connection failures sends a request again after the
    server took it: the HTTP backends get the guard line, the statistics page
    and the frontends do not."""
    sections = _sections(h.render(base()))
    assert "    retry-on conn-failure empty-response\n" in sections["defaults"]
    assert GUARD in sections["backend shop"] and GUARD in sections["backend api"]
    assert "    retry-on conn-failure empty-response 503\n" in sections["backend api"]
    assert GUARD not in sections["listen stats"] and GUARD not in sections["frontend www"]


@pytest.mark.parametrize(
    "defaults, own, mode, guarded",
    [
        (["conn-failure"], None, None, False),
        (["none"], None, None, False),
        (None, None, None, False),
        (["conn-failure", "empty-response"], ["conn-failure"], None, False),
        (["conn-failure"], ["response-timeout"], None, True),
        (None, ["503"], None, True),
        (["all-retryable-errors"], None, "tcp", False),
    ],
)
def test_the_guard_follows_the_retry_on_in_force(defaults, own, mode, guarded):
    data = base()
    data["defaults"].pop("retry_on")
    if defaults is not None:
        data["defaults"]["retry_on"] = defaults
    if own is not None:
        data["backends"][0]["retry_on"] = own
    if mode:
        data["backends"][0] = {
            "name": "shop",
            "mode": mode,
            "servers": [{"name": "a", "address": "192.0.2.9", "port": 1}],
        }
        data["frontends"][0]["default_backend"] = "api"
        data["frontends"][0]["use_backends"] = []
    assert (GUARD in _sections(h.render(data))["backend shop"]) is guarded


def test_retry_on_accepts_status_codes_as_numbers():
    data = base()
    set_at((*API, "retry_on"), [503, "504"])(data)
    config, _warnings = h.normalize(data)
    assert config["backends"][1]["retry_on"] == ["503", "504"]
