"""Fixtures for the verify step of the firewalld scenario."""

from __future__ import annotations

import os
import sys

import pytest

# halb_pair (the VRRP pair seen from the controller) and halb_common live with
# the keepalived scenarios' tests.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tests"))

import halb_pair  # noqa: E402


@pytest.fixture
def pair():
    """The pair, firewalld and keepalived running with their permanent rules
    again after each test (also when it failed)."""
    yield halb_pair
    for host in halb_pair.HOSTS:
        halb_pair.sh(
            host, "systemctl start firewalld keepalived && firewall-cmd --reload", check=False
        )
    halb_pair.normal_holder()
