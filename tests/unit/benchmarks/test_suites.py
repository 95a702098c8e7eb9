"""The inputs the scale benchmark builds (benchmarks/halb_bench/suites.py) are
valid for our own models, so `make bench` does not fail an hour in."""

from __future__ import annotations

import types

import pytest
from halb_bench import suites

from ansible_collections.halb.cluster.plugins.module_utils import _haproxy, _keepalived


def test_ten_thousand_servers_pass_the_haproxy_model():
    config = suites.haproxy_servers_config(10000)
    text = _haproxy.render(config)
    servers = [line for line in text.splitlines() if line.strip().startswith("server ")]
    assert len(servers) == 10000
    assert len({line.split()[2] for line in servers}) == 10000  # distinct addresses
    assert "bind 127.0.0.1:18080" in text


def test_twenty_vrrp_instances_pass_the_keepalived_model():
    lab = types.SimpleNamespace(vip="172.30.70.100", vars={"lab_vrid": 70})
    data = suites.vrrp_instances_vars(lab, 20)
    instances = data["keepalived_instances"]
    assert [i["virtual_router_id"] for i in instances] == list(range(70, 90))
    assert instances[-1]["virtual_ipaddresses"][0]["address"] == "172.30.70.119"
    config = _keepalived.derive_host_config({"instances": instances}, "lb1", ["lb1", "lb2"])
    assert len(config["instances"]) == 20
    assert _keepalived.render(config).count("vrrp_instance ") == 20


def test_protocol_figures_of_the_profiles():
    assert suites.skew_time(1.0) == 0.453
    assert suites.master_down_interval(0.1) == 0.345
    assert suites.PROFILES["fast"]["version"] == 3


def test_the_profiles_are_the_roles():
    # Read from the role's model, not a copy: a change there moves the bench.
    for name, keys in _keepalived.PROFILES.items():
        assert suites.PROFILES[name]["version"] == keys.get("version", 2)
        assert suites.PROFILES[name]["advert_int"] == keys.get("advert_int", 1.0)
    assert suites.PROFILES["default"]["advert_int"] == 1.0
    assert set(suites.PROFILES) == set(_keepalived.PROFILES)


class _Recorder:
    """A stand-in lab that records the commands a fault would run."""

    def __init__(self):
        self.ran = []

    def nsenter(self, node, command, all_namespaces=True):
        self.ran.append((node, command, all_namespaces))


def test_every_fault_is_injected_and_undone_on_the_node_it_is_given():
    from halb_bench.faults import FAULTS
    from halb_bench.report import FAULT_ORDER, LABELS

    # The report lists every fault the benchmark injects, in the same order
    # (and the network cut of results files from before the partition).
    assert [f for f in FAULT_ORDER if f in FAULTS] == list(FAULTS)
    assert set(FAULT_ORDER) - set(FAULTS) == {"network_cut"}
    assert list(FAULT_ORDER) == list(LABELS)
    for name in (
        "haproxy_stopped",
        "haproxy_killed",
        "keepalived_killed",
        "switchover",
        "partition",
    ):
        lab = _Recorder()
        fault = FAULTS[name](lab)
        assert fault.name == name and fault.description
        assert isinstance(fault.inject("lb1"), float)
        fault.restore("lb1")
        assert [node for node, _command, _all_namespaces in lab.ran] == ["lb1", "lb1"]
        assert lab.ran[0][1] != lab.ran[1][1]
    assert FAULTS["haproxy_stopped"](None).command == "systemctl stop haproxy"
    # Only a node nobody can reach has its copy of the VIP left out.
    assert [n for n, f in FAULTS.items() if f.unreachable] == ["master_paused", "partition"]
    # The partition runs the controller's nft in the node's network namespace only.
    lab = _Recorder()
    FAULTS["partition"](lab).inject("lb1")
    assert lab.ran[0][2] is False and "drop" in lab.ran[0][1]


def test_the_partition_cuts_every_interface_but_lo_arp_included():
    from halb_bench import faults

    # issue 16: 15 s, then 60 s of give-back; the other faults last the
    # profile's window and have no give-back of their own.
    assert (faults.Partition.lasts, faults.Partition.giveback) == (15.0, 60.0)
    assert all(
        f.lasts is None and f.giveback == 0 for n, f in faults.FAULTS.items() if n != "partition"
    )
    rules = [line.strip() for line in faults._CUT.splitlines() if "hook" in line]
    assert len(rules) == 4  # inet and arp, input and output
    for rule in rules:
        assert "priority -400;" in rule
        # A macvlan on top of eth0 (use_vmac) is not cut by a rule on eth0.
        assert rule.endswith('iifname != "lo" drop; }') or rule.endswith('oifname != "lo" drop; }')
        assert "eth0" not in rule
    assert [t.split()[1] for t in faults._CUT.split("\n") if t.startswith("table")] == [
        "inet",
        "arp",
    ]
    assert faults._UNCUT.count("nft delete table") == 2


class _Client:
    """A stand-in for the open-loop client (records only)."""

    def __init__(self, records):
        self.records = records


def test_the_give_back_is_watched_until_quiet_or_the_limit(monkeypatch):
    clock = {"now": 1000.0, "answers_from": 1005.0}
    client = _Client([])

    def sleep(seconds):
        clock["now"] += seconds
        # The client: a request finished 0.6 s after it was sent.
        sent = clock["now"] - 0.6
        client.records.append((round(sent, 2), sent >= clock["answers_from"]))

    monkeypatch.setattr(
        suites, "time", types.SimpleNamespace(time=lambda: clock["now"], sleep=sleep)
    )
    suites.watch_giveback(client, 1000.0)
    # Quiet: 3 s of answers, plus the 0.5 s timeout, after the last failure (~1004.8).
    assert 1008.2 <= clock["now"] <= 1009.0
    # The partition's 60 s at least.
    clock["now"], client.records = 1000.0, []
    suites.watch_giveback(client, 1000.0, minimum=60.0)
    assert 1060.0 <= clock["now"] <= 1060.5
    # Never quiet: stopped at the limit.
    clock["now"], clock["answers_from"], client.records = 2000.0, 1e12, []
    suites.watch_giveback(client, 2000.0)
    assert clock["now"] == pytest.approx(2000.0 + suites.GIVEBACK_LIMIT, abs=0.3)
    clock["now"], client.records = 3000.0, []
    suites.watch_giveback(client, 3000.0, minimum=80.0)
    assert clock["now"] == pytest.approx(3110.0, abs=0.3)  # the minimum plus 30 s
