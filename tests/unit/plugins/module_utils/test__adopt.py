"""role_variables() and split_pair(): from imported models to role variables."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _adopt

KEEPALIVED = {
    "global_defs": {
        "router_id": "lb1",
        "vrrp_skip_check_adv_addr": True,
        "enable_script_security": True,
    },
    "scripts": [
        {"name": "chk_haproxy", "script": "/etc/keepalived/check_haproxy.sh", "interval": 2},
        {"name": "chk_web", "script": "/usr/bin/curl -fs http://127.0.0.1/", "weight": -20},
    ],
    "instances": [
        {
            "name": "VI_1",
            "interface": "eth0",
            "virtual_router_id": 51,
            "priority": 101,
            "state": "MASTER",
            "authentication": {"type": "PASS", "password": "11111111"},
            "virtual_ipaddresses": [{"address": "192.0.2.100", "prefix": 24}],
            "track_scripts": ["chk_haproxy", {"name": "chk_web", "weight": -30}],
            "notify_master": "/etc/keepalived/notify.sh master",
            "notify_backup": "/usr/local/bin/mail-me backup",
        },
        {
            "name": "VI_2",
            "interface": "eth1",
            "virtual_router_id": 52,
            "priority": 101,
            "state": "MASTER",
            "virtual_ipaddresses": [{"address": "198.51.100.100", "prefix": 24}],
            "track_scripts": ["chk_haproxy"],
        },
    ],
}
FINDINGS = [
    {"rule": "check-script-repairs", "variable": "keepalived_scripts[chk_haproxy].script"},
    {"rule": "script-missing", "variable": "keepalived_instances[VI_1].notify_master"},
    {"rule": "weak-password", "variable": "keepalived_instances[VI_1].authentication.password"},
]


def keepalived_vars(findings=None, data=None):
    findings = FINDINGS if findings is None else findings
    return _adopt.role_variables(copy.deepcopy(data or KEEPALIVED), None, findings)


def test_priority_state_and_router_id_become_host_variables():
    out = keepalived_vars()["variables"]
    assert out["keepalived_priority"] == 101
    assert out["keepalived_state"] == "MASTER"
    assert out["keepalived_router_id"] == "lb1"
    assert all("priority" not in i and "state" not in i for i in out["keepalived_instances"])
    # The role sets enable_script_security and script_user itself.
    assert out["keepalived_global_defs"] == {"vrrp_skip_check_adv_addr": True}


def test_a_repairing_check_is_left_out_with_its_references():
    result = keepalived_vars()
    out = result["variables"]
    assert [s["name"] for s in out["keepalived_scripts"]] == ["chk_web"]
    vi1, vi2 = out["keepalived_instances"]
    assert vi1["track_scripts"] == [{"name": "chk_web", "weight": -30}]
    assert "track_scripts" not in vi2
    rules = {(f["rule"], f["variable"]) for f in result["fixes"]}
    assert ("check-script-repairs", "keepalived_scripts[chk_haproxy]") in rules


def test_a_missing_notify_program_is_left_out_the_others_stay():
    result = keepalived_vars()
    vi1 = result["variables"]["keepalived_instances"][0]
    assert "notify_master" not in vi1
    assert vi1["notify_backup"] == "/usr/local/bin/mail-me backup"
    assert ("script-missing", "keepalived_instances[VI_1].notify_master") in {
        (f["rule"], f["variable"]) for f in result["fixes"]
    }


def test_without_findings_nothing_is_left_out():
    out = keepalived_vars(findings=[])["variables"]
    assert [s["name"] for s in out["keepalived_scripts"]] == ["chk_haproxy", "chk_web"]
    assert out["keepalived_instances"][0]["notify_master"] == "/etc/keepalived/notify.sh master"


def test_a_weak_vrrp_password_is_kept_and_allowed_explicitly():
    out = keepalived_vars()["variables"]
    assert out["keepalived_instances"][0]["authentication"]["password"] == "11111111"
    assert out["keepalived_allow_weak_secrets"] is True
    strong = copy.deepcopy(KEEPALIVED)
    strong["instances"][0]["authentication"]["password"] = "Zq7#vR2p"
    assert "keepalived_allow_weak_secrets" not in keepalived_vars(data=strong)["variables"]


def test_root_scripts_are_fixed_a_named_user_is_kept():
    data = copy.deepcopy(KEEPALIVED)
    data["global_defs"]["script_user"] = "root"
    result = keepalived_vars(data=data)
    assert "keepalived_script_user" not in result["variables"]
    assert "script-as-root" in {f["rule"] for f in result["fixes"]}
    data["global_defs"]["script_user"] = "checker"
    result = keepalived_vars(data=data)
    assert result["variables"]["keepalived_script_user"] == "checker"
    assert "script-as-root" not in {f["rule"] for f in result["fixes"]}


def test_priorities_that_differ_per_instance_stay_in_the_instances():
    data = copy.deepcopy(KEEPALIVED)
    data["instances"][1]["priority"] = 90
    out = keepalived_vars(data=data)["variables"]
    assert "keepalived_priority" not in out
    assert [i["priority"] for i in out["keepalived_instances"]] == [101, 90]
    assert out["keepalived_state"] == "MASTER"


STATS = {
    "name": "stats",
    "mode": "http",
    "binds": [{"address": "", "port": 8404}],
    "stats": {
        "enable": True,
        "uri": "/stats",
        "refresh": "10s",
        "auth": [{"user": "admin", "password": "123456"}],
        "admin_cond": "if TRUE",
    },
}
HAPROXY = {
    "global": {"maxconn": 4096, "user": "haproxy", "group": "haproxy"},
    "defaults": {"mode": "http", "timeouts": {"connect": "5s"}},
    "frontends": [{"name": "www", "binds": [{"port": 80}], "default_backend": "web"}],
    "backends": [{"name": "web", "servers": [{"name": "w1", "address": "10.0.0.1", "port": 80}]}],
    "listens": [STATS],
}


def test_a_stats_listen_becomes_the_roles_stats_page():
    out = _adopt.role_variables(None, copy.deepcopy(HAPROXY))["variables"]
    assert out["haproxy_stats_enabled"] is True
    assert out["haproxy_stats_port"] == 8404
    assert out["haproxy_stats_user"] == "admin"
    assert out["haproxy_stats_password"] == "123456"
    assert out["haproxy_stats_admin_unrestricted"] is True
    assert out["haproxy_stats_hide_version"] is False  # the page showed it
    assert out["haproxy_allow_weak_secrets"] is True
    assert "haproxy_listens" not in out
    assert out["haproxy_global"] == HAPROXY["global"]
    assert out["haproxy_frontends"] == HAPROXY["frontends"]


@pytest.mark.parametrize("cond", ["TRUE", "if TRUE", " if  TRUE"])
def test_the_parsers_admin_condition_without_if(cond):
    """_haproxy_import keeps `stats admin if TRUE` as admin_cond "TRUE"."""
    data = copy.deepcopy(HAPROXY)
    data["listens"][0]["stats"]["admin_cond"] = cond
    out = _adopt.role_variables(None, data)["variables"]
    assert out["haproxy_stats_enabled"] is True
    assert out["haproxy_stats_admin_unrestricted"] is True


def test_a_weak_password_of_a_stats_page_that_stays_a_listen_is_allowed():
    data = copy.deepcopy(HAPROXY)
    data["listens"] = [{**STATS, "binds": [{"port": 8404}, {"port": 8405}]}]
    out = _adopt.role_variables(None, data)["variables"]
    assert out["haproxy_stats_enabled"] is False
    assert out["haproxy_allow_weak_secrets"] is True


@pytest.mark.parametrize(
    "change",
    [
        {"binds": [{"port": 8404}, {"port": 8405}]},
        {"stats": {**STATS["stats"], "admin_cond": "if { src 10.0.0.0/8 }"}},
        {"stats": {**STATS["stats"], "auth": []}},
        {"servers": [{"name": "x", "address": "10.0.0.9", "port": 80}]},
        {"mode": "tcp"},
    ],
)
def test_a_listen_the_stats_variables_cannot_express_stays_a_listen(change):
    data = copy.deepcopy(HAPROXY)
    data["listens"] = [{**STATS, **change}]
    out = _adopt.role_variables(None, data)["variables"]
    assert out["haproxy_stats_enabled"] is False
    assert out["haproxy_listens"] == data["listens"]


def test_no_stats_page_turns_the_roles_off():
    data = copy.deepcopy(HAPROXY)
    del data["listens"]
    out = _adopt.role_variables(None, data)["variables"]
    assert out["haproxy_stats_enabled"] is False
    assert "haproxy_allow_weak_secrets" not in out


def test_the_input_is_not_changed():
    data = copy.deepcopy(KEEPALIVED)
    _adopt.role_variables(data, copy.deepcopy(HAPROXY), FINDINGS)
    assert data == KEEPALIVED


def test_split_pair():
    lb1 = {"a": 1, "b": [1, 2], "keepalived_priority": 101, "only1": True}
    lb2 = {"a": 1, "b": [1, 2], "keepalived_priority": 100}
    split = _adopt.split_pair({"lb1": lb1, "lb2": lb2})
    assert split["group"] == {"a": 1, "b": [1, 2]}
    assert split["hosts"] == {
        "lb1": {"keepalived_priority": 101, "only1": True},
        "lb2": {"keepalived_priority": 100},
    }
    assert _adopt.split_pair({}) == {"group": {}, "hosts": {}}
    # One node: everything is the group's.
    assert _adopt.split_pair({"lb1": lb1})["group"] == lb1


@pytest.mark.parametrize(
    "keepalived",
    [
        {},
        {"instances": None},
        {"instances": ["x", 3]},
        {"scripts": [None, "x"]},
        {"global_defs": []},
    ],
)
def test_odd_models_do_not_crash(keepalived):
    _adopt.role_variables(keepalived, {"listens": [None, {"stats": "x"}]}, [None, {"rule": 3}])


def test_a_vip_without_dev_gets_the_instances_interface():
    result = keepalived_vars()
    vi1, vi2 = result["variables"]["keepalived_instances"]
    assert vi1["virtual_ipaddresses"] == [{"address": "192.0.2.100", "prefix": 24, "dev": "eth0"}]
    assert vi2["virtual_ipaddresses"][0]["dev"] == "eth1"
    assert "vip-without-dev" in {f["rule"] for f in result["fixes"]}
    data = copy.deepcopy(KEEPALIVED)
    data["instances"][0]["virtual_ipaddresses"] = [{"address": "192.0.2.100", "dev": "eth9"}]
    data["instances"][0]["interface"] = "eth0 eth1"
    out = keepalived_vars(data=data)["variables"]
    assert out["keepalived_instances"][0]["virtual_ipaddresses"] == [
        {"address": "192.0.2.100", "dev": "eth9"}
    ]


def test_what_keepalived_corrects_when_it_runs_is_written_as_it_runs():
    data = copy.deepcopy(KEEPALIVED)
    data["instances"][0]["authentication"] = {"type": "AH", "password": "Zq7#vR2p"}
    data["sync_groups"] = [
        {"name": "G1", "group": ["VI_1"], "notify_master": "/usr/bin/logger m"},
        {"name": "G2", "group": ["VI_1", "VI_2"]},
    ]
    result = keepalived_vars(findings=[], data=data)
    out = result["variables"]
    # VI_1 (AH, MASTER at 101) runs as BACKUP; VI_2 stays MASTER.
    assert "keepalived_state" not in out
    assert [i["state"] for i in out["keepalived_instances"]] == ["BACKUP", "MASTER"]
    assert [g["name"] for g in out["keepalived_sync_groups"]] == ["G2"]
    # VI_1 had a notify_master of its own: the group's is not moved over it.
    assert out["keepalived_instances"][0]["notify_master"] == "/etc/keepalived/notify.sh master"
    messages = " ".join(f["message"] for f in result["fixes"])
    assert "becomes BACKUP" in messages and "sync group of one instance (VI_1)" in messages
    data["global_defs"]["vrrp_strict"] = True
    del data["instances"][0]["authentication"]
    del data["instances"][0]["notify_master"]
    out = keepalived_vars(findings=[], data=data)["variables"]
    assert out["keepalived_state"] == "BACKUP"
    assert out["keepalived_instances"][0]["notify_master"] == "/usr/bin/logger m"
