"""Fixtures for the verify step of the adopt scenario: the hand-built pair
(prepare.yml), the inventory directory converge.yml imported it into, and
its report."""

from __future__ import annotations

import json
import os
import pathlib
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# The shared helpers: halb_common (docker exec, SteadyLoad), halb_pair (the VRRP pair).
sys.path.insert(1, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tests"))

import halb_pair  # noqa: E402


@pytest.fixture(scope="session")
def adopted():
    """The inventory directory converge.yml wrote."""
    path = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "adopted"
    assert path.is_dir(), f"{path}: converge.yml wrote no inventory directory"
    return path


@pytest.fixture(scope="session")
def report(adopted):
    """.adopt-report.json as converge.yml wrote it."""
    return json.loads((adopted / ".adopt-report.json").read_text())


@pytest.fixture
def pair():
    """The pair, back in its normal state after each test (also when it failed):
    containers running, HAProxy and keepalived started, lb1 holding the VIP."""
    yield halb_pair
    halb_pair.restore("haproxy.service keepalived.service")
