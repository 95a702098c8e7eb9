"""Fixtures for the verify step of the keepalived scenarios."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import halb_pair  # noqa: E402


@pytest.fixture(scope="session")
def nodes():
    """testinfra hosts for every node, by inventory name."""
    return halb_pair.testinfra_hosts()


@pytest.fixture
def pair():
    """The pair, back in its normal state (everything running) after each test."""
    yield halb_pair
    halb_pair.restore("keepalived.service halb-whoami.service")
