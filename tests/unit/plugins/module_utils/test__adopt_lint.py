"""Issue 19: the lint rules for an adopted keepalived.conf / haproxy.cfg.

Every rule fires on the mistake it is about and stays quiet on the nearest
correct setting; the pair rules compare two hosts' variables; generated
hostile variables never make a linter raise, and every finding is well formed.
"""

from __future__ import annotations

import copy
import pathlib

import pytest
import yaml
from hypothesis import given, strategies as st

from ansible_collections.halb.cluster.plugins.module_utils import _adopt_lint as lint
from ansible_collections.halb.cluster.plugins.module_utils._typed import CONTROL_RE
from tests.unit.property.hostile import (
    SETTINGS,
    TYPE_SETTINGS,
    get,
    hostile_text,
    json_like,
    leaves,
    nodes,
    path_id,
    replaced,
)

HERE = pathlib.Path(__file__).parent
HA_ARTICLE = yaml.safe_load((HERE / "golden_haproxy" / "haproxy_article.yml").read_text())
CHECK = "/etc/keepalived/check_haproxy.sh"
NOTIFY = "/usr/local/bin/halb-notify"

KA_GOOD = {
    "global_defs": {
        "router_id": "lb1",
        "script_user": "keepalived_script",
        "enable_script_security": True,
    },
    "scripts": [
        {
            "name": "chk_haproxy",
            "script": "/usr/bin/killall -0 haproxy",
            "interval": 2,
            "weight": -60,
            "fall": 2,
            "rise": 2,
        },
        {"name": "chk_file", "script": CHECK, "interval": 2},
    ],
    "instances": [
        {
            "name": "VI_1",
            "interface": "eth0",
            "virtual_router_id": 51,
            "priority": 150,
            "state": "MASTER",
            "advert_int": 1,
            "authentication": {"type": "PASS", "password": "Vq7xR2mK"},
            "virtual_ipaddresses": [{"address": "192.0.2.10", "prefix": 24, "dev": "eth0"}],
            "track_scripts": ["chk_haproxy", "chk_file"],
            "notify_master": NOTIFY + " master",
        }
    ],
}
FILES = {
    "/usr/bin/killall": {"exists": True, "content": None, "mode": "0755", "owner": "root"},
    CHECK: {
        "exists": True,
        "content": "#!/bin/sh\n# never restart here: systemctl restart haproxy\n"
        "pidof haproxy >/dev/null || exit 1\n",
        "mode": "0755",
        "owner": "root",
    },
    NOTIFY: {"exists": True, "content": "#!/bin/sh\nexit 0\n", "mode": "0755", "owner": "root"},
}
SYSCTL = {"net.ipv4.ip_forward": "0", "net.ipv4.ip_nonlocal_bind": "1"}


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    """A rule that raises fails the test instead of being skipped."""
    monkeypatch.setattr(lint, "_STRICT", True)


def ka():
    return copy.deepcopy(KA_GOOD)


def ha():
    return copy.deepcopy(HA_ARTICLE)


def backup(data=None, priority=100):
    data = copy.deepcopy(data or KA_GOOD)
    data["global_defs"]["router_id"] = "lb2"
    for inst in data["instances"]:
        inst["priority"] = priority
        inst["state"] = "BACKUP"
    return data


def ka_findings(data, files=None, sysctl=None, origins=None):
    files = FILES if files is None else files
    sysctl = SYSCTL if sysctl is None else sysctl
    return lint.lint_keepalived(data, files=files, origins=origins, sysctl=sysctl)


def assert_well_formed(findings):
    assert isinstance(findings, list)
    for found in findings:
        assert set(found) <= {"rule", "severity", "variable", "message", "origin"}, found
        assert found["rule"] in lint.RULES
        assert found["severity"] in lint.SEVERITIES
        for key in ("variable", "message"):
            assert isinstance(found[key], str) and found[key], found
            assert not CONTROL_RE.search(found[key]), found
        assert len(found["message"]) <= 600
        assert len(found["variable"]) <= 300
        if "origin" in found:
            assert isinstance(found["origin"], str) and not CONTROL_RE.search(found["origin"])


def rules_at(findings):
    assert_well_formed(findings)
    return {(f["rule"], f["variable"]) for f in findings}


def test_the_good_setups_give_no_finding():
    assert ka_findings(ka()) == []
    assert lint.lint_haproxy(ha()) == []
    assert lint.lint_pair({"lb1": ka(), "lb2": backup()}) == []


# ---------------------------------------------------------------------------
# check-script-repairs
# ---------------------------------------------------------------------------

REPAIRS = [
    "/usr/bin/systemctl restart haproxy",
    "/bin/systemctl start haproxy.service",
    "/bin/sh -c 'pidof haproxy || systemctl start haproxy'",
    "/bin/bash -c 'killall -0 haproxy || service haproxy restart'",
    "/bin/sh -ec 'pidof haproxy >/dev/null && exit 0; /etc/init.d/haproxy start'",
    "/usr/sbin/service haproxy reload",
    "/etc/init.d/haproxy start",
    "/usr/sbin/invoke-rc.d haproxy restart",
    "/usr/bin/sudo -u root /usr/bin/systemctl try-restart haproxy.service",
    "/usr/bin/timeout 3 /usr/bin/systemctl reload-or-restart haproxy",
    "/usr/bin/systemctl --no-block enable --now haproxy",
    "/usr/sbin/haproxy -D -f /etc/haproxy/haproxy.cfg -p /run/haproxy.pid",
    "/usr/bin/killall -HUP haproxy",
    "/usr/bin/pkill -USR2 haproxy",
    "/bin/kill -s HUP 1234",
    "/usr/bin/env LANG=C /usr/bin/systemctl condrestart haproxy",
]
READ_ONLY = [
    "/usr/bin/killall -0 haproxy",
    "/usr/bin/systemctl is-active --quiet haproxy",
    "/bin/pidof haproxy",
    "/usr/bin/curl -fsS http://127.0.0.1:8405/health",
    "/usr/sbin/haproxy -c -f /etc/haproxy/haproxy.cfg",
    "/bin/sh -c 'pidof haproxy || exit 1'",
    "/usr/bin/systemctl status haproxy",
    "/usr/bin/pgrep -f 'haproxy -f /etc/haproxy/haproxy.cfg'",
    "/usr/bin/killall -0 keepalived",
    "/bin/kill -0 1234",
    "/usr/bin/test -e /run/haproxy.pid",
]


@pytest.mark.parametrize("command", REPAIRS)
def test_a_check_that_repairs_fires(command):
    data = ka()
    data["scripts"][0]["script"] = command
    found = [f for f in ka_findings(data) if f["rule"] == "check-script-repairs"]
    assert [f["variable"] for f in found] == ["keepalived_scripts[chk_haproxy].script"]
    assert found[0]["severity"] == "error"
    assert "VIP never moves" in found[0]["message"]


@pytest.mark.parametrize("command", READ_ONLY)
def test_a_check_that_only_reads_does_not_fire(command):
    data = ka()
    data["scripts"][0]["script"] = command
    assert not [f for f in ka_findings(data) if f["rule"] == "check-script-repairs"]


SCRIPT_REPAIRS = {
    "if-then": "#!/bin/sh\nif ! pidof haproxy >/dev/null; then\n    systemctl restart haproxy\nfi\n",
    "or": "#!/bin/bash\nset -e\nkillall -0 haproxy || service haproxy restart\n",
    "continued": "#!/bin/sh\npidof haproxy ||\\\n  /usr/bin/systemctl \\\n  start haproxy\n",
    "subshell": '#!/bin/sh\n[ -n "$(pidof haproxy)" ] || $(systemctl reload haproxy)\n',
    "kill-pidfile": "#!/bin/sh\ncurl -fs http://127.0.0.1:8405/ || kill -HUP $(cat /run/haproxy.pid)\n",
    "python": "#!/usr/bin/python3\nimport subprocess\n"
    "if subprocess.call(['pidof', 'haproxy']):\n"
    "    subprocess.call(['systemctl', 'restart', 'haproxy'])\n",
}


@pytest.mark.parametrize("content", SCRIPT_REPAIRS.values(), ids=SCRIPT_REPAIRS)
def test_a_check_script_whose_text_repairs_fires(content):
    files = copy.deepcopy(FILES)
    files[CHECK]["content"] = content
    found = [f for f in ka_findings(ka(), files=files) if f["rule"] == "check-script-repairs"]
    assert [f["variable"] for f in found] == ["keepalived_scripts[chk_file].script"]
    assert CHECK in found[0]["message"] and "line " in found[0]["message"]


def test_the_script_text_is_read_behind_an_interpreter_and_one_level_down():
    data = ka()
    data["scripts"][1]["script"] = f"/bin/bash {CHECK} --quiet"
    files = copy.deepcopy(FILES)
    files[CHECK]["content"] = "#!/bin/sh\n/usr/local/bin/fix-haproxy\n"
    files["/usr/local/bin/fix-haproxy"] = {
        "exists": True,
        "content": "#!/bin/sh\nsystemctl restart haproxy\n",
    }
    found = [f for f in ka_findings(data, files=files) if f["rule"] == "check-script-repairs"]
    assert [f["variable"] for f in found] == ["keepalived_scripts[chk_file].script"]


def test_a_script_text_that_only_mentions_a_restart_in_a_comment_does_not_fire():
    # FILES' check script has "systemctl restart haproxy" in a comment only.
    assert not [f for f in ka_findings(ka()) if f["rule"] == "check-script-repairs"]
    files = copy.deepcopy(FILES)
    files[CHECK]["content"] = "\x7fELF\x00\x00 systemctl restart haproxy"  # a binary
    assert not [f for f in ka_findings(ka(), files=files) if f["rule"] == "check-script-repairs"]


def test_paths_to_read_names_the_programs_then_what_their_scripts_run():
    assert lint.paths_to_read(ka()) == ["/usr/bin/killall", CHECK, NOTIFY]
    assert lint.paths_to_read(ka(), FILES) == []
    data = ka()
    data["scripts"][0]["script"] = "/usr/bin/timeout 3 /bin/bash /etc/keepalived/a.sh --quiet"
    data["scripts"][1]["script"] = "/bin/sh -c '/usr/local/bin/b && exit 0'"
    assert lint.paths_to_read(data, FILES) == [
        "/usr/bin/timeout",
        "/bin/bash",
        "/etc/keepalived/a.sh",
        "/bin/sh",
        "/usr/local/bin/b",
    ]
    files = copy.deepcopy(FILES)
    files[CHECK]["content"] = "#!/bin/sh\n/usr/local/bin/level1 --now\n"
    assert lint.paths_to_read(ka(), files) == ["/usr/local/bin/level1"]
    files["/usr/local/bin/level1"] = {"exists": True, "content": "/usr/local/bin/level2\n"}
    assert lint.paths_to_read(ka(), files) == ["/usr/local/bin/level2"]
    files["/usr/local/bin/level2"] = {"exists": True, "content": "/usr/local/bin/level3\n"}
    assert lint.paths_to_read(ka(), files) == []  # three levels are read, no more
    files["/usr/local/bin/level2"]["content"] = "systemctl restart haproxy\n"
    found = [f for f in ka_findings(ka(), files=files) if f["rule"] == "check-script-repairs"]
    assert [f["variable"] for f in found] == ["keepalived_scripts[chk_file].script"]
    assert "/usr/local/bin/level2" in found[0]["message"]


# ---------------------------------------------------------------------------
# script-missing, script-as-root
# ---------------------------------------------------------------------------


def test_a_missing_check_or_hook_fires():
    files = copy.deepcopy(FILES)
    files[CHECK] = {"exists": False, "content": None}
    files[NOTIFY] = {"exists": False}
    found = rules_at(ka_findings(ka(), files=files))
    assert ("script-missing", "keepalived_scripts[chk_file].script") in found
    assert ("script-missing", "keepalived_instances[VI_1].notify_master") in found


@pytest.mark.parametrize("files", [FILES, None, {}], ids=["present", "no-files", "unknown"])
def test_a_present_or_unknown_script_is_not_missing(files):
    assert not [f for f in ka_findings(ka(), files=files) if f["rule"] == "script-missing"]


ROOT = {
    "no-enable_script_security": (
        lambda d: d["global_defs"].pop("enable_script_security"),
        "keepalived_global_defs.enable_script_security",
        "warning",
    ),
    "enable_script_security-false": (
        lambda d: d["global_defs"].update(enable_script_security=False),
        "keepalived_global_defs.enable_script_security",
        "warning",
    ),
    "no-script_user": (
        lambda d: d["global_defs"].pop("script_user"),
        "keepalived_global_defs.script_user",
        "warning",
    ),
    "script_user-root": (
        lambda d: d["global_defs"].update(script_user="root"),
        "keepalived_global_defs.script_user",
        "warning",
    ),
    "script-user-root": (
        lambda d: d["scripts"][0].update(user="root"),
        "keepalived_scripts[chk_haproxy].user",
        "warning",
    ),
    "hook-user-root": (
        lambda d: d["instances"][0].update(notify_master={"script": NOTIFY, "user": "root"}),
        "keepalived_instances[VI_1].notify_master.user",
        "warning",
    ),
}


@pytest.mark.parametrize(("edit", "variable", "severity"), ROOT.values(), ids=ROOT)
def test_checks_as_root_fire(edit, variable, severity):
    data = ka()
    edit(data)
    found = [f for f in ka_findings(data) if f["rule"] == "script-as-root"]
    assert [(f["variable"], f["severity"]) for f in found] == [(variable, severity)]


def test_the_model_warning_about_a_root_user_is_not_repeated():
    data = ka()
    data["scripts"][0]["user"] = "root"
    found = ka_findings(data)
    assert [f["rule"] for f in found if f["variable"].endswith(".user")] == ["script-as-root"]


@pytest.mark.parametrize(
    ("owner", "mode"), [("www-data", "0755"), ("root", "0777"), ("root", "0775")]
)
def test_a_script_others_can_change_fires(owner, mode):
    files = copy.deepcopy(FILES)
    files[CHECK].update(owner=owner, mode=mode)
    found = [f for f in ka_findings(ka(), files=files) if f["rule"] == "script-as-root"]
    assert [(f["variable"], f["severity"]) for f in found] == [
        ("keepalived_scripts[chk_file].script", "error")
    ]


def test_unprivileged_checks_and_hooks_do_not_fire():
    data = ka()
    data["global_defs"]["script_user"] = "root"
    data["scripts"][0]["user"] = "keepalived_script"
    data["scripts"][1]["user"] = "nobody"
    data["instances"][0]["notify_master"] = {"script": NOTIFY, "user": "halb"}
    found = ka_findings(data)
    assert not [f for f in found if f["rule"] == "script-as-root"]
    # The model's own warning (script_user root) stays: no rule said it.
    assert ("model-warning", "keepalived_global_defs.script_user") in rules_at(found)


# ---------------------------------------------------------------------------
# vip-without-dev, interface-list, weak-password, ip-forward (one host)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vip", "fires"),
    [
        ({"address": "192.0.2.10", "prefix": 24}, True),
        ("192.0.2.10/24", True),
        ({"address": "192.0.2.10", "prefix": 24, "dev": "eth0"}, False),
        ("192.0.2.10/24 dev eth0", False),
    ],
)
def test_vip_without_dev(vip, fires):
    data = ka()
    data["instances"][0]["virtual_ipaddresses"] = [vip]
    found = rules_at(ka_findings(data))
    rule = ("vip-without-dev", "keepalived_instances[VI_1].virtual_ipaddresses[0].dev")
    assert (rule in found) is fires


@pytest.mark.parametrize(
    ("interface", "fires"), [("eth0 eth1", True), ("eth0,eth1", True), ("eth0", False)]
)
def test_interface_list(interface, fires):
    data = ka()
    data["instances"][0]["interface"] = interface
    found = ka_findings(data)
    at = [f for f in found if f["variable"] == "keepalived_instances[VI_1].interface"]
    if fires:
        # One finding: the model's own error about it is not repeated.
        assert [(f["rule"], f["severity"]) for f in at] == [("interface-list", "error")]
    else:
        assert at == []


@pytest.mark.parametrize(
    ("password", "fires"),
    [
        ("11111111", True),
        ("12345678", True),
        ("abc123", True),
        ("qwertyui", True),
        ("Vq7xR2mK", False),
    ],
)
def test_weak_vrrp_password(password, fires):
    data = ka()
    data["instances"][0]["authentication"]["password"] = password
    found = ka_findings(data)
    at = [f for f in found if f["variable"].endswith("authentication.password")]
    assert [f["rule"] for f in at] == (["weak-password"] if fires else [])
    for f in found:
        assert password not in f["message"]


@pytest.mark.parametrize(
    ("sysctl", "fires"),
    [
        ({"net.ipv4.ip_forward": "1"}, ["net.ipv4.ip_forward"]),
        ({"net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": "1"}, None),
        ({"net.ipv4.ip_forward": "0"}, []),
        (None, []),
        ({}, []),
    ],
)
def test_ip_forward(sysctl, fires):
    found = [f["variable"] for f in ka_findings(ka(), sysctl=sysctl) if f["rule"] == "ip-forward"]
    if fires is None:
        assert found == ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]
    else:
        assert found == fires


# ---------------------------------------------------------------------------
# weight-cannot-move
# ---------------------------------------------------------------------------


def _sync(data, extra=None):
    data["instances"].append(
        dict(
            copy.deepcopy(data["instances"][0]),
            name="VI_2",
            virtual_router_id=52,
            virtual_ipaddresses=[{"address": "192.0.2.20", "prefix": 24, "dev": "eth0"}],
            track_scripts=["chk_file"],
        )
    )
    group = {"name": "VG_1", "group": ["VI_1", "VI_2"]}
    if extra:
        group["extra"] = extra
    data["sync_groups"] = [group]
    return data


def test_a_weight_in_a_sync_group_fires_on_one_host():
    found = [f for f in ka_findings(_sync(ka())) if f["rule"] == "weight-cannot-move"]
    assert [(f["variable"], f["severity"]) for f in found] == [
        ("keepalived_instances[VI_1].track_scripts[0]", "error")
    ]
    assert "sync group VG_1" in found[0]["message"]
    assert "keepalived_scripts[chk_haproxy].weight" in found[0]["message"]
    # ... once: the model's error about the same weight is not repeated.
    assert not [
        f
        for f in ka_findings(_sync(ka()))
        if f["rule"] == "model-error" and "ignores weighted" in f["message"]
    ]


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["scripts"][0].update(weight=0),
        lambda d: d["sync_groups"][0].update(extra=["sync_group_tracking_weight"]),
    ],
    ids=["fault", "sync_group_tracking_weight"],
)
def test_a_sync_group_without_weights_or_honouring_them_does_not_fire(edit):
    data = _sync(ka())
    edit(data)
    assert not [f for f in ka_findings(data) if f["rule"] == "weight-cannot-move"]


def _pair_weight(master_weight, backup_weight=None, master=150, second=100, own=False):
    lb1, lb2 = ka(), backup(priority=second)
    lb1["instances"][0]["priority"] = master
    for data, weight in ((lb1, master_weight), (lb2, backup_weight)):
        if weight is None:
            data["scripts"][0].pop("weight")
        elif own:
            data["instances"][0]["track_scripts"][0] = {"name": "chk_haproxy", "weight": weight}
        else:
            data["scripts"][0]["weight"] = weight
    return [
        f for f in lint.lint_pair({"lb1": lb1, "lb2": lb2}) if f["rule"] == "weight-cannot-move"
    ]


@pytest.mark.parametrize(
    ("weights", "fires"),
    [
        ((-30, -30), "still above"),
        ((-50, -50), "equal to"),  # a tie: the higher IP address wins
        ((-51, -51), None),
        ((0, 0), None),  # FAULT always moves
        ((60, 60), None),  # +60 on both: 150 vs 100+60
        ((50, 50), "equal to"),
        ((40, 40), "still above"),
        ((60, None), "helps only the node"),  # the backup lacks the bonus
    ],
)
def test_weight_cannot_move_for_the_pair(weights, fires):
    found = _pair_weight(*weights)
    if fires is None:
        assert found == []
    else:
        assert len(found) == 1 and fires in found[0]["message"], found
        assert found[0]["variable"] == "keepalived_scripts[chk_haproxy].weight"
        assert found[0]["severity"] == "error"


def test_weight_cannot_move_names_the_instance_weight_when_the_instance_sets_it():
    found = _pair_weight(-20, -20, own=True)
    assert [f["variable"] for f in found] == ["keepalived_instances[VI_1].track_scripts[0].weight"]


def test_the_pair_skips_sync_grouped_instances():
    found = [
        f
        for f in lint.lint_pair({"lb1": _sync(ka()), "lb2": backup(_sync(ka()))})
        if f["rule"] == "weight-cannot-move"
    ]
    assert found == []


# ---------------------------------------------------------------------------
# equal-priorities, pair-mismatch
# ---------------------------------------------------------------------------


def test_equal_priorities():
    found = rules_at(lint.lint_pair({"lb1": ka(), "lb2": backup(priority=150)}))
    assert ("equal-priorities", "keepalived_instances[VI_1].priority") in found
    found = rules_at(lint.lint_pair({"lb1": ka(), "lb2": backup(priority=149)}))
    assert not [f for f in found if f[0] == "equal-priorities"]


MISMATCH = {
    "virtual_router_id": (
        lambda i, g: i.update(virtual_router_id=52),
        "keepalived_instances[VI_1].virtual_router_id",
    ),
    "vips": (
        lambda i, g: i.update(virtual_ipaddresses=[{"address": "192.0.2.11", "dev": "eth0"}]),
        "keepalived_instances[VI_1].virtual_ipaddresses",
    ),
    "advert_int": (lambda i, g: i.update(advert_int=2), "keepalived_instances[VI_1].advert_int"),
    "version": (
        lambda i, g: (i.update(version=3), i.pop("authentication")),
        "keepalived_instances[VI_1].version",
    ),
    "auth-type": (
        lambda i, g: i.update(authentication={"type": "AH", "password": "Vq7xR2mK"}),
        "keepalived_instances[VI_1].authentication",
    ),
    "auth-password": (
        lambda i, g: i["authentication"].update(password="Zq7xR2mK"),
        "keepalived_instances[VI_1].authentication",
    ),
    "auth-missing": (
        lambda i, g: i.pop("authentication"),
        "keepalived_instances[VI_1].authentication",
    ),
    "vrrp_strict": (
        lambda i, g: g.update(vrrp_strict=True),
        "keepalived_global_defs.vrrp_strict",
    ),
    "enable_script_security (from _vrrp_cluster)": (
        lambda i, g: g.update(enable_script_security=False),
        "keepalived_global_defs.enable_script_security",
    ),
    "instance on one node": (
        lambda i, g: i.update(name="VI_OTHER"),
        "keepalived_instances[VI_1]",
    ),
}


@pytest.mark.parametrize(("edit", "variable"), MISMATCH.values(), ids=MISMATCH)
def test_pair_mismatch(edit, variable):
    lb2 = backup()
    edit(lb2["instances"][0], lb2["global_defs"])
    found = lint.lint_pair(
        {"lb1": ka(), "lb2": lb2},
        {"lb1": {"keepalived_instances[VI_1]": "lb1.conf:5"}, "lb2": {}},
    )
    assert ("pair-mismatch", variable) in rules_at(found)
    for f in found:
        assert "Vq7xR2mK" not in f["message"] and "Zq7xR2mK" not in f["message"]


def test_no_pair_mismatch_when_only_ignored_password_characters_differ():
    lb1, lb2 = ka(), backup()
    # keepalived compares the first 8 characters only (the model refuses more).
    lb1["instances"][0]["authentication"]["password"] = "Vq7xR2mKa"
    lb2["instances"][0]["authentication"]["password"] = "Vq7xR2mKb"
    lb2["instances"][0]["virtual_ipaddresses"] = [
        {"address": "192.0.2.10", "prefix": "24", "dev": "eth0"}
    ]
    assert not [f for f in lint.lint_pair({"lb1": lb1, "lb2": lb2}) if f["rule"] == "pair-mismatch"]


def test_pair_findings_carry_the_origin_of_the_host_they_are_about():
    lb2 = backup()
    lb2["instances"][0]["virtual_router_id"] = 52
    found = lint.lint_pair(
        {"lb1": ka(), "lb2": lb2},
        {"lb1": {"keepalived_instances[VI_1]": "/etc/keepalived/keepalived.conf:12"}},
    )
    assert found[0]["origin"] == "/etc/keepalived/keepalived.conf:12"


@pytest.mark.parametrize("value", [None, [], "x", {"lb1": KA_GOOD}, {"lb1": None, "lb2": 3}])
def test_a_pair_of_fewer_than_two_hosts_gives_nothing(value):
    assert lint.lint_pair(value) == []


# ---------------------------------------------------------------------------
# HAProxy rules
# ---------------------------------------------------------------------------


def _backend(**server):
    return {
        "name": "tls",
        "servers": [dict({"name": "s1", "address": "192.0.2.31", "port": 443}, **server)],
    }


HA_FIRES = {
    "nbproc": (
        lambda d: d["global"].setdefault("extra", []).append("nbproc 12"),
        ("removed-directive", "haproxy_global.extra[0]"),
    ),
    "reqadd": (
        lambda d: d["frontends"][0].setdefault("extra", []).append("reqadd X-Proto:\\ https"),
        ("removed-directive", "haproxy_frontends[www].extra[0]"),
    ),
    "option forceclose": (
        lambda d: d["defaults"].setdefault("extra", []).append("option forceclose"),
        ("removed-directive", "haproxy_defaults.extra[0]"),
    ),
    "block key": (
        lambda d: d["frontends"][0].update(block="if TRUE"),
        ("removed-directive", "haproxy_frontends[www].block"),
    ),
    "httpclose option": (
        lambda d: d["defaults"]["options"].append("httpclose"),
        ("option-httpclose", "haproxy_defaults.options[3]"),
    ),
    "httpclose extra": (
        lambda d: d["backends"][0].setdefault("extra", []).append("option httpclose"),
        ("option-httpclose", "haproxy_backends[shop].extra[0]"),
    ),
    "verify none": (
        lambda d: d["backends"][1]["servers"][0].update(verify="none"),
        ("verify-none", "haproxy_backends[api].servers[api1].verify"),
    ),
    "verify none line": (
        lambda d: d["backends"][1].setdefault("extra", []).append("default-server ssl verify none"),
        ("verify-none", "haproxy_backends[api].extra[0]"),
    ),
    "ssl-server-verify none": (
        lambda d: d["global"].setdefault("extra", []).append("ssl-server-verify none"),
        ("verify-none", "haproxy_global.extra[0]"),
    ),
    "weak stats auth": (
        lambda d: d["listens"][0]["stats"]["auth"][0].update(password="123456"),
        ("weak-password", "haproxy_listens[stats].stats.auth[admin].password"),
    ),
    "weak stats auth line": (
        lambda d: d["listens"][0].setdefault("extra", []).append("stats auth ops:admin"),
        ("weak-password", "haproxy_listens[stats].extra[0]"),
    ),
    "weak userlist": (
        lambda d: d.update(
            userlists=[{"name": "ops", "users": [{"name": "bob", "password": "changeme"}]}]
        ),
        ("weak-password", "haproxy_userlists[ops].users[bob].password"),
    ),
    "unused backend": (
        lambda d: d["backends"].append(_backend()),
        ("unused-backend", "haproxy_backends[tls]"),
    ),
    "admin TRUE": (
        lambda d: d["listens"][0]["stats"].update(admin_cond="TRUE"),
        ("stats-admin-true", "haproxy_listens[stats].stats.admin_cond"),
    ),
    "admin if TRUE": (
        lambda d: d["listens"][0]["stats"].update(admin_cond="if TRUE"),
        ("stats-admin-true", "haproxy_listens[stats].stats.admin_cond"),
    ),
    "admin if TRUE line": (
        lambda d: d["frontends"][0].setdefault("extra", []).append("stats admin if TRUE"),
        ("stats-admin-true", "haproxy_frontends[www].extra[0]"),
    ),
    "model error": (
        lambda d: d["frontends"][0]["binds"][0].update(port=70000),
        ("model-error", "haproxy_frontends[www].binds[0].port"),
    ),
    "model warning": (
        lambda d: d["listens"][0]["stats"].pop("auth"),
        ("model-warning", "haproxy_listens[stats].stats.auth"),
    ),
}

HA_QUIET = {
    "nbthread": lambda d: d["global"].setdefault("extra", []).append("nbthread 4"),
    "http-server-close": lambda d: d["defaults"]["options"].append("http-server-close"),
    "verify required": lambda d: d["backends"][1]["servers"][1].update(verify="required"),
    "strong stats auth": lambda d: (
        d["listens"][0].setdefault("extra", []).append("stats auth ops:Vg7-kq2Lx9")
    ),
    "hashed userlist": lambda d: d.update(
        userlists=[{"name": "ops", "users": [{"name": "bob", "password": "$6$salt$" + "a" * 86}]}]
    ),
    "backend used by use_backend": lambda d: (
        d["backends"].append(_backend(ssl=True, verify="required", ca_file="@system-ca")),
        d["frontends"][0]["use_backends"].append({"backend": "tls", "cond": "host_api"}),
    ),
    "backend used by an extra line": lambda d: (
        d["backends"].append(_backend()),
        d["listens"][0].setdefault("extra", []).append("use_backend tls if { path_beg /tls }"),
    ),
    "backend chosen at run time": lambda d: (
        d["backends"].append(_backend()),
        d["frontends"][0].setdefault("extra", []).append("use_backend %[req.hdr(host),lower]"),
    ),
    "admin if LOCALHOST": lambda d: d["listens"][0]["stats"].update(admin_cond="if LOCALHOST"),
}


@pytest.mark.parametrize(("edit", "expected"), HA_FIRES.values(), ids=HA_FIRES)
def test_haproxy_rule_fires(edit, expected):
    data = ha()
    edit(data)
    found = lint.lint_haproxy(data, origins={"haproxy_listens[stats]": "haproxy.cfg:40"})
    assert expected in rules_at(found)
    for f in found:
        for secret in ("123456", "changeme", "admin:"):
            assert (
                secret not in f["message"] or secret == "admin:" and "ops:admin" not in f["message"]
            )
    # Reported once: the model's own message about the same thing is dropped.
    at = [f for f in found if f["variable"] == expected[1]]
    assert len([f for f in at if f["rule"] == expected[0]]) == 1, at
    if not expected[0].startswith("model-"):
        repeats = ("accepted because", "was removed", "closes every", "not checked", "TRUE lets")
        assert not [
            f
            for f in at
            if f["rule"].startswith("model-") and any(r in f["message"] for r in repeats)
        ], at
    if expected[1].startswith("haproxy_listens[stats]"):
        assert {f["origin"] for f in at} == {"haproxy.cfg:40"}


@pytest.mark.parametrize("edit", HA_QUIET.values(), ids=HA_QUIET)
def test_haproxy_near_misses_do_not_fire(edit):
    data = ha()
    edit(data)
    assert [(f["rule"], f["variable"]) for f in lint.lint_haproxy(data)] == []


def test_keepalived_model_errors_become_findings():
    data = ka()
    data["instances"][0]["virtual_router_id"] = 256
    data["global_defs"]["bogus"] = 1
    found = rules_at(ka_findings(data))
    assert ("model-error", "keepalived_instances[VI_1].virtual_router_id") in found
    assert ("model-error", "keepalived_global_defs") in found
    assert ("model-error", "keepalived configuration") in rules_at(ka_findings([]))


@pytest.mark.parametrize(
    "line",
    [
        'user x insecure-password Sup3rSecretPassw0rd "',
        "stats auth ops:Sup3rSecretPassw0rd '",
    ],
)
def test_a_password_the_model_would_repeat_is_hidden(line):
    data = ha()
    data["listens"][0]["extra"] = [line]
    found = lint.lint_haproxy(data)
    assert ("model-error", "haproxy_listens[stats].extra[0]") in rules_at(found)
    assert not [f for f in found if "Sup3rSecretPassw0rd" in f["message"]]


def test_a_broken_rule_is_skipped_unless_strict(monkeypatch):
    def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setattr(lint, "_rule_vip_dev", broken)
    monkeypatch.setattr(lint, "_STRICT", False)
    data = ka()
    data["instances"][0]["interface"] = "eth0 eth1"
    assert ("interface-list", "keepalived_instances[VI_1].interface") in rules_at(ka_findings(data))
    monkeypatch.setattr(lint, "_STRICT", True)
    with pytest.raises(RuntimeError):
        ka_findings(data)


# ---------------------------------------------------------------------------
# Generated hostile variables: never an exception, only well-formed findings
# ---------------------------------------------------------------------------

KA_NODES = [pytest.param(p, id=path_id(p)) for p in nodes(KA_GOOD)]
KA_LEAVES = [pytest.param(p, id=path_id(p)) for p in leaves(KA_GOOD)]
HA_NODES = [pytest.param(p, id=path_id(p)) for p in nodes(HA_ARTICLE)]
HA_LEAVES = [pytest.param(p, id=path_id(p)) for p in leaves(HA_ARTICLE)]


def _all_keepalived(data):
    assert all(isinstance(p, str) for p in lint.paths_to_read(data, FILES))
    assert_well_formed(ka_findings(data))
    assert_well_formed(ka_findings(data, files=None, sysctl=None))
    assert_well_formed(lint.lint_pair({"lb1": data, "lb2": backup()}))
    assert_well_formed(lint.lint_pair({"lb1": backup(), "lb2": data}))


@pytest.mark.parametrize("path", KA_NODES)
def test_keepalived_lint_never_raises_on_any_type(path):
    @TYPE_SETTINGS
    @given(json_like)
    def check(value):
        _all_keepalived(replaced(KA_GOOD, path, value))

    check()


@pytest.mark.parametrize("path", KA_LEAVES)
def test_keepalived_lint_never_raises_on_hostile_text(path):
    @TYPE_SETTINGS
    @given(hostile_text(get(KA_GOOD, path)))
    def check(value):
        _all_keepalived(replaced(KA_GOOD, path, value))

    check()


@pytest.mark.parametrize("path", HA_NODES)
def test_haproxy_lint_never_raises_on_any_type(path):
    @TYPE_SETTINGS
    @given(json_like)
    def check(value):
        assert_well_formed(lint.lint_haproxy(replaced(HA_ARTICLE, path, value)))

    check()


@pytest.mark.parametrize("path", HA_LEAVES)
def test_haproxy_lint_never_raises_on_hostile_text(path):
    @TYPE_SETTINGS
    @given(hostile_text(get(HA_ARTICLE, path)))
    def check(value):
        assert_well_formed(lint.lint_haproxy(replaced(HA_ARTICLE, path, value)))

    check()


_SECTIONS = st.sampled_from(
    [
        "global_defs",
        "scripts",
        "track_files",
        "instances",
        "sync_groups",
        "global",
        "defaults",
        "frontends",
        "backends",
        "listens",
        "userlists",
    ]
)


@SETTINGS
@given(
    st.one_of(json_like, st.dictionaries(_SECTIONS, json_like)),
    st.one_of(json_like, st.dictionaries(st.sampled_from(list(FILES)), json_like)),
    json_like,
    json_like,
)
def test_whole_inputs_of_any_shape_never_raise(variables, files, origins, sysctl):
    lint._STRICT = True
    try:
        assert isinstance(lint.paths_to_read(variables, files), list)
        assert_well_formed(lint.lint_keepalived(variables, files, origins, sysctl))
        assert_well_formed(lint.lint_haproxy(variables, origins))
        assert_well_formed(lint.lint_pair({"lb1": variables, "lb2": variables}, origins))
        assert_well_formed(lint.lint_pair({"lb1": variables, "lb2": KA_GOOD}, origins))
    finally:
        lint._STRICT = False


@SETTINGS
@given(st.text(max_size=300), st.sampled_from(["", "#!/bin/sh\n", "systemctl restart x; "]))
def test_any_script_text_is_scanned_without_raising(text, prefix):
    lint._STRICT = True
    try:
        files = copy.deepcopy(FILES)
        files[CHECK]["content"] = prefix + text
        data = ka()
        data["scripts"][0]["script"] = "/bin/sh -c " + text[:200]
        assert_well_formed(ka_findings(data, files=files))
    finally:
        lint._STRICT = False
