"""Shared inputs for the keepalived unit tests."""

from __future__ import annotations

import copy

BASE = {
    "global_defs": {
        "router_id": "lb1",
        "script_user": "keepalived_script",
        "enable_script_security": True,
    },
    "scripts": [
        {
            "name": "chk_haproxy",
            "script": "/usr/bin/systemctl is-active --quiet haproxy.service",
            "interval": 2,
            "weight": -30,
            "fall": 2,
            "rise": 2,
        }
    ],
    "instances": [
        {
            "name": "VI_1",
            "interface": "eth0",
            "virtual_router_id": 51,
            "priority": 150,
            "state": "MASTER",
            "advert_int": 1,
            "authentication": {"type": "PASS", "password": "s3cr3tXY"},
            "virtual_ipaddresses": [{"address": "192.0.2.10", "prefix": 24}],
            "track_scripts": ["chk_haproxy"],
        }
    ],
}

FACTS = {
    "lb1": {
        "interfaces": ["lo", "eth0", "eth1"],
        "eth0": {"ipv4": {"address": "192.0.2.11"}, "ipv6": [{"address": "fe80::1"}]},
        "eth1": {"ipv4": {"address": "198.51.100.11"}},
    },
    "lb2": {
        "interfaces": ["lo", "eth0", "eth1"],
        "eth0": {"ipv4": {"address": "192.0.2.12"}},
        "eth1": {"ipv4": {"address": "198.51.100.12"}},
    },
}


def base():
    return copy.deepcopy(BASE)


def pair(data=None):
    """The role's view of the pair: data without per-host priority/state."""
    data = copy.deepcopy(data or BASE)
    for inst in data["instances"]:
        inst.pop("priority", None)
        inst.pop("state", None)
    data["global_defs"].pop("router_id", None)
    return data
