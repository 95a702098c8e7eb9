"""Issue 19: haproxy.cfg read back into the HAProxy model's variables
(plugins/module_utils/_haproxy_import.py), on a corpus of hand-written
configurations (adopt_corpus/haproxy/, see its README) and on generated
hostile input."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.halb.cluster.plugins.module_utils import _haproxy as h
from ansible_collections.halb.cluster.plugins.module_utils._haproxy_import import parse
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    INTERNAL_ERROR,
)
from tests.unit.property.hostile import INJECTIONS, SETTINGS

CORPUS_DIR = pathlib.Path(__file__).parent / "adopt_corpus" / "haproxy"
CORPUS = sorted(p.name for p in CORPUS_DIR.glob("*.cfg"))
# Files HAProxy 2.6 refuses (README): our model must refuse them too, naming
# the variable that holds each removed directive.
REFUSED = {
    "19-removed-directives.cfg": [
        "haproxy_global.extra[0]: nbproc was removed",
        "haproxy_frontends[www].extra[0]: reqadd was removed",
        "haproxy_frontends[www].extra[1]: option forceclose was removed",
    ],
}
# Files whose rendered form HAProxy refuses (README): they use what the import drops.
RENDERED_REFUSED = {"09-other-sections.cfg"}
VALID = [name for name in CORPUS if name not in REFUSED]


def read(name):
    return (CORPUS_DIR / name).read_text()


def parsed(name):
    return parse(read(name), f"/corpus/{name}")


def kept_by_variable(result):
    return {k["variable"]: k["text"] for k in result["kept"]}


def section_of(result, key, name):
    return next(p for p in result["variables"][key] if p["name"] == name)


# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------


def test_corpus_has_at_least_15_files_each_in_the_readme():
    assert len(CORPUS) >= 15
    readme = (CORPUS_DIR / "README.md").read_text()
    for name in CORPUS:
        assert name in readme, name
    for name in [*REFUSED, *RENDERED_REFUSED]:
        assert name in CORPUS


@pytest.mark.parametrize("name", VALID)
def test_round_trip(name):
    """The round trip on a corpus file.

    ``v1 = parse(file)["variables"]``; ``text2 = render(v1)`` with our
    renderer (``allow_weak_secrets=True``: the corpus holds the articles'
    weak passwords on purpose); ``r2 = parse(text2)``. Exactly:

    * ``r2["variables"] == v1``: the same sections, keys, values and list
      order (ACLs, rules, redirects, servers, binds, log targets, users), so
      a directive lost on the way, a changed value or a reordered rule or
      server fails. The renderer adds its header (a comment) and writes some
      directives in its own words (``redirect`` as ``http-request
      redirect``, ``option httpchk GET /x`` as ``option httpchk`` plus
      ``http-check send``); the parser reads both back to the same value.
      The renderer fills no default the parser did not already write: ``v1``
      is a fixed point of ``normalize()`` (checked below), so nothing needs
      to be filled in before comparing.
    * the kept lines are the same texts under the same variables
      (``haproxy_frontends[www].extra[2]`` ...): the renderer writes the
      sections in its own order (frontends, listens, backends), so the list
      is compared as a mapping, not by line number;
    * every directive line of the file is accounted for: it is the origin
      of a variable, a kept line, a section header, a dropped line or a line
      of a dropped section (none silently lost, which the round trip alone
      could not see);
    * nothing is dropped or in error the second time.
    """
    r1 = parsed(name)
    v1 = r1["variables"]
    assert r1["errors"] == []
    config, _warnings = h.normalize(v1, allow_weak_secrets=True)
    assert {key: config[key] for key in v1} == v1
    text2 = h.render(v1, allow_weak_secrets=True)
    r2 = parse(text2)
    assert r2["variables"] == v1
    assert kept_by_variable(r2) == kept_by_variable(r1)
    assert r2["dropped"] == [] and r2["errors"] == []
    json.dumps(r1)
    accounted = _accounted(r1, name)
    text = read(name)
    for no, line in enumerate(text.split("\n"), 1):
        words = h._scan(line)[0]
        if words:
            assert no in accounted, f"{name}:{no} {line!r} is in no variable, kept or dropped"


def _accounted(result, name):
    """Line numbers the result accounts for: origins, kept and dropped lines,
    and every line of a section dropped whole."""
    lines = {int(o.rsplit(":", 1)[1]) for o in result["origins"].values()}
    lines |= {k["line"] for k in result["kept"]} | {d["line"] for d in result["dropped"]}
    whole = {
        d["line"]
        for d in result["dropped"]
        if "from clause" not in d["reason"] and "proxies above" not in d["reason"]
    }
    inside = False
    for no, line in enumerate(read(name).split("\n"), 1):
        words = h._scan(line)[0]
        if words and words[0] in _SECTION_WORDS:
            inside = no in whole
        if inside:
            lines.add(no)
    return lines


_SECTION_WORDS = {
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "program",
    "cache",
    "http-errors",
    "ring",
}


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("02-article.cfg", "    server web2 ", "    #server web2 "),  # a lost server
        ("02-article.cfg", "use_backend shop if host_shop", "use_backend shop if host_blog"),
        (
            "02-article.cfg",
            "weight 100 maxconn 500 cookie web2",
            "weight 10 maxconn 500 cookie web2",
        ),
        ("03-debian-default.cfg", "    chroot /var/lib/haproxy\n", ""),  # a lost kept line
        ("04-acl-routing.cfg", "acl is_api path_beg /api/", "acl is_api path_beg /apx/"),
    ],
)
def test_the_round_trip_catches_a_renderer_that_loses_or_changes_a_line(name, old, new):
    """The property of test_round_trip fails when the rendered text loses a
    directive, a server or a kept line, or changes a value or a condition."""
    r1 = parsed(name)
    text2 = h.render(r1["variables"], allow_weak_secrets=True)
    assert old in text2
    r2 = parse(text2.replace(old, new, 1))
    assert r2["variables"] != r1["variables"] or kept_by_variable(r2) != kept_by_variable(r1)


def test_the_round_trip_catches_reordered_servers_and_rules():
    r1 = parsed("02-article.cfg")
    text2 = h.render(r1["variables"], allow_weak_secrets=True)
    lines = text2.split("\n")
    for prefix in ("    server web", "    use_backend "):
        at = [i for i, line in enumerate(lines) if line.startswith(prefix)][:2]
        swapped = list(lines)
        swapped[at[0]], swapped[at[1]] = lines[at[1]], lines[at[0]]
        assert parse("\n".join(swapped))["variables"] != r1["variables"]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_files_haproxy_refuses_are_refused_by_our_model_naming_the_variable(name):
    result = parsed(name)
    with pytest.raises(h.HAProxyConfigError) as info:
        h.normalize(result["variables"], allow_weak_secrets=True)
    for expected in REFUSED[name]:
        assert any(e.startswith(expected) for e in info.value.errors), info.value.errors
        variable = expected.split(":", 1)[0]
        assert variable in kept_by_variable(result), kept_by_variable(result)


_HAPROXY = shutil.which("haproxy")


@pytest.mark.skipif(_HAPROXY is None, reason="haproxy is not on PATH (the adopt scenario runs it)")
@pytest.mark.parametrize("name", CORPUS)
def test_haproxy_accepts_the_file_and_its_rendered_form(name, tmp_path):
    def check(path):
        run = subprocess.run(
            [_HAPROXY, "-c", "-f", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return run.returncode

    assert (check(CORPUS_DIR / name) == 0) is (name not in REFUSED)
    if name in REFUSED:
        return
    rendered = tmp_path / "haproxy.cfg"
    rendered.write_text(h.render(parsed(name)["variables"], allow_weak_secrets=True))
    assert (check(rendered) == 0) is (name not in RENDERED_REFUSED)


# --------------------------------------------------------------------------
# What each corpus file must give
# --------------------------------------------------------------------------


def test_article():
    result = parsed("02-article.cfg")
    v = result["variables"]
    assert result["kept"] == [] and result["dropped"] == [] and result["errors"] == []
    assert v["global"] == {
        "log": [
            {"address": "127.0.0.1:514", "facility": "local6", "level": "info"},
            {"address": "127.0.0.1:514", "facility": "local5", "level": "notice"},
        ],
        "pidfile": "/run/haproxy.pid",
        "maxconn": 4000,
        "user": "haproxy",
        "group": "haproxy",
        "daemon": True,
    }
    assert [len(v[k]) for k in ("frontends", "backends", "listens")] == [1, 3, 1]
    www = section_of(result, "frontends", "www")
    assert [a["name"] for a in www["acls"]] == ["host_shop", "host_blog", "host_api"]
    assert www["binds"] == [
        {"port": 80},
        {"port": 443, "ssl": True, "crt": "/etc/haproxy/certs/site.pem"},
    ]
    assert www["redirects"] == [{"scheme": "https", "code": 301, "cond": "!{ ssl_fc }"}]
    assert [u["backend"] for u in www["use_backends"]] == ["shop", "blog", "api"]
    assert www["options"] == ["httplog", "forwardfor"]
    stats = section_of(result, "listens", "stats")
    assert stats["binds"] == [{"port": 8404}]
    assert stats["stats"] == {
        "uri": "/stats",
        "realm": "Haproxy Statistics",
        "refresh": "10s",
        "hide_version": True,
        "auth": [{"user": "admin", "password": "123456"}],
        "admin_cond": "TRUE",
        "enable": True,
    }
    shop = section_of(result, "backends", "shop")
    assert shop["httpchk"] == {"method": "GET", "uri": "/test.html"}
    assert shop["servers"][0] == {
        "name": "web1",
        "address": "192.0.2.11",
        "port": 8000,
        "check": True,
        "inter": "1s",
        "rise": 2,
        "fall": 2,
        "weight": 100,
        "maxconn": 500,
        "cookie": "web1",
    }
    api = section_of(result, "backends", "api")
    assert all(s["ssl"] and s["verify"] == "none" and s["check_ssl"] for s in api["servers"])
    assert result["origins"]["haproxy_backends[api].servers[api2]"] == "/corpus/02-article.cfg:63"
    assert result["origins"]["haproxy_listens[stats].stats.admin_cond"].endswith(":31")
    # What our checks say about it (the linter's input): weak password, admin if TRUE, verify none.
    with pytest.raises(h.HAProxyConfigError) as info:
        h.normalize(v)
    assert any(
        e.startswith("haproxy_listens[stats].stats.auth[admin].password") for e in info.value.errors
    )
    assert "123456" not in "\n".join(info.value.errors)
    warnings = h.normalize(v, allow_weak_secrets=True)[1]
    assert any(w.startswith("haproxy_listens[stats].stats.admin_cond: TRUE") for w in warnings)
    assert any(w.startswith("haproxy_backends[api].servers[api1].verify: none") for w in warnings)


def test_minimal():
    v = parsed("01-minimal.cfg")["variables"]
    assert v == {
        "defaults": {
            "mode": "http",
            "timeouts": {"connect": "5s", "client": "30s", "server": "30s"},
        },
        "frontends": [{"name": "web", "binds": [{"port": 80}], "default_backend": "pool"}],
        "backends": [
            {
                "name": "pool",
                "servers": [{"name": "web1", "address": "192.0.2.11", "port": 8000, "check": True}],
            }
        ],
    }


def test_debian_default_keeps_what_the_model_has_no_key_for():
    result = parsed("03-debian-default.cfg")
    kept = kept_by_variable(result)
    assert kept["haproxy_global.extra[0]"] == "chroot /var/lib/haproxy"
    assert kept["haproxy_global.extra[1]"].endswith("level admin expose-fd listeners")
    assert sum(t.startswith("errorfile ") for t in kept.values()) == 7
    g = result["variables"]["global"]
    assert g["log"] == [
        {"address": "/dev/log", "facility": "local0"},
        {"address": "/dev/log", "facility": "local1", "level": "notice"},
    ]
    assert g["ssl_default_bind_options"] == "ssl-min-ver TLSv1.2 no-tls-tickets"
    assert "stats_socket" not in g
    assert result["variables"]["defaults"]["timeouts"]["client"] == "50000"
    assert result["variables"]["frontends"][0]["binds"] == [{"address": "*", "port": 80}]
    assert all(k["section"] in ("global", "defaults") for k in result["kept"])


def test_acl_routing_keeps_acl_and_rule_order():
    fe = parsed("04-acl-routing.cfg")["variables"]["frontends"][0]
    assert [a["name"] for a in fe["acls"]] == [
        "is_api",
        "is_static",
        "is_static",
        "host_admin",
        "from_office",
        "is_websocket",
    ]
    assert [u["backend"] for u in fe["use_backends"]] == ["ws", "api", "static", "admin", "api"]
    assert fe["use_backends"][-1]["cond"] == "unless { path / } METH_POST"
    assert fe["http_request"] == [
        {"action": "deny", "args": "deny_status 403", "cond": "host_admin !from_office"}
    ]


def test_tls_binds_and_servers():
    result = parsed("05-tls-binds.cfg")
    fe = result["variables"]["frontends"][0]
    assert fe["binds"] == [
        {
            "port": 443,
            "ssl": True,
            "crt": "/etc/haproxy/certs/site.pem",
            "alpn": ["h2", "http/1.1"],
        },
        {
            "address": "127.0.0.1",
            "port": 9443,
            "ssl": True,
            "crt": "/etc/haproxy/certs/site.pem",
            "alpn": ["http/1.1"],
        },
        {"port": 80},
    ]
    assert kept_by_variable(result)["haproxy_frontends[https].extra[0]"].endswith(
        "ssl-min-ver TLSv1.3"
    )
    assert fe["redirects"] == [{"scheme": "https", "code": 301, "cond": "unless { ssl_fc }"}]
    assert [r["action"] for r in fe["http_request"]] == ["set-header", "set-header"]
    servers = result["variables"]["backends"][0]["servers"]
    assert servers[0]["sni"] == "app.example.com" and servers[0]["check_ssl"] is True
    # ssl without verify: HAProxy's default (required) is written out.
    assert servers[2]["verify"] == "required" and servers[2]["backup"] is True


def test_ipv6_binds_and_servers():
    result = parsed("06-ipv6.cfg")
    fe = result["variables"]["frontends"][0]
    assert fe["binds"] == [
        {"port": 80},
        {"address": "::", "port": 8081},
        {"address": "2001:db8::10", "port": 8082},
        {"address": "2001:db8::11", "port": 8083},
    ]
    assert kept_by_variable(result) == {"haproxy_frontends[dual].extra[0]": "bind :::8080 v6only"}
    servers = result["variables"]["backends"][0]["servers"]
    assert [(s["address"], s["port"]) for s in servers] == [
        ("2001:db8::21", 80),
        ("2001:db8::22", 80),
        ("192.0.2.30", 80),
    ]


def test_tcp_mode():
    result = parsed("07-tcp-mode.cfg")
    v = result["variables"]
    assert v["defaults"]["mode"] == "tcp" and v["defaults"]["options"] == ["tcplog", "dontlognull"]
    assert v["defaults"]["retries"] == 2
    redis = section_of(result, "listens", "redis")
    assert redis["extra"] == [
        "option tcp-check",
        "tcp-check send PING\\r\\n",
        "tcp-check expect string +PONG",
    ]
    assert [s["name"] for s in redis["servers"]] == ["r1", "r2"]
    assert v["frontends"][0]["extra"][1] == "tcp-request content accept if { req.len gt 0 }"


def test_userlists():
    result = parsed("08-userlists.cfg")
    lists = result["variables"]["userlists"]
    assert [u["name"] for u in lists] == ["admins", "ops"]
    assert [u["name"] for u in lists[0]["users"]] == ["alice", "bob"]
    assert lists[0]["users"][0]["password"].startswith("$6$")
    assert result["origins"]["haproxy_userlists[ops].users[dave]"].endswith(":7")
    fe = result["variables"]["frontends"][0]
    assert fe["http_request"] == [
        {"action": "auth", "args": "realm Intranet", "cond": "unless auth_ok"}
    ]
    assert result["dropped"] == []


def test_other_sections_are_dropped_with_their_line():
    result = parsed("09-other-sections.cfg")
    dropped = {(d["section"], d["line"]) for d in result["dropped"]}
    for section, line in [
        ("peers cluster", 5),
        ("resolvers dns", 9),
        ("mailers alerts", 14),
        ("cache static", 17),
        ("http-errors site-errors", 21),
        ("ring buffer", 24),
    ]:
        assert (section, line) in dropped, result["dropped"]
    peers = next(d for d in result["dropped"] if d["section"] == "peers cluster")
    assert "taking over would drop it (2 lines)" in peers["reason"]
    assert peers["file"] == "/corpus/09-other-sections.cfg"
    reasons = {d["line"]: d["reason"] for d in result["dropped"]}
    assert "groups" in reasons[30] and "groups" in reasons[31]
    assert "insecure-password" in reasons[32]
    assert result["variables"]["userlists"] == [
        {"name": "team", "users": [{"name": "carol", "password": "Long-Ops-Secret-9"}]}
    ]
    sticky = section_of(result, "backends", "sticky")
    # The first server uses resolvers: it and every server after it stay in order in extra.
    assert "servers" not in sticky
    assert sticky["extra"][-2:] == [
        "server s1 192.0.2.41:80 check resolvers dns init-addr none",
        "server s2 192.0.2.42:80 check",
    ]
    assert "localpeer lb1" in result["variables"]["global"]["extra"]


def test_stats_pages():
    result = parsed("10-stats-pages.cfg")
    stats = section_of(result, "listens", "stats")
    assert stats["stats"] == {
        "uri": "/haproxy?stats",
        "realm": "HAProxy Statistics",
        "refresh": "5s",
        "auth": [
            {"user": "ops", "password": "Kx7-pq3Lm9Zr"},
            {"user": "viewer", "password": "Zw4-Rt8Np2Qv"},
        ],
        "admin_cond": "LOCALHOST",
        "enable": True,
    }
    assert stats["extra"] == ["stats show-legends", "stats show-node", "stats admin if admin_net"]
    old = section_of(result, "listens", "stats_old")
    assert old["stats"]["enable"] is True and old["mode"] == "http"
    # stats in a frontend or backend: the model has stats only in listens.
    assert section_of(result, "frontends", "www")["extra"][:2] == [
        "stats enable",
        "stats uri /monitor",
    ]
    assert section_of(result, "backends", "pool")["extra"] == ["stats enable"]
    sock = result["variables"]["global"]["stats_socket"]
    assert sock == {"path": "/run/haproxy/admin.sock", "mode": "600", "level": "admin"}
    assert result["origins"]["haproxy_listens[stats].stats.auth[viewer]"].endswith(":23")


def test_http_rules_keep_their_order():
    result = parsed("11-http-rules.cfg")
    fe = section_of(result, "frontends", "app")
    assert [r["action"] for r in fe["http_request"]] == [
        "deny",
        "redirect",
        "set-var(txn.host)",
        "del-header",
        "return",
        "set-header",
    ]
    # A redirect after another rule is a rule, not one of the redirects the model writes first.
    assert "redirects" not in fe
    assert fe["http_request"][1] == {
        "action": "redirect",
        "args": "location /new/ code 302",
        "cond": "old_path",
    }
    assert fe["http_request"][-1]["args"] == 'X-Request-Start "t=%[date(0,us)]"'
    assert fe["options"] == ["http-server-close"]
    assert fe["extra"][0] == "option forwardfor except 127.0.0.0/8"
    web = section_of(result, "backends", "web")
    assert web["options"] == ["httpclose", "log-health-checks"]
    warnings = h.normalize(result["variables"])[1]
    assert any(w.startswith("haproxy_backends[web].options[0]: option httpclose") for w in warnings)


def test_servers_after_an_unknown_keyword_or_default_server_stay_in_order():
    result = parsed("12-server-keywords.cfg")
    mixed = section_of(result, "backends", "mixed")
    assert [s["name"] for s in mixed["servers"]] == ["m1"]
    assert mixed["extra"] == [
        "server m2 192.0.2.75:80 check weight 20 send-proxy-v2",
        "server m3 192.0.2.76:80 check weight 30",
    ]
    tail = section_of(result, "backends", "tail")
    assert [s["name"] for s in tail["servers"]] == ["t1"]
    assert tail["extra"][0] == "default-server slowstart 30s"
    plain = section_of(result, "backends", "plain")
    assert plain["balance"] == "first" and [s["name"] for s in plain["servers"]] == [
        "a1",
        "a2",
        "a3",
    ]
    assert result["variables"]["defaults"]["extra"] == ["default-server inter 3s fall 3 rise 2"]


def test_the_defaults_the_proxies_use_is_imported_and_the_others_dropped():
    result = parsed("13-two-defaults.cfg")
    assert result["variables"]["defaults"]["options"] == ["httplog"]
    reasons = {d["line"]: d["reason"] for d in result["dropped"]}
    assert sorted(reasons) == [1, 19]
    assert "no effect" in reasons[1]
    assert "used by 1 proxies below it" in reasons[19]
    # `from web` names the imported section: nothing to report.
    assert result["variables"]["frontends"][0]["name"] == "www"


def test_listens():
    result = parsed("14-listens.cfg")
    web = section_of(result, "listens", "web")
    assert web["httpchk"] == {"method": "OPTIONS", "uri": "/"}
    assert web["cookie"] == {"name": "SRV", "mode": "rewrite"}
    assert web["maxconn"] == 2000
    mqtt = section_of(result, "listens", "mqtt")
    assert mqtt["mode"] == "tcp" and mqtt["timeouts"] == {"client": "10m", "server": "10m"}
    g = result["variables"]["global"]
    assert g == {"maxconn": 5000, "master_worker": True, "nbthread": 4, "hard_stop_after": "30s"}
    assert result["variables"]["defaults"]["timeouts"]["check"] == "2s"


def test_httpchk_variants():
    result = parsed("15-httpchk-variants.cfg")
    chk = {
        b["name"]: (b.get("httpchk"), b.get("http_check_expect"))
        for b in result["variables"]["backends"]
    }
    assert chk["b1"] == ({"method": "OPTIONS", "uri": "/"}, None)
    assert chk["b2"] == (
        {"method": "GET", "uri": "/health", "version": "HTTP/1.1", "host": "www.example.com"},
        "status 200-399",
    )
    assert chk["b3"] == ({"method": "OPTIONS", "uri": "/ping"}, "string pong")
    assert chk["b4"] == (None, None)
    assert chk["b5"] == (None, None)
    kept = kept_by_variable(result)
    assert kept["haproxy_backends[b4].extra[1]"] == "http-check connect"
    assert kept["haproxy_backends[b5].extra[0]"] == "option httpchk POST /check"


def test_environment_variables_stay_as_written():
    result = parsed("16-global-tuning.cfg")
    fe = result["variables"]["frontends"][0]
    assert fe["http_request"] == [{"action": "set-header", "args": 'X-Site "${HALB_SITE}"'}]
    g = result["variables"]["global"]
    assert "stats socket ipv4@127.0.0.1:9999 level admin" in g["extra"]
    assert g["server_state_file"] == "/var/lib/haproxy/server-state"
    d = result["variables"]["defaults"]
    assert d["http_reuse"] == "safe" and d["load_server_state_from_file"] == "global"
    assert d["timeouts"]["client_fin"] == "5s"


def test_quoting_and_comments():
    result = parsed("17-quoting.cfg")
    fe = result["variables"]["frontends"][0]
    assert fe["acls"][0]["criterion"] == "hdr(host) -i \"a.example.com\" 'b.example.com'"
    assert fe["acls"][1]["criterion"] == "path_reg ^/x\\#y$"
    assert fe["http_request"][1] == {"action": "set-header", "args": "X-Hash 'a # b'"}
    # A quoted backend name is kept as written (the model writes names bare).
    assert fe["extra"] == ['use_backend "q_back" if h1']
    assert result["variables"]["backends"][0]["servers"][0]["name"] == "s1"
    assert result["variables"]["defaults"]["timeouts"]["connect"] == "5s"


def test_weak_and_unsafe_settings_land_where_our_checks_report_them():
    result = parsed("18-weak-and-unsafe.cfg")
    v = result["variables"]
    assert v["defaults"]["options"] == ["httpclose"]
    assert v["userlists"][0]["users"] == [{"name": "admin", "password": "11111111"}]
    assert section_of(result, "listens", "stats")["stats"]["auth"] == [
        {"user": "admin", "password": "admin"}
    ]
    errors = h.check(v)["errors"]
    assert any(e.startswith("haproxy_listens[stats].stats.auth[admin].password") for e in errors)
    assert any(e.startswith("haproxy_userlists[people].users[admin].password") for e in errors)
    assert not any("11111111" in e or ":admin" in e for e in errors)
    warnings = h.normalize(v, allow_weak_secrets=True)[1]
    for expected in (
        "haproxy_defaults.options[0]: option httpclose",
        "haproxy_frontends[www].options[0]: option httpclose",
        "haproxy_backends[tls].servers[t1].verify: none",
        "haproxy_backends[tls].servers[t2].verify: none",
        "haproxy_listens[stats].stats.admin_cond: TRUE",
        "haproxy_backends[unused]: no frontend or listen uses this backend",
    ):
        assert any(w.startswith(expected) for w in warnings), (expected, warnings)


# --------------------------------------------------------------------------
# Grammar, errors and the rules of order (small inputs)
# --------------------------------------------------------------------------

HEAD = "defaults\n    mode http\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\n"


def fe_of(body, backends="backend b\n    server s 192.0.2.1:80\n"):
    result = parse(HEAD + "frontend f\n    bind :80\n" + body + backends)
    return result, result["variables"]["frontends"][0]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    acl a path 'open", "an unbalanced quote"),
        ("    acl a path \\x4", "a \\x escape"),
        ('    acl a path "$1"', "a $ inside double quotes"),
        ("    acl a path \x01", "control character (0x01)"),
        ("    acl a path " + "x" * 2100, "longer than 2047 bytes"),
    ],
)
def test_lines_haproxy_cannot_read_are_errors(line, message):
    result = parse(f"frontend f\n    bind :80\n{line}\n", "/x.cfg")
    assert [(e["file"], e["line"]) for e in result["errors"]] == [("/x.cfg", 3)]
    assert message in result["errors"][0]["message"]
    assert "x" * 50 not in json.dumps(result["errors"])


def test_directive_outside_any_section_is_an_error():
    result = parse("maxconn 10\nops:Secret-1\nglobal\n    maxconn 20\n")
    assert result["errors"] == [
        {"file": "/etc/haproxy/haproxy.cfg", "line": 1, "message": "'maxconn' outside any section"},
        {
            "file": "/etc/haproxy/haproxy.cfg",
            "line": 2,
            "message": "a directive outside any section",
        },
    ]
    assert result["variables"] == {"global": {"maxconn": 20}}


def test_conditional_blocks_and_messages_are_dropped():
    text = (
        "global\n    maxconn 10\n.if defined(X)\n    daemon\n    .if streq(a,b)\n"
        "    nbthread 2\n    .endif\n.else\n    master-worker\n.endif\n"
        ".notice hello\n.endif\n.if true\n"
    )
    result = parse(text)
    assert result["variables"] == {"global": {"maxconn": 10}}
    assert [(d["line"], d["section"]) for d in result["dropped"]] == [
        (3, "global"),
        (11, "global"),
    ]
    assert "conditional block (.if ... .endif, 3 lines)" in result["dropped"][0]["reason"]
    assert [(e["line"], e["message"]) for e in result["errors"]] == [
        (12, ".endif without .if"),
        (13, ".if without .endif"),
    ]


def test_crlf_tabs_and_indentation_do_not_matter():
    text = (
        "global\r\n\tmaxconn 20\r\nfrontend f\r\nbind :80\r\n  default_backend b\r\nbackend b\r\n"
    )
    v = parse(text)["variables"]
    assert v["global"] == {"maxconn": 20}
    assert v["frontends"] == [{"name": "f", "binds": [{"port": 80}], "default_backend": "b"}]


def test_several_global_sections_are_merged():
    v = parse("global\n    maxconn 20\nglobal\n    daemon\n    maxconn 30\n")["variables"]
    assert v["global"] == {"maxconn": 20, "daemon": True, "extra": ["maxconn 30"]}


def test_a_later_duplicate_stays_after_the_first_in_extra():
    _r, fe = fe_of("    default_backend b\n    default_backend c\n", "backend b\nbackend c\n")
    assert fe["default_backend"] == "b" and fe["extra"] == ["default_backend c"]


def test_redirect_keyword_runs_after_http_request_rules_so_stays_in_extra_beside_them():
    _r, fe = fe_of("    redirect scheme https if !{ ssl_fc }\n    http-request set-header X-A 1\n")
    assert "redirects" not in fe and fe["extra"] == ["redirect scheme https if !{ ssl_fc }"]
    _r, fe = fe_of("    redirect scheme https if !{ ssl_fc }\n")
    # HAProxy's default code is 302: written out, as the model's default is 301.
    assert fe["redirects"] == [{"scheme": "https", "code": 302, "cond": "!{ ssl_fc }"}]


def test_once_an_http_request_rule_is_in_extra_every_later_one_is():
    _r, fe = fe_of(
        "    http-request set-header X-A 1\n"
        "    http-request lua.hello\n"
        "    http-request set-header X-B 2\n"
    )
    assert fe["http_request"] == [{"action": "set-header", "args": "X-A 1"}]
    assert fe["extra"] == ["http-request lua.hello", "http-request set-header X-B 2"]


def test_a_rule_using_an_acl_not_wholly_in_acls_goes_to_extra_after_it():
    result, fe = fe_of(
        "    acl ok path /a\n"
        "    acl ok\n"
        "    acl fine path /b\n"
        "    use_backend b if fine\n"
        "    use_backend b if ok\n"
        "    use_backend b if fine\n"
    )
    assert fe["acls"] == [{"name": "fine", "criterion": "path /b"}]
    assert fe["use_backends"] == [{"backend": "b", "cond": "fine"}]
    assert fe["extra"] == [
        "acl ok path /a",
        "acl ok",
        "use_backend b if ok",
        "use_backend b if fine",
    ]
    h.render(result["variables"])


def test_option_after_its_opposite_in_extra_stays_after_it():
    _r, fe = fe_of("    no option httplog\n    option httplog\n    option forwardfor\n")
    assert fe["options"] == ["forwardfor"]
    assert fe["extra"] == ["no option httplog", "option httplog"]


def test_rules_in_a_named_defaults_section_are_dropped():
    text = "defaults web\n    mode http\n    http-request set-header X-A 1\n    tcp-request content accept\n"
    result = parse(text)
    assert result["variables"] == {"defaults": {"mode": "http"}}
    assert [(d["line"], d["section"]) for d in result["dropped"]] == [
        (3, "defaults web"),
        (4, "defaults web"),
    ]
    assert "anonymous" in result["dropped"][0]["reason"]


def test_ssl_server_verify_none_makes_bare_ssl_verify_none():
    text = "global\n    ssl-server-verify none\nbackend b\n    server s 192.0.2.1:443 ssl\n"
    v = parse(text)["variables"]
    assert v["backends"][0]["servers"][0]["verify"] == "none"


def test_from_another_defaults_and_proxies_above_defaults_are_reported():
    text = (
        "frontend early\n    bind :81\n    default_backend b\n"
        "defaults one\n    mode http\n"
        "backend b from other\n    server s 192.0.2.1:80\n"
    )
    result = parse(text)
    reasons = {d["line"]: d["reason"] for d in result["dropped"]}
    assert "proxies above this defaults section" in reasons[4]
    assert "from clause" in reasons[6]


def test_kept_lines_never_show_a_password():
    text = (
        "frontend f\n    bind :80\n    stats auth 'us er:Sup3r-Secret-1'\n"
        "    stats auth ops:Sup3r-Secret-2 extra\n"
        "listen l\n    bind :81\n    stats auth ops:Sup3r-Secret-3\n    stats auth ops:Sup3r-Secret-4\n"
    )
    result = parse(text)
    shown = json.dumps({k: result[k] for k in ("kept", "dropped", "errors", "origins")})
    assert "Sup3r" not in shown, shown
    assert any(k["text"] == "stats auth ops:********" for k in result["kept"])


def test_duplicate_sections_are_errors_and_bad_input_raises_our_error_only():
    result = parse("backend b\nbackend b\n")
    assert result["errors"][0]["line"] == 2 and len(result["variables"]["backends"]) == 1
    for text in (None, 7, b"global", ["global"]):
        with pytest.raises(h.HAProxyConfigError):
            parse(text)
    with pytest.raises(h.HAProxyConfigError):
        parse("global\n", "bad\npath")


# --------------------------------------------------------------------------
# Generated hostile input
# --------------------------------------------------------------------------

_CORPUS_LINES = sorted(
    {line.strip() for name in CORPUS for line in read(name).split("\n") if line.strip()}
)
_HEADERS = [
    "global",
    "defaults",
    "defaults web",
    "frontend f",
    "frontend f from web",
    "backend b",
    "listen l",
    "userlist u",
    "peers p",
    "frontend",
    ".if defined(X)",
    ".else",
    ".endif",
]


def _mutate(line, injection, where):
    if where == "prefix":
        return injection + line
    if where == "suffix":
        return line + injection
    half = len(line) // 2
    return line[:half] + injection + line[half:]


_line = st.one_of(
    st.sampled_from(_CORPUS_LINES),
    st.sampled_from(_CORPUS_LINES),
    st.sampled_from(_HEADERS),
    st.builds(
        _mutate,
        st.sampled_from(_CORPUS_LINES),
        st.sampled_from(INJECTIONS),
        st.sampled_from(("prefix", "middle", "suffix")),
    ),
    st.text(max_size=40),
)
_config = st.lists(_line, max_size=40).map("\n".join)


@settings(SETTINGS, max_examples=300)
@given(_config)
def test_generated_input_gives_our_error_only_and_nothing_unchecked(text):
    """Whatever the text: parse() returns JSON data or raises HAProxyConfigError;
    what it returns passes normalize() or normalize() reports it (no internal
    error); when it passes, the rendered file is clean, and reads back to the
    same variables."""
    try:
        result = parse(text, "/g.cfg")
    except h.HAProxyConfigError as exc:
        assert not any(INTERNAL_ERROR in e for e in exc.errors), exc.errors
        return
    json.loads(json.dumps(result))
    assert set(result) == {"variables", "kept", "dropped", "errors", "origins"}
    for item in result["kept"] + result["dropped"] + result["errors"]:
        assert not any(CONTROL_RE.search(str(value)) for value in item.values())
    verdict = h.check(result["variables"], allow_weak_secrets=True)
    assert not any(INTERNAL_ERROR in e for e in verdict["errors"]), verdict["errors"]
    if verdict["errors"]:
        return
    rendered = h.render(result["variables"], allow_weak_secrets=True)
    assert not any(CONTROL_RE.search(line) for line in rendered.split("\n"))
    again = parse(rendered)
    assert again["errors"] == []
    assert again["variables"] == result["variables"]


_SECRET = "Zq9-Secret-Xw7"


@SETTINGS
@given(
    st.sampled_from([i for i in INJECTIONS if "\n" not in i]),
    st.sampled_from(("before", "inside", "after")),
)
def test_generated_password_lines_never_show_the_password(injection, where):
    """A stats auth or user password line, with hostile text before it,
    after it or inside the password (on the same line), never shows the
    password or a part of it in kept, dropped, errors or origins, in any
    section. (Text inside a keyword makes a line HAProxy does not read as a
    password line; that is not this test's business.)"""
    half = len(_SECRET) // 2
    secret = {
        "before": _SECRET,
        "after": _SECRET,
        "inside": _SECRET[:half] + injection + _SECRET[half:],
    }[where]
    for line in (
        f"stats auth ops:{secret}",
        f"stats auth 'ops':{secret}",
        f"stats auth \"ops\":'{secret}'",
        f"user ops insecure-password {secret}",
        f"user ops password {secret}",
    ):
        line = {"before": injection + line, "after": line + injection}.get(where, line)
        text = "\n".join(
            [
                "userlist u",
                "    " + line,
                "listen l",
                "    bind :80",
                "    " + line,
                "frontend f",
                "    bind :81",
                "    " + line,
                "global",
                "    " + line,
            ]
        )
        result = parse(text)
        shown = json.dumps({k: result[k] for k in ("kept", "dropped", "errors", "origins")})
        for part in (_SECRET[:half], _SECRET[half:]):
            assert part not in shown, (line, shown)


RETRY_CFG = """\
defaults
    mode http
    retry-on conn-failure empty-response
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend www
    bind :80
    default_backend web
backend web
    retry-on conn-failure 503
    http-request disable-l7-retry if !METH_GET !METH_OPTIONS
    server w1 192.0.2.11:8000 check
backend db
    mode tcp
    retry-on conn-failure
    retry-on conn-failure
    server d1 192.0.2.31:5432
listen legacy
    bind :8080
    retry-on 429
    server l1 192.0.2.41:80
"""


def test_retry_on_is_read_and_the_generated_guard_is_not_kept_twice():
    result = parse(RETRY_CFG, "/etc/haproxy/haproxy.cfg")
    v = result["variables"]
    assert v["defaults"]["retry_on"] == ["conn-failure", "empty-response"]
    web = section_of(result, "backends", "web")
    assert web["retry_on"] == ["conn-failure", "503"] and "extra" not in web
    # The guard is the renderer's: reported, not kept in extra.
    assert [d["line"] for d in result["dropped"]] == [12]
    assert "writes this line itself" in result["dropped"][0]["reason"]
    db = section_of(result, "backends", "db")
    assert db["retry_on"] == ["conn-failure"] and db["extra"] == ["retry-on conn-failure"]
    # A keyword HAProxy 2.6 does not know stays as written, where haproxy -c judges it.
    legacy = section_of(result, "listens", "legacy")
    assert "retry_on" not in legacy and legacy["extra"] == ["retry-on 429"]
    text = h.render(v)
    # web and legacy (the defaults' empty-response); db runs in mode tcp.
    assert text.count("http-request disable-l7-retry") == 2
    again = parse(text, "/rendered")
    assert again["variables"] == v
