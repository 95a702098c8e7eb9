"""The controller-side filters call the same code as the module."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.filter.keepalived import FilterModule
from ansible_collections.halb.cluster.plugins.module_utils import _keepalived as k

from ..module_utils.cases import FACTS, base, pair

FILTERS = FilterModule().filters()


def test_to_keepalived_conf_equals_module_rendering():
    assert FILTERS["to_keepalived_conf"](base()) == k.render(base())


def test_to_keepalived_conf_reports_the_variable():
    data = base()
    data["instances"][0]["priority"] = 0
    with pytest.raises(
        AnsibleFilterError, match=r"keepalived_instances\[VI_1\]\.priority: 0 is out of range"
    ):
        FILTERS["to_keepalived_conf"](data)


def test_host_config_returns_errors_instead_of_raising():
    data = pair()
    data["instances"][0]["virtual_router_id"] = 300
    result = FILTERS["keepalived_host_config"](data, "lb1", ["lb1", "lb2"], FACTS)
    assert result["config"] is None
    assert result["errors"] == [
        "lb1: keepalived_instances[VI_1].virtual_router_id: 300 is out of range 1-255"
    ]


def test_host_config_with_empty_overrides():
    result = FILTERS["keepalived_host_config"](
        pair(), "lb2", ["lb1", "lb2"], FACTS, priority="", state=""
    )
    assert result["errors"] == []
    assert result["config"]["instances"][0]["state"] == "BACKUP"


def test_cluster_errors_reads_hostvars_of_the_play_hosts_only():
    hostvars = {}
    for host in ("lb1", "lb2"):
        derived = FILTERS["keepalived_host_config"](pair(), host, ["lb1", "lb2"], FACTS)
        hostvars[host] = {"__keepalived_derived": derived, "ansible_facts": FACTS[host]}
    hostvars["lb2"]["__keepalived_derived"]["config"]["instances"][0]["virtual_router_id"] = 99
    errors = FILTERS["keepalived_cluster_errors"](hostvars, ["lb1", "lb2"], ["lb1", "lb2"])
    assert any("virtual_router_id: differs" in e for e in errors)
    assert FILTERS["keepalived_cluster_errors"](hostvars, ["lb1", "lb2"], ["lb1"]) == []


def test_cluster_errors_when_a_member_is_not_in_the_batch():
    hostvars = {
        host: {
            "__keepalived_derived": FILTERS["keepalived_host_config"](
                pair(), host, ["lb1", "lb2"], FACTS
            ),
            "ansible_facts": FACTS[host],
        }
        for host in ("lb1", "lb2")
    }
    errors = FILTERS["keepalived_cluster_errors"](hostvars, ["lb1", "lb2"], ["lb1", "lb2"], ["lb1"])
    assert errors == [
        "lb2: is in this run but not active in this batch (it failed earlier, or serial splits "
        "the pair); the pair is checked and changed together"
    ]


def test_notify_default_fills_instances_without_a_hook_of_their_own():
    data = pair()
    data["instances"].append(
        {
            "name": "VI_2",
            "interface": "eth1",
            "virtual_router_id": 52,
            "virtual_ipaddresses": [{"address": "198.51.100.10", "prefix": 24}],
            "notify_master": "/usr/local/bin/own-hook",
        }
    )
    hook = {"script": "/usr/local/libexec/halb/halb-notify", "user": "keepalived_script"}
    result = FILTERS["keepalived_host_config"](
        pair(data), "lb1", ["lb1", "lb2"], FACTS, notify=hook
    )
    assert result["errors"] == []
    vi1, vi2 = result["config"]["instances"]
    assert vi1["notify"] == hook
    assert "notify" not in vi2 and vi2["notify_master"] == {"script": "/usr/local/bin/own-hook"}
    text = k.render(result["config"], normalized=True)
    assert 'notify "/usr/local/libexec/halb/halb-notify"' in text


def test_notify_default_none_or_empty_adds_nothing():
    for value in (None, ""):
        result = FILTERS["keepalived_host_config"](
            pair(), "lb1", ["lb1", "lb2"], FACTS, notify=value
        )
        assert "notify" not in result["config"]["instances"][0]


def test_notify_default_is_checked_like_any_hook():
    result = FILTERS["keepalived_host_config"](
        pair(), "lb1", ["lb1", "lb2"], FACTS, notify="relative/path"
    )
    assert result["config"] is None
    assert any("keepalived_instances[VI_1].notify" in e for e in result["errors"])


def test_vrrp_firewall_multicast_pass():
    config = FILTERS["keepalived_host_config"](pair(), "lb1", ["lb1", "lb2"], FACTS)["config"]
    assert FILTERS["keepalived_vrrp_firewall"](config) == [
        {
            "interface": "eth0",
            "family": 4,
            "protocols": ["vrrp"],
            "destination": "224.0.0.18",
            "sources": [],
            "instances": ["VI_1"],
        }
    ]


def test_vrrp_firewall_unicast_ah_and_ipv6():
    data = pair()
    data["instances"][0]["authentication"] = {"type": "AH", "password": "s3cr3tXY"}
    data["instances"].append(
        {
            "name": "VI_6",
            "interface": "eth0",
            "version": 3,
            "virtual_router_id": 51,
            "virtual_ipaddresses": [{"address": "2001:db8::10", "prefix": 64}],
            "unicast": False,
        }
    )
    # keepalived_unicast for the pair; the IPv6 instance opts out (multicast).
    result = FILTERS["keepalived_host_config"](data, "lb2", ["lb1", "lb2"], FACTS, unicast=True)
    assert result["errors"] == []
    config = result["config"]
    rules = FILTERS["keepalived_vrrp_firewall"](config)
    assert rules == [
        {
            "interface": "eth0",
            "family": 4,
            "protocols": ["vrrp", "ah"],
            "destination": None,
            "sources": ["192.0.2.11"],
            "instances": ["VI_1"],
        },
        {
            "interface": "eth0",
            "family": 6,
            "protocols": ["vrrp"],
            "destination": "ff02::12",
            "sources": [],
            "instances": ["VI_6"],
        },
    ]


def test_vrrp_firewall_of_nothing():
    assert FILTERS["keepalived_vrrp_firewall"](None) == []


def test_unicast_addresses_skip_the_vip_the_holder_lists_first():
    # On the node holding it, Linux lists the newest IPv6 address (the VIP) first.
    facts = {
        "lb1": {"eth0": {"ipv6": [{"address": "2001:db8::10"}, {"address": "2001:db8::11"}]}},
        "lb2": {"eth0": {"ipv6": [{"address": "fe80::2"}, {"address": "2001:db8::12"}]}},
    }
    data = pair()
    data["instances"][0].update(
        version=3, virtual_ipaddresses=[{"address": "2001:db8::10", "prefix": 64}]
    )
    data["instances"][0].pop("authentication")
    for host, own, peer in (
        ("lb1", "2001:db8::11", "2001:db8::12"),
        ("lb2", "2001:db8::12", "2001:db8::11"),
    ):
        result = FILTERS["keepalived_host_config"](data, host, ["lb1", "lb2"], facts, unicast=True)
        assert result["errors"] == []
        inst = result["config"]["instances"][0]
        assert (inst["unicast_src_ip"], inst["unicast_peers"]) == (own, [peer])


# ---------------------------------------------------------------------------
# The role's script files and the filters (from test__keepalived_hostile.py:
# ansible-test units imports module_utils tests without the controller's ansible)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (
            [{"name": "../../../etc/cron.d/x", "content": "x"}],
            "keepalived_script_files[0].name: '../../../etc/cron.d/x' is not a valid script "
            "file name",
        ),
        ([{"name": ".hidden", "content": "x"}], "keepalived_script_files[0].name: '.hidden'"),
        ([{"name": "a\nb", "content": "x"}], "keepalived_script_files[0].name: line breaks"),
        ([{"content": "x"}], "keepalived_script_files[0].name: required"),
        ([{"name": "n"}], "keepalived_script_files[n]: give exactly one of content and src"),
        (
            [{"name": "n", "content": "x", "src": "f"}],
            "keepalived_script_files[n]: give exactly one of content and src",
        ),
        ([{"name": "n", "content": 5}], "keepalived_script_files[n].content: 5 is not text"),
        ([{"name": "n", "src": "a\nb"}], "keepalived_script_files[n].src: line breaks"),
        ([{"name": "n", "contnet": "x"}], "keepalived_script_files[n]: unknown key 'contnet'"),
        (
            [{"name": "n", "content": "x"}, {"name": "n", "src": "f"}],
            "keepalived_script_files[n].name: 'n' is defined twice",
        ),
        (["notify.sh"], "keepalived_script_files[0]: expected a mapping"),
        ("notify.sh", "keepalived_script_files: expected a list, got str"),
    ],
)
def test_script_files_are_checked(entries, expected):
    errors = FILTERS["keepalived_script_file_errors"](entries)
    assert any(e.startswith(expected) for e in errors), errors


def test_good_script_files_pass():
    entries = [{"name": "notify.sh", "content": "#!/bin/sh\n"}, {"name": "chk", "src": "f/chk"}]
    assert FILTERS["keepalived_script_file_errors"](entries) == []
    assert FILTERS["keepalived_script_file_errors"]([]) == []


def test_host_config_filter_returns_warnings():
    data = pair()
    data["instances"][0]["authentication"]["password"] = "11111111"
    result = FILTERS["keepalived_host_config"](
        data, "lb1", ["lb1", "lb2"], FACTS, allow_weak_secrets=True
    )
    assert result["errors"] == []
    assert result["warnings"][0].startswith(
        "lb1: keepalived_instances[VI_1].authentication.password: the password is one"
    )
    refused = FILTERS["keepalived_host_config"](data, "lb1", ["lb1", "lb2"], FACTS)
    assert refused["config"] is None and refused["warnings"] == []
    assert refused["errors"][0].startswith(
        "lb1: keepalived_instances[VI_1].authentication.password:"
    )


def test_host_config_filter_reports_an_unknown_option():
    result = FILTERS["keepalived_host_config"](pair(), "lb1", ["lb1", "lb2"], FACTS, unicst=True)
    assert result["errors"] == ["lb1: keepalived_host_config: unknown option(s) unicst"]


def test_firewall_rules_of_a_lab_config_with_a_weak_password():
    data = pair()
    data["instances"][0]["authentication"]["password"] = "11111111"
    config = k.derive_host_config(data, "lb1", ["lb1", "lb2"], FACTS, allow_weak_secrets=True)
    assert FILTERS["keepalived_vrrp_firewall"](config)[0]["interface"] == "eth0"


def _pairs_hostvars():
    def inst(name, vrid, vip):
        return [{"name": name, "interface": "eth0", "virtual_router_id": vrid,
                 "virtual_ipaddresses": [vip]}]  # fmt: skip

    segment = {"interfaces": ["eth0"], "eth0": {"ipv4": {"address": "172.30.90.1", "netmask": "255.255.255.0"}}}  # fmt: skip
    hostvars = {
        "a1": {
            "keepalived_cluster_group": "pair_a",
            "keepalived_instances": inst("VI_A", 81, "172.30.90.10"),
            "ansible_facts": segment,
        },  # fmt: skip
        "c1": {
            "keepalived_cluster_group": "pair_c",
            "keepalived_instances": inst("VI_C", 81, "172.30.90.30"),
            "ansible_facts": segment,
        },  # fmt: skip
        # Outside the run: only inventory variables (no role default, no facts).
        "x1": {
            "keepalived_cluster_group": "pair_x",
            "keepalived_instances": inst("VI_X", 81, "172.30.90.50"),
        },  # fmt: skip
    }
    groups = {"loadbalancers": ["a1", "c1", "x1"], "pair_a": ["a1"], "pair_c": ["c1"], "pair_x": ["x1"]}  # fmt: skip
    return hostvars, groups


def test_pairs_errors_checks_the_pairs_group_and_the_run():
    hostvars, groups = _pairs_hostvars()
    errors = FILTERS["keepalived_pairs_errors"](hostvars, groups, ["a1", "c1"])
    assert errors == [
        "pair_c: keepalived_instances[VI_C].virtual_router_id: 81 on segment 172.30.90.0/24 is "
        "also the VRID of pair_a (instance VI_A) on that segment; the VRRP adverts of one pair "
        "reach the other: give one of them another virtual_router_id (1-255)"
    ]
    warnings = FILTERS["keepalived_pairs_errors"](hostvars, groups, ["a1", "c1"], result="warnings")
    assert [w.split(":")[0] for w in warnings] == ["pair_x", "pair_x"]
    assert "pair_x was not compared with pair_a: no facts and no VIP network" in warnings[0]
    # Another pairs group (here none): only the hosts of the run.
    both = FILTERS["keepalived_pairs_errors"](
        hostvars, groups, ["a1", "c1"], "nogroup", result="all"
    )
    assert both == {"errors": errors, "warnings": []}
    # One pair's messages only (the keepalived role's view).
    assert FILTERS["keepalived_pairs_errors"](hostvars, groups, ["a1"], pair="pair_x") == []


def test_pairs_errors_applies_the_role_defaults_outside_the_run():
    hostvars, groups = _pairs_hostvars()
    del hostvars["x1"]["keepalived_cluster_group"]  # loadbalancers: the parent of every pair
    errors = FILTERS["keepalived_pairs_errors"](hostvars, groups, ["a1", "c1"])
    assert errors[0].startswith("loadbalancers: keepalived_cluster_group is loadbalancers for x1")


class _Unreadable(dict):
    def __getitem__(self, key):
        raise RuntimeError("a template that needs this run: secret-value")


def test_pairs_errors_leaves_out_a_host_whose_variables_cannot_be_read():
    hostvars, groups = _pairs_hostvars()
    hostvars["x1"] = _Unreadable(hostvars["x1"])
    found = FILTERS["keepalived_pairs_errors"](hostvars, groups, ["a1", "c1"], result="all")
    assert len(found["errors"]) == 1
    (warning,) = found["warnings"]
    assert warning.startswith("x1: the variables keepalived_cluster_group, keepalived_instances")
    assert "secret" not in warning


def test_pairs_errors_refuses_an_unknown_result():
    with pytest.raises(AnsibleFilterError, match="result must be errors, warnings or all"):
        FILTERS["keepalived_pairs_errors"]({}, {}, [], result="both")
