"""Cluster-level checks across the members of a pair."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _keepalived as k
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_cluster import cluster_errors

from .cases import FACTS, pair

MEMBERS = ["lb1", "lb2"]


def build(per_host=None, unicast=False, data=None, facts=None):
    """Derive each member's config the way the role does, with per-host edits
    (``facts`` defaults to the pair's FACTS; ``{}`` means no facts)."""
    facts = FACTS if facts is None else facts
    members = {}
    for host in MEMBERS:
        host_data = copy.deepcopy(data or pair())
        if per_host and host in per_host:
            per_host[host](host_data)
        config = k.derive_host_config(host_data, host, MEMBERS, facts, unicast=unicast)
        members[host] = {"config": config, "facts": facts.get(host) if facts else None}
    return members


def edit(**changes):
    def apply(data):
        data["instances"][0].update(changes)

    return apply


def with_track_file(weight=None, instance_weight=None):
    """Add the track file haproxy_down (file weight ``weight``) to VI_1."""

    def apply(data):
        tfile = {"name": "haproxy_down", "file": "/run/halb/haproxy-down"}
        if weight is not None:
            tfile["weight"] = weight
        data["track_files"] = [tfile]
        tracked = {"name": "haproxy_down"}
        if instance_weight is not None:
            tracked["weight"] = instance_weight
        data["instances"][0]["track_files"] = [tracked]

    return apply


def test_a_consistent_pair_has_no_errors():
    assert cluster_errors(build()) == []
    assert cluster_errors(build(unicast=True)) == []


BAD = {
    "different vrid": (
        {"lb2": edit(virtual_router_id=52)},
        "keepalived_instances[VI_1].virtual_router_id: differs between the members of the pair (lb1: 51; lb2: 52)",
    ),
    "different vips": (
        {"lb2": edit(virtual_ipaddresses=["192.0.2.99/24"])},
        "keepalived_instances[VI_1].virtual_ipaddresses: differs between the members",
    ),
    "different advert_int": (
        {"lb2": edit(advert_int=2)},
        "keepalived_instances[VI_1].advert_int: differs between the members of the pair (lb1: 1; lb2: 2)",
    ),
    "different auth": (
        {"lb2": edit(authentication={"type": "PASS", "password": "0ther-pw"})},
        "keepalived_instances[VI_1].authentication: differs between the members of the pair (lb1: one value; lb2: one value)",
    ),
    "duplicate priorities": (
        {"lb1": edit(priority=100), "lb2": edit(priority=100)},
        "keepalived_instances[VI_1].priority: lb1, lb2 all have priority 100; priorities must differ",
    ),
    "two masters": (
        {"lb2": edit(state="MASTER", priority=120)},
        "keepalived_instances[VI_1].state: lb1, lb2 all start as MASTER",
    ),
    "master not highest": (
        {"lb1": edit(priority=100)},
        "keepalived_instances[VI_1].state: lb1 starts as MASTER but lb2 has the higher priority",
    ),
    "weight too small": (
        {"lb2": edit(priority=100)},
        "keepalived_scripts[chk_haproxy].weight: weight -30 of 'chk_haproxy' cannot move the VIP of VI_1: "
        "lb1 has priority 150 and lb2 100 (gap 50)",
    ),
    "track weight override too small": (
        {"lb1": edit(track_scripts=[{"name": "chk_haproxy", "weight": -5}])},
        "keepalived_instances[VI_1].track_scripts[0].weight: weight -5",
    ),
    "interface weight too small": (
        {"lb1": edit(track_interfaces=[{"name": "eth1", "weight": -10}])},
        "keepalived_instances[VI_1].track_interfaces[0].weight: weight -10 of interface 'eth1' cannot move the VIP",
    ),
    "track file weight too small": (
        {
            "lb1": with_track_file(weight=-5),
            "lb2": with_track_file(weight=-5),
        },
        "keepalived_track_files[haproxy_down].weight: weight -5 of 'haproxy_down' cannot move "
        "the VIP of VI_1: lb1 has priority 150 and lb2 140 (gap 10); use a weight below -10 "
        "or above 10, or 0 to go to FAULT",
    ),
    "track file weight override too small": (
        {
            "lb1": with_track_file(instance_weight=-10),
            "lb2": with_track_file(instance_weight=-10),
        },
        "keepalived_instances[VI_1].track_files[0].weight: weight -10 of 'haproxy_down' cannot "
        "move the VIP of VI_1",
    ),
    "nopreempt on one node only": (
        {"lb2": edit(nopreempt=True)},
        "keepalived_instances[VI_1].nopreempt: differs between the members",
    ),
    "missing interface on the host": (
        {"lb2": edit(interface="eth9")},
        "lb2: keepalived_instances[VI_1].interface: interface 'eth9' does not exist on this host",
    ),
    "missing vip dev on the host": (
        {
            "lb1": edit(
                virtual_ipaddresses=[{"address": "192.0.2.10", "prefix": 24, "dev": "bond0"}]
            )
        },
        "lb1: keepalived_instances[VI_1].virtual_ipaddresses[0].dev: interface 'bond0' does not exist",
    ),
    "instance missing on one member": (
        {"lb2": lambda d: d["instances"][0].update(name="VI_X")},
        "lb2: keepalived_instances: has no instance 'VI_1', which the other members have",
    ),
    "unicast src not the host's": (
        {
            "lb1": edit(unicast_src_ip="192.0.2.99", unicast_peers=["192.0.2.12"]),
            "lb2": edit(unicast_src_ip="192.0.2.12", unicast_peers=["192.0.2.99"]),
        },
        "lb1: keepalived_instances[VI_1].unicast_src_ip: 192.0.2.99 is not an address of this host",
    ),
    "unicast peer is the host itself": (
        {
            "lb1": edit(unicast_src_ip="192.0.2.11", unicast_peers=["192.0.2.12", "198.51.100.11"]),
            "lb2": edit(unicast_src_ip="192.0.2.12", unicast_peers=["192.0.2.11"]),
        },
        "lb1: keepalived_instances[VI_1].unicast_peers[1]: 198.51.100.11 is an address of this host itself",
    ),
    "unicast peers miss a member": (
        {
            "lb1": edit(unicast_src_ip="192.0.2.11", unicast_peers=["192.0.2.13"]),
            "lb2": edit(unicast_src_ip="192.0.2.12", unicast_peers=["192.0.2.11"]),
        },
        "lb1: keepalived_instances[VI_1].unicast_peers: does not list 192.0.2.12, the unicast_src_ip of lb2",
    ),
    "unicast on one member only": (
        {"lb1": edit(unicast_src_ip="192.0.2.11", unicast_peers=["192.0.2.12"])},
        "keepalived_instances[VI_1].unicast_peers: lb1 use unicast but lb2 multicast",
    ),
    "vrid shared by two instances": (
        {"lb2": lambda d: d["instances"][0].update(name="VI_OTHER")},
        "lb2: keepalived_instances[VI_OTHER].virtual_router_id: 51 on eth0 is also the VRID of instance 'VI_1' on lb1",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_cluster_problem_names_host_and_variable(case):
    per_host, expected = BAD[case]
    errors = cluster_errors(build(per_host))
    assert any(expected in e for e in errors), errors


def test_weight_zero_means_fault_and_is_accepted():
    errors = cluster_errors(
        build({"lb1": edit(track_scripts=[{"name": "chk_haproxy", "weight": 0}])})
    )
    assert errors == []


def test_positive_weight_large_enough_is_accepted():
    def positive(data):
        data["scripts"][0]["weight"] = 20

    errors = cluster_errors(build({"lb1": positive, "lb2": positive}))
    assert errors == []


def test_a_member_with_invalid_config_blocks_the_pair():
    members = build()
    members["lb2"]["config"] = None
    errors = cluster_errors(members)
    assert errors == [
        "lb2: has no valid keepalived configuration (see its own error above); "
        "the pair is not changed while one member is wrong"
    ]


def test_password_values_never_appear_in_messages():
    errors = cluster_errors(
        build({"lb2": edit(authentication={"type": "PASS", "password": "zzsecret"})})
    )
    assert errors and not any("zzsecret" in e or "s3cr3tXY" in e for e in errors)


def test_without_facts_host_checks_are_skipped():
    assert cluster_errors(build({"lb2": edit(interface="eth9")}, facts={})) == []


@pytest.mark.parametrize(
    ("weight", "instance_weight"), [(None, None), (0, None), (-11, None), (-5, -60), (20, None)]
)
def test_track_file_weights_that_move_the_vip_are_accepted(weight, instance_weight):
    # None: the default weight 0 (FAULT); -11 and 20 outweigh the gap of 10.
    change = with_track_file(weight, instance_weight)
    assert cluster_errors(build({"lb1": change, "lb2": change})) == []
