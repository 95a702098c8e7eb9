"""Checks across VRRP pairs (issue 20): no host in two pairs, no VIP in two
pairs, no VRID shared by two pairs on one network segment (unless both use
unicast and allow it, and neither uses use_vmac); near misses pass."""

from __future__ import annotations

import copy
import pathlib
import time

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from ansible_collections.halb.cluster.plugins.module_utils._keepalived import KeepalivedConfigError
from ansible_collections.halb.cluster.plugins.module_utils._typed import CONTROL_RE, INTERNAL_ERROR
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_pairs import DEFAULTS, pairs_check
from tests.unit.property.hostile import SETTINGS, hostile_text, json_like

ROOT = pathlib.Path(__file__).resolve().parents[4]


def facts(*addresses, iface="eth0"):
    """Ansible facts of a host with ``addresses`` ("a.b.c.d/len" or IPv6) on ``iface``."""
    data = {"ipv4": None, "ipv4_secondaries": [], "ipv6": []}
    for text in addresses:
        address, prefix = text.split("/")
        if ":" in address:
            data["ipv6"].append({"address": address, "prefix": prefix, "scope": "global"})
        elif data["ipv4"] is None:
            data["ipv4"] = {"address": address, "netmask": _mask(int(prefix)), "network": "x"}
        else:
            data["ipv4_secondaries"].append({"address": address, "netmask": _mask(int(prefix))})
    if data["ipv4"] is None:
        del data["ipv4"]
    return {"interfaces": ["lo", iface], iface: data}


def _mask(bits):
    value = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
    return ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))


def instance(name, vrid, *vips, **extra):
    return {
        "name": name,
        "interface": "eth0",
        "virtual_router_id": vrid,
        "virtual_ipaddresses": list(vips),
        **extra,
    }


def inventory(*pairs):
    """pairs: (group, instances, [facts of each host], {more variables}) -> (hosts, groups)."""
    hosts = {}
    groups = {"loadbalancers": []}
    for group, instances, host_facts, more in pairs:
        groups[group] = []
        for i, host_fact in enumerate(host_facts):
            host = f"{group}_lb{i + 1}"
            groups[group].append(host)
            groups["loadbalancers"].append(host)
            hosts[host] = {
                "keepalived_cluster_group": group,
                "keepalived_instances": copy.deepcopy(instances),
                **({"ansible_facts": host_fact} if host_fact is not None else {}),
                **more,
            }
    return hosts, groups


def three_pairs(c_vrid=81, c_vip="172.30.90.30", c_facts=("172.30.90.5/24", "172.30.90.6/24"), **c):
    """pair_a and pair_b on 172.30.90.0/24 with VRIDs 81 and 82; pair_c as given."""
    return inventory(
        (
            "pair_a",
            [instance("VI_A", 81, "172.30.90.10")],
            [facts("172.30.90.1/24"), facts("172.30.90.2/24")],
            c.get("a", {}),
        ),
        (
            "pair_b",
            [instance("VI_B", 82, "172.30.90.20")],
            [facts("172.30.90.3/24"), facts("172.30.90.4/24")],
            {},
        ),
        (
            "pair_c",
            [instance("VI_C", c_vrid, c_vip, **c.get("inst", {}))],
            [facts(a) if a else None for a in c_facts],
            c.get("c", {}),
        ),
    )


def check(hosts, groups, **kw):
    found = pairs_check(hosts, groups, **kw)
    for message in found["errors"] + found["warnings"]:
        assert INTERNAL_ERROR not in message
        assert not CONTROL_RE.search(message), message
    return found


def test_three_distinct_pairs_pass():
    assert check(*three_pairs(c_vrid=83)) == {"errors": [], "warnings": []}


def test_a_vrid_shared_on_one_segment_is_refused_naming_pair_variable_and_segment():
    found = check(*three_pairs())
    assert found["errors"] == [
        "pair_c: keepalived_instances[VI_C].virtual_router_id: 81 on segment 172.30.90.0/24 is "
        "also the VRID of pair_a (instance VI_A) on that segment; the VRRP adverts of one pair "
        "reach the other: give one of them another virtual_router_id (1-255)"
    ]
    assert found["warnings"] == []


def test_the_same_vrid_on_another_segment_passes():
    hosts, groups = three_pairs(c_facts=("172.30.91.5/24", "172.30.91.6/24"))
    assert check(hosts, groups) == {"errors": [], "warnings": []}


def test_overlapping_networks_of_different_prefixes_share_a_segment():
    found = check(*three_pairs(c_facts=("172.30.0.5/16", "172.30.0.6/16")))
    assert found["errors"][0].startswith(
        "pair_c: keepalived_instances[VI_C].virtual_router_id: 81 on segment 172.30.0.0/16 is "
        "also the VRID of pair_a (instance VI_A) on the overlapping segment 172.30.90.0/24;"
    )


def test_a_secondary_address_counts_as_the_segment():
    hosts, groups = three_pairs(c_facts=("10.9.9.5/24", None))
    assert check(hosts, groups)["errors"] == []
    hosts["pair_c_lb1"]["ansible_facts"] = facts("10.9.9.5/24", "172.30.90.99/24")
    assert len(check(hosts, groups)["errors"]) == 1


def test_the_same_vrid_in_another_address_family_passes():
    hosts, groups = three_pairs(
        c_vip="2001:db8:90::30",
        c_facts=("2001:db8:90::5/64", "2001:db8:90::6/64"),
    )
    for host in ("pair_c_lb1", "pair_c_lb2"):
        # The same interface carries the IPv4 segment of pair_a too.
        hosts[host]["ansible_facts"]["eth0"]["ipv4"] = {
            "address": "172.30.90.50",
            "netmask": "255.255.255.0",
        }
    assert check(hosts, groups) == {"errors": [], "warnings": []}


def test_ipv6_vrids_collide_on_an_ipv6_segment():
    hosts, groups = inventory(
        ("v6_a", [instance("A", 7, "2001:db8::a")], [facts("2001:db8::1/64")], {}),
        ("v6_b", [instance("B", 7, "2001:db8::b")], [facts("2001:db8::2/64")], {}),
    )
    (message,) = check(hosts, groups)["errors"]
    assert message.startswith(
        "v6_b: keepalived_instances[B].virtual_router_id: 7 (IPv6) on segment 2001:db8::/64"
    )


def test_link_local_ipv6_addresses_are_no_segment():
    hosts, groups = inventory(
        ("v6_a", [instance("A", 7, "2001:db8::a")], [facts("2001:db8::1/64")], {}),
        ("v6_b", [instance("B", 7, "2001:db8::b")], [facts("2001:db8:1::2/64")], {}),
    )
    for hv in hosts.values():
        hv["ansible_facts"]["eth0"]["ipv6"].append(
            {"address": "fe80::1%eth0", "prefix": "64", "scope": "link"}
        )
    assert check(hosts, groups) == {"errors": [], "warnings": []}


def test_vip_networks_are_the_segment_without_facts():
    hosts, groups = three_pairs(c_vip="172.30.90.30/24", c_facts=(None, None))
    (message,) = check(hosts, groups)["errors"]
    assert "81 on segment 172.30.90.0/24 is also the VRID of pair_a" in message
    hosts, groups = three_pairs(c_vip="172.30.99.30/24", c_facts=(None, None))
    assert check(hosts, groups) == {"errors": [], "warnings": []}


def test_a_vip_on_another_interface_is_not_the_segment():
    vip = {"address": "172.30.90.30", "prefix": 24, "dev": "eth1"}
    hosts, groups = three_pairs(c_vip=vip, c_facts=(None, None))
    assert check(hosts, groups)["errors"] == []


def test_no_facts_and_host_vips_give_a_warning_not_an_error():
    found = check(*three_pairs(c_facts=(None, None)))
    assert found["errors"] == []
    assert found["warnings"] == [
        "pair_c: keepalived_instances[VI_C].virtual_router_id: 81 is also the VRID of pair_a "
        "(instance VI_A), but pair_c was not compared with pair_a: no facts and no VIP network; "
        "run both pairs or use a fact cache (pair_c had neither), or give them different VRIDs"
    ]


def test_hosts_of_the_run_without_facts_are_named_in_the_warning():
    # One serial batch per pair: the later pair's facts are not gathered yet.
    hosts, groups = three_pairs(c_facts=(None, None))
    (warning,) = check(hosts, groups, running=list(hosts))["warnings"]
    assert warning.endswith(
        "; pair_c_lb1, pair_c_lb2 are in this run without facts: a serial batch gathers only "
        "its own facts, so gather every pair's facts first (a play before, as site.yml does "
        "with halb_serial_pairs, or a fact cache) to compare them before the first batch changes"
    )
    (warning,) = check(hosts, groups, running=["pair_a_lb1"])["warnings"]
    assert "in this run without facts" not in warning


def test_unicast_pairs_share_a_vrid_only_when_both_allow_it():
    both = {"keepalived_unicast": True, "keepalived_allow_shared_vrid": True}
    assert check(*three_pairs(a=both, c=both)) == {"errors": [], "warnings": []}
    one = {"keepalived_unicast": True, "keepalived_allow_shared_vrid": False}
    (message,) = check(*three_pairs(a=one, c=both))["errors"]
    assert message.endswith(
        "give one of them another virtual_router_id (1-255), or, since both pairs use unicast, "
        "set keepalived_allow_shared_vrid: true on both pairs to allow it "
        "(now pair_c: true, pair_a: false)"
    )


def test_unicast_peers_count_as_unicast():
    peers = {"unicast_src_ip": "172.30.90.5", "unicast_peers": ["172.30.90.6"]}
    flags = {"keepalived_allow_shared_vrid": True}
    hosts, groups = three_pairs(a={"keepalived_unicast": True, **flags}, c=flags, inst=peers)
    assert check(hosts, groups)["errors"] == []


def test_the_flags_without_unicast_do_not_allow_it():
    flags = {"keepalived_allow_shared_vrid": True}
    assert len(check(*three_pairs(a=flags, c=flags))["errors"]) == 1


def test_use_vmac_is_never_allowed_to_share_a_vrid():
    both = {"keepalived_unicast": True, "keepalived_allow_shared_vrid": "yes"}
    found = check(*three_pairs(a=both, c=both, inst={"extra": ["use_vmac vrrp.81"]}))
    (message,) = found["errors"]
    assert message.endswith(
        "keepalived_allow_shared_vrid cannot allow it, because pair_c uses use_vmac (both pairs "
        "would own the virtual MAC 00:00:5e:00:01:51 on the segment)"
    )


def test_a_vip_in_two_pairs_is_refused_whatever_its_prefix():
    hosts, groups = three_pairs(c_vrid=83, c_vip="172.30.90.10/24")
    assert check(hosts, groups)["errors"] == [
        "pair_c: keepalived_instances[VI_C].virtual_ipaddresses: 172.30.90.10 is also a VIP of "
        "pair_a (instance VI_A); an address belongs to one pair only (whatever its prefix or "
        "interface): give one of them another address"
    ]


def test_an_ipv6_vip_in_two_pairs_is_refused_in_any_spelling():
    hosts, groups = inventory(
        ("v6_a", [instance("A", 7, "2001:db8::a")], [None], {}),
        ("v6_b", [instance("B", 8, "2001:DB8:0::A/64")], [None], {}),
    )
    (message,) = check(hosts, groups)["errors"]
    assert message.startswith("v6_b: keepalived_instances[B].virtual_ipaddresses: 2001:db8::a ")


def test_a_host_in_two_pairs_is_refused():
    hosts, groups = three_pairs(c_vrid=83)
    groups["pair_c"].append("pair_a_lb2")
    assert check(hosts, groups)["errors"] == [
        "pair_c: pair_a_lb2 is also in pair_a; a host belongs to exactly one pair "
        "(keepalived_cluster_group is pair_a for pair_a_lb1, pair_a_lb2 and pair_c for "
        "pair_c_lb1, pair_c_lb2): take the hosts out of one of the groups"
    ]


def test_the_parent_group_as_a_pair_is_one_message():
    hosts, groups = three_pairs(c_vrid=83)
    del hosts["pair_c_lb1"]["keepalived_cluster_group"]  # the role default: loadbalancers
    assert check(hosts, groups)["errors"] == [
        "loadbalancers: keepalived_cluster_group is loadbalancers for pair_c_lb1, but "
        "loadbalancers holds the pairs pair_a, pair_b, pair_c; a host belongs to exactly one "
        "pair: set keepalived_cluster_group in the group_vars of each pair group to that group "
        "(or in the host_vars of these hosts to the group of their pair)"
    ]


def test_a_host_outside_its_own_pair_group_is_refused():
    hosts, groups = three_pairs(c_vrid=83)
    hosts["pair_c_lb2"]["keepalived_cluster_group"] = "pair_b"
    assert check(hosts, groups)["errors"] == [
        "pair_b: pair_c_lb2: keepalived_cluster_group is pair_b, but pair_c_lb2 is not in that "
        "group; add the host to the group, or set keepalived_cluster_group to the group of its pair"
    ]
    hosts["pair_c_lb2"]["keepalived_cluster_group"] = "pair_x"
    assert check(hosts, groups)["errors"] == [
        "pair_x: pair_c_lb2: keepalived_cluster_group is pair_x, but there is no such group in "
        "the inventory; set it to the group of this host's pair"
    ]


def test_one_pair_inventory_passes():
    hosts, groups = inventory(
        ("loadbalancers", [instance("VI_1", 51, "192.0.2.10")], [facts("192.0.2.1/24")] * 2, {})
    )
    for hv in hosts.values():
        del hv["keepalived_cluster_group"]
    groups["loadbalancers"] = list(hosts)
    assert check(hosts, groups) == {"errors": [], "warnings": []}


def test_within_one_pair_the_cross_pair_check_is_silent():
    hosts, groups = inventory(
        ("pair_a", [instance("VI_A", 81, "172.30.90.10")], [facts("172.30.90.1/24")] * 2, {}),
    )
    hosts["pair_a_lb2"]["keepalived_instances"][0]["name"] = "VI_OTHER"
    assert check(hosts, groups)["errors"] == []


def test_invalid_instances_are_left_to_the_hosts_own_check():
    hosts, groups = three_pairs()
    for host in ("pair_c_lb1", "pair_c_lb2"):
        hosts[host]["keepalived_instances"][0]["virtual_router_id"] = 999
    assert check(hosts, groups) == {"errors": [], "warnings": []}


def test_derived_keys_do_not_make_instances_invalid():
    # track_scripts naming a script of keepalived_scripts (not read here) and unicast.
    inst = {"track_scripts": ["chk_haproxy"], "unicast": True, "priority": 200, "state": "MASTER"}
    assert len(check(*three_pairs(inst=inst))["errors"]) == 1


def test_only_the_messages_of_one_pair():
    hosts, groups = three_pairs()
    assert len(check(hosts, groups, pair="pair_a")["errors"]) == 1
    assert len(check(hosts, groups, pair="pair_c")["errors"]) == 1
    assert check(hosts, groups, pair="pair_b") == {"errors": [], "warnings": []}


def test_defaults_equal_the_role_defaults():
    defaults = yaml.safe_load((ROOT / "roles/keepalived/defaults/main.yml").read_text())
    for key, value in DEFAULTS.items():
        assert defaults[key] == value, key
    specs = yaml.safe_load((ROOT / "roles/keepalived/meta/argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    for key in ("keepalived_pairs_group", "keepalived_allow_shared_vrid", "keepalived_pairs_check"):
        assert options[key]["default"] == defaults[key], key


def test_fifty_pairs_check_in_well_under_a_second():
    pairs = []
    for p in range(50):
        net = f"10.{p}.0"
        pairs.append(
            (
                f"pair_{p}",
                [
                    instance(f"VI_{p}", 1 + p % 5, f"{net}.10"),
                    instance(f"VI_{p}_b", 100 + p % 5, f"{net}.11", interface="eth0"),
                ],
                [facts(f"{net}.1/24"), facts(f"{net}.2/24")],
                {},
            )
        )
    hosts, groups = inventory(*pairs)
    start = time.perf_counter()
    found = check(hosts, groups)
    elapsed = time.perf_counter() - start
    assert found == {"errors": [], "warnings": []}
    assert elapsed < 1.0, elapsed
    # And when every pair collides with every other on one segment.
    for hv in hosts.values():
        hv["ansible_facts"] = facts("10.200.0.9/16")
    start = time.perf_counter()
    found = check(hosts, groups)
    assert time.perf_counter() - start < 2.0
    assert len(found["errors"]) > 100


def test_not_a_mapping():
    assert check(["x"], {})["errors"][0].startswith(
        "keepalived checks across pairs: expected a mapping"
    )


_ADDRESS_ENTRY = st.fixed_dictionaries(
    {"address": st.one_of(st.just("10.0.0.5"), st.just("2001:db8::5"), hostile_text("10.0.0.5"))},
    optional={
        "netmask": st.one_of(st.just("255.255.255.0"), hostile_text("255.0.0.0"), json_like),
        "prefix": st.one_of(st.just("64"), st.just(24), json_like),
        "scope": st.one_of(st.just("global"), json_like),
    },
)
_INTERFACE_FACTS = st.one_of(
    json_like,
    st.dictionaries(
        st.sampled_from(["ipv4", "ipv4_secondaries", "ipv6"]),
        st.one_of(_ADDRESS_ENTRY, st.lists(_ADDRESS_ENTRY | json_like, max_size=2), json_like),
    ),
)
_INSTANCE = st.fixed_dictionaries(
    {
        "name": st.one_of(st.just("VI_1"), hostile_text("VI_1")),
        "interface": st.one_of(st.just("eth0"), hostile_text("eth0"), json_like),
        "virtual_router_id": st.one_of(st.just(81), json_like),
        "virtual_ipaddresses": st.one_of(
            st.just(["10.0.0.1/24"]),
            st.just(["2001:db8::1/64"]),
            st.lists(st.one_of(hostile_text("10.0.0.1"), json_like), max_size=2),
            json_like,
        ),
    },
    optional={
        "extra": st.one_of(st.just(["use_vmac"]), json_like),
        "unicast_peers": st.one_of(st.just(["10.0.0.9"]), json_like),
        "unicast": json_like,
    },
)
_HOSTVARS = st.fixed_dictionaries(
    {},
    optional={
        "keepalived_cluster_group": st.one_of(
            st.sampled_from(["pair_a", "pair_b"]), hostile_text("pair_a"), json_like
        ),
        "keepalived_instances": st.one_of(json_like, st.lists(_INSTANCE | json_like, max_size=2)),
        "keepalived_unicast": json_like,
        "keepalived_allow_shared_vrid": json_like,
        "ansible_facts": st.one_of(
            json_like, st.fixed_dictionaries({"eth0": _INTERFACE_FACTS, "interfaces": json_like})
        ),
    },
)
_HOST = st.one_of(st.sampled_from(["h1", "h2", "h3"]), hostile_text("h1"), st.integers())


@settings(SETTINGS, max_examples=300)
@given(
    hosts=st.one_of(json_like, st.dictionaries(_HOST, _HOSTVARS | json_like, max_size=4)),
    groups=st.one_of(
        json_like,
        st.fixed_dictionaries(
            {"pair_a": st.lists(_HOST | json_like, max_size=3)},
            optional={"pair_b": json_like | st.just(["h2", "h3"])},
        ),
    ),
    pair=st.one_of(st.none(), st.just("pair_a"), json_like),
)
def test_any_hostile_shape_gives_only_messages(hosts, groups, pair):
    try:
        found = pairs_check(hosts, groups, pair)
    except KeepalivedConfigError as exc:  # allowed, but it must not be the backstop
        pytest.fail(f"raised {exc.errors}")
    assert set(found) == {"errors", "warnings"}
    for message in found["errors"] + found["warnings"]:
        assert isinstance(message, str)
        assert INTERNAL_ERROR not in message
        assert not CONTROL_RE.search(message), message


@settings(SETTINGS, max_examples=200)
@given(
    facts_a=st.one_of(json_like, st.fixed_dictionaries({"eth0": _INTERFACE_FACTS})),
    facts_b=st.one_of(json_like, st.fixed_dictionaries({"eth0": _INTERFACE_FACTS})),
    unicast=json_like,
)
def test_hostile_facts_of_valid_pairs_give_only_messages(facts_a, facts_b, unicast):
    hosts, groups = inventory(
        ("pair_a", [instance("VI_A", 81, "10.0.0.10")], [facts_a], {"keepalived_unicast": unicast}),
        ("pair_b", [instance("VI_B", 81, "10.0.0.11")], [facts_b], {}),
    )
    found = pairs_check(hosts, groups)
    assert len(found["errors"]) + len(found["warnings"]) <= 1
    for message in found["errors"] + found["warnings"]:
        assert INTERNAL_ERROR not in message
        assert message.startswith("pair_b: keepalived_instances[VI_B].virtual_router_id: 81 ")
