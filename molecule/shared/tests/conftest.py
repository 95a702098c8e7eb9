"""Fixtures for the verify step of the keepalived scenarios."""

from __future__ import annotations

import os
import sys

import pytest
import testinfra

sys.path.insert(0, os.path.dirname(__file__))

import halb_pair  # noqa: E402


@pytest.fixture(scope="session")
def nodes():
    """testinfra hosts for every node, by inventory name."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return {
        name: testinfra.get_host(f"ansible://{name}", ansible_inventory=inventory)
        for name in halb_pair.HOSTS
    }


@pytest.fixture
def pair():
    """The pair, back in its normal state (everything running) after each test."""
    yield halb_pair
    for host in halb_pair.HOSTS:
        box = halb_pair.container(host)
        box.reload()
        if box.status == "paused":
            box.unpause()
        halb_pair.sh(host, "systemctl start keepalived.service halb-whoami.service", check=False)
    halb_pair.normal_holder()
