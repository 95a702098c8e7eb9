"""Fixtures for the verify step of the default scenario (the whole stack)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# The shared helpers: halb_common, halb_pair (the VRRP pair), halb_mail (the relay).
sys.path.insert(1, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tests"))

import halb_pair  # noqa: E402


@pytest.fixture(scope="session")
def nodes():
    """testinfra hosts for every node, by inventory name."""
    return halb_pair.testinfra_hosts()


@pytest.fixture
def pair():
    """The pair, back in its normal state after each test (also when it failed):
    containers running, HAProxy and keepalived started, lb1 holding the VIP."""
    yield halb_pair
    halb_pair.restore("haproxy.service keepalived.service")
