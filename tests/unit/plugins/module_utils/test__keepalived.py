"""Rendering (golden files) and every per-host check of _keepalived."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.halb.cluster.plugins.module_utils import _keepalived as k
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_cluster import cluster_errors

from .cases import FACTS, base, pair
from .edit import DELETE, set_at

GOLDEN = pathlib.Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.yml")))
def test_render_matches_golden_file(name):
    data = yaml.safe_load((GOLDEN / f"{name}.yml").read_text())
    text = k.render(data)
    expected = GOLDEN / f"{name}.conf"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text)
    assert text == expected.read_text()


def test_render_is_deterministic_and_idempotent_through_normalize():
    data = base()
    once = k.normalize(data)
    assert k.normalize(once) == once
    assert k.render(data) == k.render(once, normalized=True)


def test_render_does_not_change_its_input():
    data = base()
    k.render(data)
    assert data == base()


def test_normalize_accepts_strings_for_numbers_and_booleans():
    data = base()
    data["instances"][0]["virtual_router_id"] = "51"
    data["global_defs"]["enable_script_security"] = "yes"
    config = k.normalize(data)
    assert config["instances"][0]["virtual_router_id"] == 51
    assert config["global_defs"]["enable_script_security"] is True


def test_redact_hides_every_password():
    data = base()
    text = k.render(data)
    assert "s3cr3tXY" in text
    hidden = k.redact(text)
    assert "s3cr3tXY" not in hidden
    assert "auth_pass ********" in hidden


def test_secrets_lists_passwords():
    assert k.secrets(base()) == ["s3cr3tXY"]
    assert k.secrets({}) == []


def test_script_paths_and_users():
    data = base()
    data["instances"][0]["notify_master"] = {"script": "/usr/local/bin/n master", "user": "nobody"}
    config = k.normalize(data)
    assert ("keepalived_scripts[chk_haproxy].script", "/usr/bin/systemctl") in k.script_paths(
        config
    )
    assert ("keepalived_instances[VI_1].notify_master", "/usr/local/bin/n") in k.script_paths(
        config
    )
    assert ("keepalived_instances[VI_1].notify_master.user", "nobody") in k.users(config)


# ---------------------------------------------------------------------------
# Bad input: each case changes one thing and expects the variable to be named.
# ---------------------------------------------------------------------------


I0 = ("instances", 0)


def with_second_instance(data, **keys):
    """Adds VI_2 (VI_1's settings on VRID 52 with its own VIP), and returns
    data: keepalived refuses a sync group of one instance."""
    second = dict(
        data["instances"][0],
        name="VI_2",
        virtual_router_id=52,
        virtual_ipaddresses=[{"address": "192.0.2.20", "prefix": 24}],
    )
    second.update(keys)
    data["instances"].append(second)
    return data


def synced(*members, name="G1"):
    """A change adding VI_2 and a sync group of ``members`` (VI_1 and VI_2 by default)."""
    return lambda d: (
        with_second_instance(d),
        d.update(sync_groups=[{"name": name, "group": list(members or ("VI_1", "VI_2"))}]),
    )


BAD = {
    "unknown key (typo)": (
        set_at((*I0, "virtual_router_idd"), 5),
        "keepalived_instances[VI_1]: unknown key 'virtual_router_idd'; did you mean 'virtual_router_id'?",
    ),
    "unknown section": (
        set_at(("instance",), []),
        "unknown section 'instance'; did you mean 'instances'?",
    ),
    "unknown global key": (
        set_at(("global_defs", "router_idd"), "x"),
        "keepalived_global_defs: unknown key 'router_idd'",
    ),
    "vrid 0": (
        set_at((*I0, "virtual_router_id"), 0),
        "keepalived_instances[VI_1].virtual_router_id: 0 is out of range 1-255",
    ),
    "vrid 256": (
        set_at((*I0, "virtual_router_id"), 256),
        "virtual_router_id: 256 is out of range 1-255",
    ),
    "vrid not a number": (
        set_at((*I0, "virtual_router_id"), "fifty"),
        "virtual_router_id: 'fifty' is not a whole number",
    ),
    "vrid missing": (
        set_at((*I0, "virtual_router_id"), DELETE),
        "keepalived_instances[VI_1].virtual_router_id: required",
    ),
    "priority 0": (
        set_at((*I0, "priority"), 0),
        "keepalived_instances[VI_1].priority: 0 is out of range 1-255",
    ),
    "priority 256": (set_at((*I0, "priority"), 256), "priority: 256 is out of range 1-255"),
    "state": (
        set_at((*I0, "state"), "PRIMARY"),
        "state: 'PRIMARY' is not allowed (allowed: MASTER, BACKUP)",
    ),
    "password 9 chars": (
        set_at((*I0, "authentication", "password"), "123456789"),
        "keepalived_instances[VI_1].authentication.password: is 9 characters long",
    ),
    "password missing": (
        set_at((*I0, "authentication", "password"), DELETE),
        "authentication.password: required",
    ),
    "auth type": (
        set_at((*I0, "authentication", "type"), "MD5"),
        "authentication.type: 'MD5' is not allowed (allowed: PASS, AH)",
    ),
    "auth with vrrpv3": (
        set_at((*I0, "version"), 3),
        "keepalived_instances[VI_1].authentication: VRRP version 3 has no authentication",
    ),
    "auth with vrrp_strict": (
        set_at(("global_defs", "vrrp_strict"), True),
        "authentication: vrrp_strict (keepalived_global_defs.vrrp_strict) forbids authentication",
    ),
    "vip not an address": (
        set_at((*I0, "virtual_ipaddresses"), [{"address": "192.0.2.300"}]),
        "keepalived_instances[VI_1].virtual_ipaddresses[0].address: '192.0.2.300' is not an IPv4 or IPv6 address",
    ),
    "vip in daemon grammar": (
        set_at((*I0, "virtual_ipaddresses"), ["192.0.2.10/24 dev eth1"]),
        "virtual_ipaddresses[0].address: '192.0.2.10/24 dev eth1' is not an IPv4 or IPv6 address",
    ),
    "vip prefix out of range": (
        set_at((*I0, "virtual_ipaddresses"), [{"address": "192.0.2.10", "prefix": 33}]),
        "virtual_ipaddresses[0].prefix: 33 is out of range 0-32",
    ),
    "vip prefix contradiction": (
        set_at((*I0, "virtual_ipaddresses"), [{"address": "192.0.2.10/24", "prefix": 25}]),
        "virtual_ipaddresses[0].prefix: 25 contradicts the /24",
    ),
    "vip duplicate": (
        set_at((*I0, "virtual_ipaddresses"), ["192.0.2.10", "192.0.2.10/32"]),
        "virtual_ipaddresses[1].address: 192.0.2.10 is listed twice",
    ),
    "no vip": (
        set_at((*I0, "virtual_ipaddresses"), []),
        "virtual_ipaddresses: required: at least one virtual IP address",
    ),
    "vip bad scope": (
        set_at((*I0, "virtual_ipaddresses"), [{"address": "192.0.2.10", "scope": "world"}]),
        "virtual_ipaddresses[0].scope: 'world' is not allowed (allowed: global, site, link, host, nowhere)",
    ),
    "vip bad label": (
        set_at((*I0, "virtual_ipaddresses"), [{"address": "192.0.2.10", "label": "vip1"}]),
        "virtual_ipaddresses[0].label: 'vip1' must start with the interface name and a colon",
    ),
    "mixed families": (
        set_at((*I0, "virtual_ipaddresses"), ["192.0.2.10", "2001:db8::1"]),
        "virtual_ipaddresses: mixes IPv4 and IPv6",
    ),
    "ipv6 with vrrpv2": (
        lambda d: d["instances"][0].update(version=2, virtual_ipaddresses=["2001:db8::1"]),
        "keepalived_instances[VI_1].version: IPv6 virtual addresses need VRRP version 3",
    ),
    "two interfaces on one line": (
        set_at((*I0, "interface"), "eth0 eth1"),
        "keepalived_instances[VI_1].interface: 'eth0 eth1' names more than one interface",
    ),
    "interface too long": (
        set_at((*I0, "interface"), "averyveryverylongname0"),
        "interface: 'averyveryverylongname0' is not a valid interface name",
    ),
    "fractional advert with v2": (
        set_at((*I0, "advert_int"), 0.5),
        "advert_int: 0.5 is fractional; VRRP version 2",
    ),
    "advert_int zero": (set_at((*I0, "advert_int"), 0), "advert_int: 0 is out of range 0.01-255"),
    "nopreempt with MASTER": (
        set_at((*I0, "nopreempt"), True),
        "keepalived_instances[VI_1].nopreempt: keepalived honours nopreempt only with state BACKUP",
    ),
    "preempt_delay with MASTER": (
        set_at((*I0, "preempt_delay"), 5),
        "keepalived_instances[VI_1].preempt_delay: keepalived ignores it with state MASTER",
    ),
    "track own interface": (
        set_at((*I0, "track_interfaces"), ["eth0"]),
        "keepalived_instances[VI_1].track_interfaces[0].name: eth0 is the instance's own interface",
    ),
    "weighted script in a sync group": (
        synced(),
        "keepalived_instances[VI_1].track_scripts[0]: 'chk_haproxy' has weight -30, but VI_1 is in sync group 'G1'",
    ),
    "strict ipv6 without link-local first": (
        lambda d: d.update(
            global_defs={"vrrp_strict": True},
            instances=[
                {
                    "name": "VI_6",
                    "interface": "eth0",
                    "virtual_router_id": 6,
                    "priority": 100,
                    "state": "BACKUP",
                    "virtual_ipaddresses": ["2001:db8::1"],
                }
            ],
        ),
        "keepalived_instances[VI_6].virtual_ipaddresses[0].address: with vrrp_strict the first IPv6",
    ),
    "preempt_delay out of range": (
        set_at((*I0, "preempt_delay"), 5000),
        "preempt_delay: 5000 is out of range 0-1000",
    ),
    "unknown tracked script": (
        set_at((*I0, "track_scripts"), ["chk_nginx"]),
        "keepalived_instances[VI_1].track_scripts[0]: 'chk_nginx' is not a script of keepalived_scripts (chk_haproxy)",
    ),
    "track weight out of range": (
        set_at((*I0, "track_scripts"), [{"name": "chk_haproxy", "weight": -300}]),
        "track_scripts[0].weight: -300 is out of range -253-253",
    ),
    "script weight out of range": (
        set_at(("scripts", 0, "weight"), 254),
        "keepalived_scripts[chk_haproxy].weight: 254 is out of range",
    ),
    "script relative path": (
        set_at(("scripts", 0, "script"), "killall -0 haproxy"),
        "keepalived_scripts[chk_haproxy].script: 'killall' is not an absolute path",
    ),
    "script with quote": (
        set_at(("scripts", 0, "script"), '/bin/sh -c "x"'),
        "keepalived_scripts[chk_haproxy].script: a command may not contain double quotes",
    ),
    "script interval zero": (
        set_at(("scripts", 0, "interval"), 0),
        "keepalived_scripts[chk_haproxy].interval: 0 is out of range 1-3600 seconds",
    ),
    "script fall zero": (
        set_at(("scripts", 0, "fall"), 0),
        "keepalived_scripts[chk_haproxy].fall: 0 is out of range 1-255",
    ),
    "script missing": (
        set_at(("scripts", 0, "script"), DELETE),
        "keepalived_scripts[chk_haproxy].script: required",
    ),
    "duplicate script": (
        lambda d: d["scripts"].append(dict(d["scripts"][0])),
        "keepalived_scripts[chk_haproxy].name: 'chk_haproxy' is defined twice",
    ),
    "duplicate instance": (
        lambda d: d["instances"].append(dict(d["instances"][0], virtual_router_id=52)),
        "keepalived_instances[VI_1].name: 'VI_1' is defined twice",
    ),
    "same vrid same interface": (
        lambda d: d["instances"].append(
            dict(d["instances"][0], name="VI_2", virtual_ipaddresses=["192.0.2.99"])
        ),
        "keepalived_instances[VI_2].virtual_router_id: 51 is already used by instance 'VI_1' on interface eth0",
    ),
    "unicast src in peers": (
        lambda d: d["instances"][0].update(
            unicast_src_ip="192.0.2.11", unicast_peers=["192.0.2.11", "192.0.2.12"]
        ),
        "unicast_peers[0]: 192.0.2.11 is this node's own unicast_src_ip",
    ),
    "unicast peer not an address": (
        lambda d: d["instances"][0].update(unicast_src_ip="192.0.2.11", unicast_peers=["lb2"]),
        "keepalived_instances[VI_1].unicast_peers[0]: 'lb2' is not an IPv4 or IPv6 address",
    ),
    "unicast src without peers": (
        lambda d: d["instances"][0].update(unicast_src_ip="192.0.2.11"),
        "keepalived_instances[VI_1].unicast_peers: required with unicast_src_ip",
    ),
    "bad router_id": (
        set_at(("global_defs", "router_id"), "lb 1"),
        "keepalived_global_defs.router_id: 'lb 1' contains white space",
    ),
    "bad boolean": (
        set_at(("global_defs", "vrrp_strict"), "maybe"),
        "keepalived_global_defs.vrrp_strict: 'maybe' is not a boolean",
    ),
    "max_auto_priority": (
        set_at(("global_defs", "max_auto_priority"), 100),
        "keepalived_global_defs.max_auto_priority: 100 is out of range 1-99",
    ),
    "sync group unknown member": (
        set_at(("sync_groups",), [{"name": "G1", "group": ["VI_1", "VI_9"]}]),
        "keepalived_sync_groups[G1].group[1]: 'VI_9' is not an instance of keepalived_instances (VI_1)",
    ),
    "notify relative path": (
        set_at((*I0, "notify_master"), "notify.sh master"),
        "keepalived_instances[VI_1].notify_master: 'notify.sh' is not an absolute path",
    ),
    "instances not a list": (
        set_at(("instances",), {"name": "VI_1"}),
        "keepalived_instances: expected a list, got dict",
    ),
    "no instances": (
        set_at(("instances",), []),
        "keepalived_instances: is empty; define at least one VRRP instance",
    ),
}


TF = {"name": "haproxy_down", "file": "/run/halb/haproxy-down"}


def track_file(**changes):
    """Define the track file haproxy_down (with ``changes``) and track it in VI_1."""

    def change(data):
        data["track_files"] = [dict(TF, **changes)]
        data["instances"][0]["track_files"] = ["haproxy_down"]

    return change


BAD.update(
    {
        "track file unknown key": (
            track_file(wieght=0),
            "keepalived_track_files[haproxy_down]: unknown key 'wieght'; did you mean 'weight'? "
            "(allowed: file, init_file, name, weight)",
        ),
        "track file without file": (
            lambda d: d.update(track_files=[{"name": "haproxy_down"}]),
            "keepalived_track_files[haproxy_down].file: required (the absolute path",
        ),
        "track file without name": (
            lambda d: d.update(track_files=[{"file": "/run/x"}]),
            "keepalived_track_files[0].name: required",
        ),
        "track file relative path": (
            track_file(file="run/halb/haproxy-down"),
            "keepalived_track_files[haproxy_down].file: 'run/halb/haproxy-down' is not an "
            "absolute path (it must start with /)",
        ),
        "track file path is a directory": (
            track_file(file="/run/halb/"),
            "keepalived_track_files[haproxy_down].file: '/run/halb/' names a directory",
        ),
        "track file path with a space": (
            track_file(file="/run/my file"),
            "keepalived_track_files[haproxy_down].file: '/run/my file' contains white space",
        ),
        "track file path with a quote": (
            track_file(file='/run/a"b'),
            "keepalived_track_files[haproxy_down].file: '/run/a\"b' contains white space or one of",
        ),
        "track file path not a string": (
            track_file(file=5),
            "keepalived_track_files[haproxy_down].file: 5 is not a non-empty path",
        ),
        "track file bad name": (
            lambda d: d.update(track_files=[dict(TF, name="haproxy down")]),
            "keepalived_track_files[0].name: 'haproxy down' contains white space",
        ),
        "track file defined twice": (
            lambda d: d.update(track_files=[TF, dict(TF, file="/run/other")]),
            "keepalived_track_files[haproxy_down].name: 'haproxy_down' is defined twice",
        ),
        "two track files on one file": (
            lambda d: d.update(track_files=[TF, dict(TF, name="other")]),
            "keepalived_track_files[other].file: /run/halb/haproxy-down is already the file of "
            "'haproxy_down'",
        ),
        "track file weight too high": (
            track_file(weight=255),
            "keepalived_track_files[haproxy_down].weight: 255 is out of range -254-254",
        ),
        "track file weight too low": (
            track_file(weight=-255),
            "keepalived_track_files[haproxy_down].weight: -255 is out of range -254-254",
        ),
        "track file weight not a number": (
            track_file(weight="heavy"),
            "keepalived_track_files[haproxy_down].weight: 'heavy' is not a whole number "
            "(allowed: -254-254)",
        ),
        "track file init_file out of range": (
            track_file(init_file=300),
            "keepalived_track_files[haproxy_down].init_file: 300 is out of range -254-254 "
            "(the number written into the file when keepalived starts)",
        ),
        "track file init_file not a number": (
            track_file(init_file="down"),
            "keepalived_track_files[haproxy_down].init_file: 'down' is not a whole number",
        ),
        "track file init_file unknown key": (
            track_file(init_file={"value": 1, "overwite": True}),
            "keepalived_track_files[haproxy_down].init_file: unknown key 'overwite'; did you "
            "mean 'overwrite'? (allowed: overwrite, value)",
        ),
        "track file init_file overwrite not a boolean": (
            track_file(init_file={"value": 1, "overwrite": "always"}),
            "keepalived_track_files[haproxy_down].init_file.overwrite: 'always' is not a boolean",
        ),
        "track file init_file value out of range": (
            track_file(init_file={"value": -300}),
            "keepalived_track_files[haproxy_down].init_file.value: -300 is out of range -254-254",
        ),
        "track_files not a list": (
            set_at(("track_files",), TF),
            "keepalived_track_files: expected a list, got dict",
        ),
        "unknown tracked file": (
            set_at((*I0, "track_files"), ["haproxy_dwn"]),
            "keepalived_instances[VI_1].track_files[0]: 'haproxy_dwn' is not a track file of "
            "keepalived_track_files (none defined)",
        ),
        "unknown tracked file among defined ones": (
            lambda d: (track_file()(d), d["instances"][0].update(track_files=["nope"])),
            "keepalived_instances[VI_1].track_files[0]: 'nope' is not a track file of "
            "keepalived_track_files (haproxy_down)",
        ),
        "tracked file listed twice": (
            lambda d: (
                track_file()(d),
                d["instances"][0].update(track_files=["haproxy_down", "haproxy_down"]),
            ),
            "keepalived_instances[VI_1].track_files[1].name: 'haproxy_down' is listed twice",
        ),
        "tracked file weight out of range": (
            lambda d: (
                track_file()(d),
                d["instances"][0].update(track_files=[{"name": "haproxy_down", "weight": 300}]),
            ),
            "keepalived_instances[VI_1].track_files[0].weight: 300 is out of range -254-254",
        ),
        "tracked file unknown key": (
            lambda d: (
                track_file()(d),
                d["instances"][0].update(track_files=[{"name": "haproxy_down", "reverse": True}]),
            ),
            "keepalived_instances[VI_1].track_files[0]: unknown key 'reverse'",
        ),
        "tracked file not a name": (
            set_at((*I0, "track_files"), [5]),
            "keepalived_instances[VI_1].track_files[0]: expected a track file name or a mapping "
            "with name and weight",
        ),
        "weighted track file in a sync group": (
            lambda d: (
                track_file(weight=-60)(d),
                d["instances"][0].update(track_scripts=[]),
                synced()(d),
            ),
            "keepalived_instances[VI_1].track_files[0]: 'haproxy_down' has weight -60, but VI_1 "
            "is in sync group 'G1', where keepalived ignores weighted checks; use weight 0",
        ),
        "garp master refresh negative": (
            set_at(("global_defs", "vrrp_garp_master_refresh"), -1),
            "keepalived_global_defs.vrrp_garp_master_refresh: -1 is out of range 0-86400 "
            "seconds (0 = off)",
        ),
        "garp master refresh fractional": (
            set_at(("global_defs", "vrrp_garp_master_refresh"), 1.5),
            "keepalived_global_defs.vrrp_garp_master_refresh: 1.5 is not a whole number "
            "(allowed: 0-86400 seconds (0 = off))",
        ),
        "garp master refresh too long": (
            set_at(("global_defs", "vrrp_garp_master_refresh"), 86401),
            "keepalived_global_defs.vrrp_garp_master_refresh: 86401 is out of range 0-86400",
        ),
        "garp master refresh repeat zero": (
            set_at(("global_defs", "vrrp_garp_master_refresh_repeat"), 0),
            "keepalived_global_defs.vrrp_garp_master_refresh_repeat: 0 is out of range 1-255 "
            "messages per refresh",
        ),
        "garp master refresh repeat not a number": (
            set_at(("global_defs", "vrrp_garp_master_refresh_repeat"), "two"),
            "keepalived_global_defs.vrrp_garp_master_refresh_repeat: 'two' is not a whole number",
        ),
        "garp lower prio repeat too high": (
            set_at(("global_defs", "vrrp_garp_lower_prio_repeat"), 256),
            "keepalived_global_defs.vrrp_garp_lower_prio_repeat: 256 is out of range 0-255 "
            "messages per lower-priority advert",
        ),
        "garp lower prio repeat negative": (
            set_at(("global_defs", "vrrp_garp_lower_prio_repeat"), -1),
            "keepalived_global_defs.vrrp_garp_lower_prio_repeat: -1 is out of range 0-255",
        ),
        "garp unknown key": (
            set_at(("global_defs", "vrrp_garp_master_refresh_repeats"), 2),
            "keepalived_global_defs: unknown key 'vrrp_garp_master_refresh_repeats'; did you mean "
            "'vrrp_garp_master_refresh_repeat'?",
        ),
    }
)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_the_variable(case):
    change, expected = BAD[case]
    data = base()
    change(data)
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(data)
    assert any(expected in message for message in info.value.errors), info.value.errors


def test_track_file_weight_defaults_to_zero_and_is_always_written():
    # keepalived's own default weight for a track_file is 1; the model's is 0
    # (FAULT, like vrrp_script), so the rendered block must say so.
    data = base()
    track_file()(data)
    config = k.normalize(data)
    assert config["track_files"] == [dict(TF, weight=0)]
    assert k.effective_weight(config, {"name": "haproxy_down"}, "track_files") == 0
    assert k.effective_weight(config, {"name": "haproxy_down", "weight": -7}, "track_files") == -7
    text = k.render(config, normalized=True)
    assert 'track_file haproxy_down {\n    file "/run/halb/haproxy-down"\n    weight 0\n}' in text
    assert "    track_file {\n        haproxy_down\n    }" in text


def test_track_file_init_file_forms():
    data = base()
    for raw, line in (
        (1, "    init_file 1\n"),
        ("-3", "    init_file -3\n"),
        ({"value": 1}, "    init_file 1\n"),
        ({"overwrite": True}, "    init_file 0 overwrite\n"),
        ({"value": 1, "overwrite": "yes"}, "    init_file 1 overwrite\n"),
    ):
        track_file(init_file=raw)(data)
        assert line in k.render(data), raw


def test_garp_settings_are_rendered_in_global_defs():
    data = base()
    data["global_defs"].update(
        vrrp_garp_master_refresh="60",
        vrrp_garp_master_refresh_repeat=2,
        vrrp_garp_lower_prio_repeat=0,
    )
    text = k.render(data)
    for line in (
        "    vrrp_garp_master_refresh 60\n",
        "    vrrp_garp_master_refresh_repeat 2\n",
        "    vrrp_garp_lower_prio_repeat 0\n",
    ):
        assert line in text.split("}", maxsplit=1)[0]


def test_every_problem_is_reported_at_once():
    data = base()
    data["instances"][0].update(virtual_router_id=0, priority=300, state="x")
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(data)
    assert len(info.value.errors) == 3


def test_bad_input_messages_never_show_the_password():
    data = base()
    data["instances"][0]["authentication"]["password"] = "toolongsecret"
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(data)
    assert "toolongsecret" not in str(info.value)


# ---------------------------------------------------------------------------
# Inventory-derived defaults
# ---------------------------------------------------------------------------


def test_first_member_is_master_with_highest_priority():
    lb1 = k.derive_host_config(pair(), "lb1", ["lb1", "lb2"], FACTS)
    lb2 = k.derive_host_config(pair(), "lb2", ["lb1", "lb2"], FACTS)
    assert (lb1["instances"][0]["state"], lb1["instances"][0]["priority"]) == ("MASTER", 150)
    assert (lb2["instances"][0]["state"], lb2["instances"][0]["priority"]) == ("BACKUP", 140)


def test_explicit_values_win_over_derived_ones():
    data = pair()
    data["instances"][0]["priority"] = 77
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], priority=99, state="BACKUP")
    assert lb1["instances"][0]["priority"] == 77
    assert lb1["instances"][0]["state"] == "BACKUP"


def test_host_overrides_apply_to_instances_without_values():
    lb2 = k.derive_host_config(pair(), "lb2", ["lb1", "lb2"], priority=120, state="MASTER")
    assert (lb2["instances"][0]["priority"], lb2["instances"][0]["state"]) == (120, "MASTER")


def test_nopreempt_makes_every_member_backup():
    data = pair()
    data["instances"][0]["nopreempt"] = True
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"])
    assert lb1["instances"][0]["state"] == "BACKUP"


def test_unicast_peers_come_from_the_other_members_facts():
    lb1 = k.derive_host_config(pair(), "lb1", ["lb1", "lb2"], FACTS, unicast=True)
    inst = lb1["instances"][0]
    assert inst["unicast_src_ip"] == "192.0.2.11"
    assert inst["unicast_peers"] == ["192.0.2.12"]


def test_unicast_per_instance_switch():
    data = pair()
    data["instances"][0]["unicast"] = True
    lb2 = k.derive_host_config(data, "lb2", ["lb1", "lb2"], FACTS)
    assert lb2["instances"][0]["unicast_peers"] == ["192.0.2.11"]


def test_unicast_without_facts_names_the_variable():
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(pair(), "lb1", ["lb1", "lb2"], {"lb1": FACTS["lb1"]}, unicast=True)
    assert "keepalived_instances[VI_1].unicast_peers: no IPv4 address of lb2 on eth0" in str(
        info.value
    )


def test_host_outside_the_group_is_refused():
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(pair(), "lb3", ["lb1", "lb2"])
    assert "keepalived_cluster_group: host 'lb3' is not a member" in str(info.value)


def test_priority_step_that_runs_below_one_is_refused():
    members = ["lb1", "lb2", "lb3"]
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(pair(), "lb3", members, priority_base=100, priority_step=60)
    assert "keepalived_priority_step: 60 gives lb3 priority -20" in str(info.value)


def test_host_addresses_reads_ansible_facts():
    assert k.host_addresses(FACTS["lb1"], "eth0") == ["192.0.2.11", "fe80::1"]
    assert "198.51.100.11" in k.host_addresses(FACTS["lb1"])
    assert k.host_addresses(None) == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"priority": 0}, "keepalived_priority: 0 is out of range 1-255"),
        ({"priority": "high"}, "keepalived_priority: 'high' is not a whole number"),
        (
            {"state": "PRIMARY"},
            "keepalived_state: 'PRIMARY' is not allowed (allowed: MASTER, BACKUP)",
        ),
        ({"unicast": "sometimes"}, "keepalived_unicast: 'sometimes' is not a boolean"),
        ({"priority_base": 300}, "keepalived_priority_base: 300 is out of range 1-255"),
        ({"priority_step": -1}, "keepalived_priority_step: -1 is out of range 0-254"),
    ],
)
def test_bad_host_overrides_name_their_variable(options, expected):
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(pair(), "lb1", ["lb1", "lb2"], **options)
    assert any(expected in e for e in info.value.errors), info.value.errors


# ---------------------------------------------------------------------------
# Tracking HAProxy (the `track` option: what the haproxy role exports)
# ---------------------------------------------------------------------------

TRACK = {
    "scripts": [
        {
            "name": "chk_haproxy",
            "script": "/usr/bin/systemctl is-active --quiet haproxy.service",
            "interval": 2,
            "fall": 2,
            "rise": 2,
            "weight": -60,
        }
    ],
    "track_files": [{"name": "haproxy_down", "file": "/run/halb/haproxy-down", "init_file": 1}],
}


def _tracked(config):
    inst = config["instances"][0]
    return (
        [t["name"] for t in inst.get("track_scripts", [])],
        [t["name"] for t in inst.get("track_files", [])],
    )


def test_track_adds_the_checks_and_makes_every_instance_track_them():
    data = pair()
    data.pop("scripts", None)
    data["instances"][0].pop("track_scripts", None)
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, track=TRACK)
    assert _tracked(lb1) == (["chk_haproxy"], ["haproxy_down"])
    assert [s["name"] for s in lb1["scripts"]] == ["chk_haproxy"]
    (down,) = lb1["track_files"]
    assert (down["name"], down["file"]) == ("haproxy_down", "/run/halb/haproxy-down")
    text = k.render(lb1)
    assert "track_file haproxy_down {" in text
    assert "chk_haproxy" in text.split("vrrp_instance")[1]


def test_track_keeps_what_the_inventory_says():
    data = pair()
    data["scripts"] = [
        {"name": "chk_haproxy", "script": "/usr/bin/pgrep haproxy", "interval": 5, "weight": -70}
    ]
    data["instances"][0]["track_scripts"] = [{"name": "chk_haproxy", "weight": -80}]
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, track=TRACK)
    (script,) = [s for s in lb1["scripts"] if s["name"] == "chk_haproxy"]
    assert script["script"] == "/usr/bin/pgrep haproxy" and script["interval"] == 5
    refs = [t for t in lb1["instances"][0]["track_scripts"] if t["name"] == "chk_haproxy"]
    assert refs == [{"name": "chk_haproxy", "weight": -80}]


def test_track_in_a_sync_group_uses_weight_zero():
    data = pair()
    data.pop("scripts", None)
    data["instances"][0].pop("track_scripts", None)
    with_second_instance(data)
    data["sync_groups"] = [{"name": "VG", "group": ["VI_1", "VI_2"]}]
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, track=TRACK)
    for inst in lb1["instances"]:
        assert {"name": "chk_haproxy", "weight": 0} in inst["track_scripts"]


_BACKENDS = {
    "name": "chk_haproxy_backends",
    "script": "/usr/local/libexec/halb/halb-backends /usr/local/libexec/halb/halb-backends.json",
    "interval": 1,
    "fall": 1,
    "rise": 1,
    "weight": -60,
}


def test_a_weighted_only_check_lowers_the_priority_and_stays_out_of_sync_groups():
    """HAProxy's backends as a priority change (both nodes lowered alike when
    both lose their servers); in a sync group, where weights are ignored,
    FAULT would leave the VIP nowhere, so the check is left out there."""
    track = {**TRACK, "scripts": [*TRACK["scripts"], _BACKENDS]}
    track["weighted_only"] = ["chk_haproxy_backends"]
    data = pair()
    data.pop("scripts", None)
    data["instances"][0].pop("track_scripts", None)
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, track=track)
    assert _tracked(lb1)[0] == ["chk_haproxy", "chk_haproxy_backends"]
    text = k.render(lb1)
    assert "vrrp_script chk_haproxy_backends {" in text and "    weight -60\n" in text
    with_second_instance(data)
    data["sync_groups"] = [{"name": "VG", "group": ["VI_1", "VI_2"]}]
    in_group = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, track=track)
    for inst in in_group["instances"]:
        assert inst["track_scripts"] == [{"name": "chk_haproxy", "weight": 0}]


def test_no_track_changes_nothing():
    data = pair()
    assert k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, track=None) == (
        k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS)
    )


# ---------------------------------------------------------------------------
# Fail-over profiles (keepalived_profile)
# ---------------------------------------------------------------------------


def _without_timing(data):
    for inst in data["instances"]:
        inst.pop("advert_int", None)
        inst.pop("authentication", None)
    return data


def test_default_profile_leaves_version_and_advert_to_keepalived():
    lb1 = k.derive_host_config(_without_timing(pair()), "lb1", ["lb1", "lb2"])
    text = k.render(lb1)
    assert "version" not in lb1["instances"][0] or lb1["instances"][0]["version"] is None
    assert "advert_int" not in text and "    version" not in text


def test_fast_profile_is_vrrp3_with_a_tenth_of_a_second_advert():
    lb2 = k.derive_host_config(_without_timing(pair()), "lb2", ["lb1", "lb2"], profile="fast")
    inst = lb2["instances"][0]
    assert (inst["version"], inst["advert_int"]) == (3, 0.1)
    text = k.render(lb2)
    assert "    version 3\n" in text
    assert "    advert_int 0.1\n" in text


def test_fast_profile_leaves_an_instance_with_its_own_timing_alone():
    data = pair()  # advert_int 1 and PASS authentication: VRRPv2, as written
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], profile="fast")
    inst = lb1["instances"][0]
    assert inst["advert_int"] == 1
    assert inst.get("version") in (None, 2)


def test_fast_profile_refuses_authentication_naming_the_instance():
    data = pair()
    data["instances"][0].pop("advert_int")
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(data, "lb1", ["lb1", "lb2"], profile="fast")
    text = str(info.value)
    assert (
        "keepalived_instances[VI_1].authentication: keepalived_profile fast runs VRRP version 3"
        in (text)
    )
    assert "s3cr3tXY" not in text


def test_unknown_profile_names_the_variable_and_the_choices():
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(pair(), "lb1", ["lb1", "lb2"], profile="turbo")
    assert "keepalived_profile: 'turbo' is not allowed (allowed: default, fast)" in str(info.value)


# ---------------------------------------------------------------------------
# extra: statements the model has no key for (issue 19, config_import)
# ---------------------------------------------------------------------------


def _with_extra():
    data = base()
    data["global_defs"]["extra"] = ["vrrp_version 2", "notification_email_from root@example.com"]
    data["scripts"][0]["extra"] = ["init_fail"]
    data["instances"][0]["extra"] = ["garp_master_delay 5", "dont_track_primary"]
    data["instances"][0]["track_scripts"] = [{"name": "chk_haproxy", "weight": 0}]
    with_second_instance(data, extra=None)
    data["sync_groups"] = [{"name": "G", "group": ["VI_1", "VI_2"], "extra": ["smtp_alert"]}]
    return data


def _block_of(text, title):
    lines = text.split("\n")
    start = lines.index(f"{title} {{")
    return lines[start : lines.index("}", start) + 1]


def test_extra_lines_are_written_at_the_end_of_their_block_in_order():
    text = k.render(_with_extra())
    block = _block_of(text, "global_defs")
    assert block[-3:] == [
        "    vrrp_version 2",
        "    notification_email_from root@example.com",
        "}",
    ]
    assert _block_of(text, "vrrp_script chk_haproxy")[-2:] == ["    init_fail", "}"]
    assert _block_of(text, "vrrp_instance VI_1")[-3:] == [
        "    garp_master_delay 5",
        "    dont_track_primary",
        "}",
    ]
    assert _block_of(text, "vrrp_sync_group G")[-2:] == ["    smtp_alert", "}"]


def test_extra_survives_normalize_and_empty_extra_is_left_out():
    config = k.normalize(_with_extra())
    assert config["instances"][0]["extra"] == ["garp_master_delay 5", "dont_track_primary"]
    assert k.normalize(config) == config
    data = base()
    data["instances"][0]["extra"] = []
    data["global_defs"]["extra"] = []
    config = k.normalize(data)
    assert "extra" not in config["instances"][0]
    assert "extra" not in config["global_defs"]


def test_a_quoted_extra_line_is_kept():
    data = base()
    data["instances"][0]["extra"] = ['notify_master_rx_lower_pri "/usr/local/bin/x # y"']
    assert '    notify_master_rx_lower_pri "/usr/local/bin/x # y"' in k.render(data)


@pytest.mark.parametrize(
    ("section", "line", "expected"),
    [
        (
            ("instances", 0),
            "priority 100",
            "keepalived_instances[VI_1].extra[0]: priority has its own key: set "
            "keepalived_instances[VI_1].priority instead",
        ),
        (
            ("instances", 0),
            "virtual_ipaddress",
            "keepalived_instances[VI_1].extra[0]: virtual_ipaddress has its own key: set "
            "keepalived_instances[VI_1].virtual_ipaddresses",
        ),
        (
            ("instances", 0),
            "auth_pass secret12",
            "keepalived_instances[VI_1].extra[0]: auth_pass has its own key: set "
            "keepalived_instances[VI_1].authentication",
        ),
        (
            ("global_defs",),
            "router_id x",
            "keepalived_global_defs.extra[0]: router_id has its own key: set "
            "keepalived_global_defs.router_id",
        ),
        (
            ("scripts", 0),
            "script /bin/true",
            "keepalived_scripts[chk_haproxy].extra[0]: script has its own key",
        ),
        (("instances", 0), "include /etc/x.conf", "keepalived_instances[VI_1].extra[0]: include"),
        (("instances", 0), "virtual_routes {", "keepalived_instances[VI_1].extra[0]: a block"),
        (("instances", 0), "x }", "keepalived_instances[VI_1].extra[0]: a block"),
        (("instances", 0), 'x "y', "keepalived_instances[VI_1].extra[0]: has an unbalanced"),
        (("instances", 0), "x a\\b", "keepalived_instances[VI_1].extra[0]: may not contain a"),
        (("instances", 0), "x # y", "keepalived_instances[VI_1].extra[0]: # or ! outside"),
        (("instances", 0), "x !y", "keepalived_instances[VI_1].extra[0]: # or ! outside"),
        (("instances", 0), "@lb1 priority 5", "keepalived_instances[VI_1].extra[0]: '@lb1' is"),
        (("instances", 0), "$X=1", "keepalived_instances[VI_1].extra[0]: '$X=1' is not"),
        (("instances", 0), "   ", "keepalived_instances[VI_1].extra[0]: is only white space"),
        (("instances", 0), "x\ny", "keepalived_instances[VI_1].extra[0]: line breaks"),
        (("instances", 0), 5, "keepalived_instances[VI_1].extra[0]: 5 is not a non-empty"),
        (("instances", 0), "x " * 600, "keepalived_instances[VI_1].extra[0]: 1199 bytes"),
    ],
)
def test_bad_extra_lines_name_the_variable(section, line, expected):
    data = base()
    target = data
    for step in section:
        target = target[step]
    target["extra"] = [line]
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(data)
    assert any(e.startswith(expected) for e in info.value.errors), info.value.errors


def test_extra_that_is_not_a_list_names_the_variable():
    data = base()
    with_second_instance(data)
    data["sync_groups"] = [{"name": "G", "group": ["VI_1", "VI_2"], "extra": "smtp_alert"}]
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(data)
    assert "keepalived_sync_groups[G].extra: expected a list, got str" in info.value.errors


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "keepalived_global_defs.vrrp_garp_interval: 0 is refused by keepalived"),
        ("0", "keepalived_global_defs.vrrp_garp_interval: 0 is refused by keepalived"),
        (1e-7, "keepalived_global_defs.vrrp_garp_interval: 1e-07 is refused by keepalived"),
        (0.1234567, "keepalived_global_defs.vrrp_garp_interval: 0.1234567 has more than six"),
    ],
)
def test_garp_intervals_keepalived_refuses(value, expected):
    # keepalived 2.2.7: "number '0' outside range [0.000001, 4294.967295]", and
    # "has too many decimal places" beyond microseconds
    data = base()
    data["global_defs"]["vrrp_garp_interval"] = value
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(data)
    assert any(e.startswith(expected) for e in info.value.errors), info.value.errors


def test_fractions_are_written_in_plain_decimal_notation():
    # keepalived reads 0.000001 but not 1e-06; 0.1234 stays 0.1234 (not rounded)
    data = base()
    data["global_defs"].update(vrrp_garp_interval=0.000001, vrrp_gna_interval=0.1234)
    text = k.render(data)
    assert "    vrrp_garp_interval 0.000001\n" in text
    assert "    vrrp_gna_interval 0.1234\n" in text


# ---------------------------------------------------------------------------
# Shapes keepalived itself refuses (--config-test exits 5 on 2.2.7 and 2.3.3):
# the model refuses exactly these, naming the variable, before the binary.
# keepalived/vrrp/vrrp.c (vrrp_complete_instance) and vrrp_sync.c
# (vrrp_sync_set_group).
# ---------------------------------------------------------------------------

_AH = {"type": "AH", "password": "Xk3pQ9zL"}


def _two_instances(interface="eth0"):
    """Two BACKUP instances (priority 100), no authentication, no scripts."""
    return {
        "global_defs": {"router_id": "lb1"},
        "instances": [
            {
                "name": name,
                "interface": interface,
                "virtual_router_id": vrid,
                "priority": 100,
                "state": "BACKUP",
                "virtual_ipaddresses": [{"address": address, "prefix": 24}],
            }
            for name, vrid, address in (("VI_1", 51, "192.0.2.10"), ("VI_2", 52, "192.0.2.20"))
        ],
    }


def _vi1(**keys):
    return lambda d: d["instances"][0].update(keys)


def _strict(d):
    d["global_defs"]["vrrp_strict"] = True


def _ah(d):
    d["instances"][0]["authentication"] = dict(_AH)


def _group(*members):
    return lambda d: d.update(sync_groups=[{"name": "G1", "group": list(members)}])


def _steps(*edits):
    def apply(d):
        for edit in edits:
            edit(d)

    return apply


# id: (common edit, refused edit, accepted edits, model message, keepalived's message)
DAEMON_REFUSED = {
    "sync group of one instance": (
        _steps(),
        _group("VI_1"),
        [_group("VI_1", "VI_2")],
        "keepalived_sync_groups[G1].group: lists one instance (VI_1); keepalived refuses a "
        "sync group of one",
        "Sync group G1 has only 1 virtual router(s)",
    ),
    "vrrp_strict with MASTER below 255": (
        _strict,
        _vi1(state="MASTER", priority=150),
        [_vi1(state="MASTER", priority=255), _vi1(state="BACKUP", priority=150)],
        "keepalived_instances[VI_1].state: MASTER with priority 150: with vrrp_strict "
        "(keepalived_global_defs.vrrp_strict) keepalived starts only the address owner",
        "State MASTER must match being address owner",
    ),
    "vrrp_strict with BACKUP at 255": (
        _strict,
        _vi1(state="BACKUP", priority=255),
        [_vi1(state="BACKUP", priority=254)],
        "keepalived_instances[VI_1].state: BACKUP with priority 255: with vrrp_strict",
        "State MASTER must match being address owner",
    ),
    "AH with MASTER below 255": (
        _ah,
        _vi1(state="MASTER", priority=150),
        [_vi1(state="BACKUP", priority=150), _vi1(state="MASTER", priority=255)],
        "keepalived_instances[VI_1].state: MASTER with AH authentication and priority 150",
        "Initial state master is incompatible with AH authentication",
    ),
    "nopreempt at 255": (
        _vi1(nopreempt=True),
        _vi1(priority=255),
        [_vi1(priority=254)],
        "keepalived_instances[VI_1].nopreempt: priority 255 makes this node the address owner",
        "nopreempt is incompatible with priority 255",
    ),
    "sync group: BACKUP after address owners": (
        _vi1(state="MASTER", priority=255),
        _group("VI_1", "VI_2"),
        # keepalived walks the group in order: an owner after a BACKUP passes.
        [_group("VI_2", "VI_1")],
        "keepalived_sync_groups[G1].group: VI_2 starts as BACKUP after instances that are all "
        "address owners",
        "Sync group G1 has some member(s) as address owner and some not",
    ),
}


@pytest.mark.parametrize("case", sorted(DAEMON_REFUSED))
def test_the_model_refuses_what_keepalived_refuses(case):
    common, refused, accepted, expected, _daemon = DAEMON_REFUSED[case]
    for edit in accepted:
        data = _two_instances()
        common(data)
        edit(data)
        k.normalize(data)
    data = _two_instances()
    common(data)
    refused(data)
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(data)
    assert any(e.startswith(expected) for e in info.value.errors), info.value.errors
    assert len(info.value.errors) == 1, info.value.errors
    assert "Xk3pQ9zL" not in str(info.value)


KEEPALIVED = shutil.which("keepalived")


def _config_test(text, tmp_path):
    path = tmp_path / "keepalived.conf"
    path.write_text(text)
    run = subprocess.run(
        [KEEPALIVED, "--config-test", "-l", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return run.returncode, run.stdout + run.stderr


@pytest.mark.skipif(KEEPALIVED is None, reason="keepalived is not installed")
@pytest.mark.parametrize("case", sorted(DAEMON_REFUSED))
def test_keepalived_refuses_the_same_shapes(case, tmp_path):
    """The rule is keepalived's: its --config-test accepts the accepted
    shapes and refuses the refused one (rendered past the model's checks)."""
    interfaces = sorted(p.name for p in pathlib.Path("/sys/class/net").iterdir() if p.name != "lo")
    if not interfaces:
        pytest.skip("no network interface but lo")
    common, refused, accepted, _expected, daemon = DAEMON_REFUSED[case]
    for edit in accepted:
        data = _two_instances(interfaces[0])
        common(data)
        edit(data)
        rc, output = _config_test(k.render(data), tmp_path)
        # keepalived 2.2.7 may end its config test with SIGTERM; 2.3 exits 0.
        assert rc in (0, -15, 143), output
    config = k.normalize(_two_instances(interfaces[0]))
    common(config)
    refused(config)
    rc, output = _config_test(k.render(config, normalized=True), tmp_path)
    assert rc == 5 and daemon in output, output


def test_derived_configs_with_ah_start_every_node_as_backup():
    # keepalived refuses state MASTER with AH unless priority 255: every node
    # starts as BACKUP, the highest priority becomes master.
    data = pair()
    data["instances"][0]["authentication"] = dict(_AH)
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS)
    lb2 = k.derive_host_config(data, "lb2", ["lb1", "lb2"], FACTS)
    assert [(c["instances"][0]["state"], c["instances"][0]["priority"]) for c in (lb1, lb2)] == [
        ("BACKUP", 150),
        ("BACKUP", 140),
    ]
    assert (
        cluster_errors(
            {"lb1": {"config": lb1, "facts": FACTS["lb1"]}, "lb2": {"config": lb2, "facts": None}}
        )
        == []
    )
    # ... unless the first node is the address owner.
    owner = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, priority_base=255)
    assert owner["instances"][0]["state"] == "MASTER"
    # PASS keeps the first node MASTER.
    data["instances"][0]["authentication"] = {"type": "PASS", "password": "s3cr3tXY"}
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS)
    assert lb1["instances"][0]["state"] == "MASTER"


@pytest.mark.parametrize("strict", [True, "yes"])
def test_derived_configs_with_vrrp_strict_start_as_backup_unless_owner(strict):
    data = pair()
    data["instances"][0].pop("authentication")
    data["global_defs"]["vrrp_strict"] = strict
    lb1 = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS)
    assert lb1["instances"][0]["state"] == "BACKUP"
    owner = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, priority_base="255")
    assert (owner["instances"][0]["state"], owner["instances"][0]["priority"]) == ("MASTER", 255)
    second = k.derive_host_config(data, "lb2", ["lb1", "lb2"], FACTS, priority_base=255)
    assert (second["instances"][0]["state"], second["instances"][0]["priority"]) == ("BACKUP", 245)


def test_an_explicit_master_state_with_ah_is_refused_naming_the_state():
    data = pair()
    data["instances"][0]["authentication"] = dict(_AH)
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, state="MASTER")
    assert any(
        e.startswith("keepalived_instances[VI_1].state: MASTER with AH authentication")
        and "use state: BACKUP on every node" in e
        for e in info.value.errors
    ), info.value.errors
