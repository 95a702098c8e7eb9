"""Fixtures for the verify step of the pairs scenario (three pairs)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# The shared helpers: halb_common (docker exec, playbook runs, SteadyLoad).
sys.path.insert(1, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tests"))

import pairs as _pairs  # noqa: E402


@pytest.fixture
def pairs():
    """The three pairs, back in their normal state after each test (also when
    it failed): HAProxy and keepalived running, each VIP on its first host."""
    yield _pairs
    _pairs.restore()
