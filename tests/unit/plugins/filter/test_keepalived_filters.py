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
