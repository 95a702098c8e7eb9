"""Fixtures for the verify step of the default scenario (the whole stack)."""

from __future__ import annotations

import os
import sys

import pytest
import testinfra

sys.path.insert(0, os.path.dirname(__file__))
# The shared helpers: halb_common, halb_pair (the VRRP pair), halb_mail (the relay).
sys.path.insert(1, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tests"))

import halb_pair  # noqa: E402


@pytest.fixture(scope="session")
def nodes():
    """testinfra hosts for the load balancers, by inventory name."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return {
        name: testinfra.get_host(f"ansible://{name}", ansible_inventory=inventory)
        for name in halb_pair.HOSTS
    }


@pytest.fixture
def pair():
    """The pair, back in its normal state after each test (also when it failed):
    containers running, HAProxy and keepalived started, lb1 holding the VIP."""
    yield halb_pair
    for host in halb_pair.HOSTS:
        box = halb_pair.container(host)
        box.reload()
        if box.status == "paused":
            box.unpause()
        halb_pair.sh(host, "systemctl start haproxy.service keepalived.service", check=False)
    halb_pair.normal_holder()
