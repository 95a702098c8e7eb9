"""The lint_keepalived_conf and lint_haproxy_cfg filters: one hand-written file
parsed and linted on the controller, with the config_import module's parsers
and rules; only AnsibleFilterError for input that is not text."""

from __future__ import annotations

import pathlib

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, strategies as st

from ansible_collections.halb.cluster.plugins.filter.adopt import (
    FilterModule,
    lint_haproxy_cfg,
    lint_keepalived_conf,
)
from ansible_collections.halb.cluster.plugins.module_utils import _adopt_lint
from ansible_collections.halb.cluster.plugins.module_utils._typed import CONTROL_RE
from tests.unit.property.hostile import INJECTIONS, SETTINGS

CORPUS = pathlib.Path(__file__).parents[1] / "module_utils" / "adopt_corpus"
KEYS = {"findings", "kept", "dropped", "errors"}
CHECK = "/etc/keepalived/check_haproxy.sh"

KEEPALIVED = """\
global_defs {
    script_user keepalived_script
    enable_script_security
}
vrrp_script chk_haproxy {
    script "/usr/bin/killall -0 haproxy"
    interval 2
    weight -60
}
vrrp_script chk_file {
    script "CHECK_PATH"
    interval 2
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    authentication {
        auth_type PASS
        auth_pass Vq7xR2mK
    }
    virtual_ipaddress {
        192.0.2.100/24 dev eth0
    }
    track_script {
        chk_haproxy
        chk_file
    }
}
""".replace("CHECK_PATH", CHECK)

HAPROXY = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend www
    bind :80
    default_backend web
backend web
    server web1 192.0.2.21:8000 check
"""


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    monkeypatch.setattr(_adopt_lint, "_STRICT", True)


def rules(result):
    assert set(result) == KEYS
    return [(f["rule"], f["variable"]) for f in result["findings"]]


def test_the_filters_are_registered():
    assert FilterModule().filters() == {
        "lint_keepalived_conf": lint_keepalived_conf,
        "lint_haproxy_cfg": lint_haproxy_cfg,
    }


def test_clean_files_give_no_finding():
    assert rules(lint_keepalived_conf(KEEPALIVED)) == []
    assert rules(lint_keepalived_conf(KEEPALIVED, {CHECK: "#!/bin/sh\npidof haproxy\n"})) == []
    assert rules(lint_haproxy_cfg(HAPROXY)) == []


KEEPALIVED_EDITS = {
    "interface-list": (
        ("interface eth0\n", "interface eth0 eth1\n"),
        ("interface-list", "keepalived_instances[VI_1].interface"),
    ),
    "vip-without-dev": (
        ("192.0.2.100/24 dev eth0", "192.0.2.100/24"),
        ("vip-without-dev", "keepalived_instances[VI_1].virtual_ipaddresses[0].dev"),
    ),
    "weak-password": (
        ("auth_pass Vq7xR2mK", "auth_pass 11111111"),
        ("weak-password", "keepalived_instances[VI_1].authentication.password"),
    ),
    "check-script-repairs": (
        ("/usr/bin/killall -0 haproxy", "/usr/bin/systemctl restart haproxy"),
        ("check-script-repairs", "keepalived_scripts[chk_haproxy].script"),
    ),
    "check-script-repairs (shell)": (
        (
            "/usr/bin/killall -0 haproxy",
            "/bin/sh -c 'killall -0 haproxy || service haproxy restart'",
        ),
        ("check-script-repairs", "keepalived_scripts[chk_haproxy].script"),
    ),
    "script-as-root": (
        ("    script_user keepalived_script\n", ""),
        ("script-as-root", "keepalived_global_defs.script_user"),
    ),
    "enable_script_security": (
        ("    enable_script_security\n", ""),
        ("script-as-root", "keepalived_global_defs.enable_script_security"),
    ),
    "weight-cannot-move (sync group)": (
        (
            "vrrp_instance VI_1 {",
            # keepalived refuses a sync group of one instance: VI_2 is its second member.
            "vrrp_sync_group VG_1 {\n    group {\n        VI_1\n        VI_2\n    }\n}\n"
            "vrrp_instance VI_2 {\n    state MASTER\n    interface eth0\n"
            "    virtual_router_id 52\n    priority 150\n"
            "    virtual_ipaddress {\n        192.0.2.101/24 dev eth0\n    }\n}\n"
            "vrrp_instance VI_1 {",
        ),
        ("weight-cannot-move", "keepalived_instances[VI_1].track_scripts[0]"),
    ),
    "model-error": (
        ("virtual_router_id 51", "virtual_router_id 256"),
        ("model-error", "keepalived_instances[VI_1].virtual_router_id"),
    ),
}


@pytest.mark.parametrize(("edit", "expected"), KEEPALIVED_EDITS.values(), ids=KEEPALIVED_EDITS)
def test_keepalived_conf_findings(edit, expected):
    old, new = edit
    assert old in KEEPALIVED
    result = lint_keepalived_conf(KEEPALIVED.replace(old, new))
    assert expected in rules(result)
    found = next(f for f in result["findings"] if (f["rule"], f["variable"]) == expected)
    assert found["origin"].startswith("/etc/keepalived/keepalived.conf:")
    for f in result["findings"]:
        assert "11111111" not in f["message"]


def test_the_scripts_text_and_existence_come_from_files():
    repair = {CHECK: "#!/bin/sh\nif ! pidof haproxy; then\n  systemctl restart haproxy\nfi\n"}
    assert rules(lint_keepalived_conf(KEEPALIVED, repair)) == [
        ("check-script-repairs", "keepalived_scripts[chk_file].script")
    ]
    assert rules(lint_keepalived_conf(KEEPALIVED, {CHECK: None})) == [
        ("script-missing", "keepalived_scripts[chk_file].script")
    ]
    facts = {CHECK: {"exists": True, "content": "#!/bin/sh\n", "mode": "0777", "owner": "root"}}
    assert rules(lint_keepalived_conf(KEEPALIVED, facts)) == [
        ("script-as-root", "keepalived_scripts[chk_file].script")
    ]


def test_includes_are_read_from_files():
    main = CORPUS / "keepalived" / "14-includes.conf"
    here = "/etc/keepalived/"
    files = {
        here + str(p.relative_to(main.parent)): p.read_text()
        for p in (main.parent / "14-includes.d").iterdir()
    }
    without = lint_keepalived_conf(main.read_text())
    assert ("model-error", "keepalived_instances") in rules(without)
    assert without["dropped"]
    with_files = lint_keepalived_conf(main.read_text(), files)
    assert not [f for f in with_files["findings"] if f["rule"] == "model-error"]


HAPROXY_EDITS = {
    "removed-directive": (
        ("defaults\n", "global\n    nbproc 4\ndefaults\n"),
        ("removed-directive", "haproxy_global.extra[0]"),
    ),
    "option-httpclose": (
        ("    mode http\n", "    mode http\n    option httpclose\n"),
        ("option-httpclose", "haproxy_defaults.options[0]"),
    ),
    "verify-none": (
        ("192.0.2.21:8000 check", "192.0.2.21:443 ssl verify none check"),
        ("verify-none", "haproxy_backends[web].servers[web1].verify"),
    ),
    "weak-password": (
        (
            "frontend www",
            "listen stats\n    bind :8404\n    stats uri /\n    stats auth admin:123456\nfrontend www",
        ),
        ("weak-password", "haproxy_listens[stats].stats.auth[admin].password"),
    ),
    "stats-admin-true": (
        (
            "frontend www",
            "listen stats\n    bind :8404\n    stats uri /\n    stats admin if TRUE\nfrontend www",
        ),
        ("stats-admin-true", "haproxy_listens[stats].stats.admin_cond"),
    ),
    "unused-backend": (
        ("\nbackend web\n", "\nbackend old\n    server o1 192.0.2.9:80\nbackend web\n"),
        ("unused-backend", "haproxy_backends[old]"),
    ),
    "model-error": (
        ("bind :80", "bind :80\n    default_backend nowhere"),
        ("model-error", "haproxy_frontends[www].default_backend"),
    ),
}


@pytest.mark.parametrize(("edit", "expected"), HAPROXY_EDITS.values(), ids=HAPROXY_EDITS)
def test_haproxy_cfg_findings(edit, expected):
    old, new = edit
    assert old in HAPROXY
    result = lint_haproxy_cfg(HAPROXY.replace(old, new))
    assert expected in rules(result)
    for f in result["findings"]:
        assert "123456" not in f["message"]


def test_the_article_s_mistakes_are_found_in_the_corpus():
    text = (CORPUS / "haproxy" / "18-weak-and-unsafe.cfg").read_text()
    found = {rule for rule, _v in rules(lint_haproxy_cfg(text))}
    assert {"option-httpclose", "verify-none", "weak-password", "stats-admin-true"} <= found
    text = (CORPUS / "keepalived" / "17-two-interfaces.conf").read_text()
    assert "interface-list" in {rule for rule, _v in rules(lint_keepalived_conf(text))}


@pytest.mark.parametrize("value", [None, 3, ["a"], {"a": 1}, b"global\n"])
def test_input_that_is_not_text_is_an_ansible_filter_error(value):
    with pytest.raises(AnsibleFilterError, match="lint_keepalived_conf: expected the text"):
        lint_keepalived_conf(value)
    with pytest.raises(AnsibleFilterError, match="lint_haproxy_cfg: expected the text"):
        lint_haproxy_cfg(value)


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ("x", "files must be a mapping"),
        (["/a"], "files must be a mapping"),
        ({"relative.sh": "x"}, "is not an absolute path"),
        ({3: "x"}, "is not an absolute path"),
        ({"/a": 3}, "expected the file's text"),
    ],
)
def test_bad_files_are_an_ansible_filter_error(files, match):
    with pytest.raises(AnsibleFilterError, match=match):
        lint_keepalived_conf(KEEPALIVED, files)


def test_unsafe_text_from_a_lookup_is_read():
    from ansible.utils.unsafe_proxy import AnsibleUnsafeText

    assert rules(lint_haproxy_cfg(AnsibleUnsafeText(HAPROXY))) == []
    assert rules(lint_keepalived_conf(AnsibleUnsafeText(KEEPALIVED))) == []


def _well_formed(result):
    assert set(result) == KEYS
    for found in result["findings"]:
        assert found["rule"] in _adopt_lint.RULES
        assert found["severity"] in _adopt_lint.SEVERITIES
        assert not CONTROL_RE.search(found["message"] + found["variable"])
    for key in ("kept", "dropped", "errors"):
        assert all(isinstance(entry, dict) for entry in result[key])


def _texts(base):
    lines = base.split("\n")
    return st.one_of(
        st.text(max_size=200),
        st.builds(
            lambda i, inj: "\n".join(lines[:i] + [lines[i] + inj] + lines[i + 1 :]),
            st.integers(0, len(lines) - 1),
            st.sampled_from(INJECTIONS),
        ),
        st.builds(lambda n: base[:n], st.integers(0, len(base))),
    )


@SETTINGS
@given(_texts(KEEPALIVED), st.one_of(st.none(), st.text(max_size=80)))
def test_any_keepalived_text_is_linted_without_raising(text, script):
    _adopt_lint._STRICT = True
    try:
        _well_formed(lint_keepalived_conf(text, {CHECK: script}))
    finally:
        _adopt_lint._STRICT = False


@SETTINGS
@given(_texts(HAPROXY))
def test_any_haproxy_text_is_linted_without_raising(text):
    _adopt_lint._STRICT = True
    try:
        _well_formed(lint_haproxy_cfg(text))
    finally:
        _adopt_lint._STRICT = False
