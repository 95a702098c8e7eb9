"""Fixtures for the verify step of the haproxy scenario."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# halb_common: docker exec and ansible-playbook helpers shared with the keepalived verifier.
sys.path.insert(1, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tests"))

import halb_lb  # noqa: E402


@pytest.fixture
def lb():
    """The load balancer, with both web servers running and every server READY
    again after each test (also when it failed)."""
    yield halb_lb
    for web in halb_lb.WEBS:
        halb_lb.sh(web, "systemctl start nginx", check=False)
    for server in ("web1", "web2"):
        halb_lb.api(f"set server be_web/{server} state ready")
    halb_lb.wait_for(
        what="both web servers UP again",
        predicate=lambda: all(
            halb_lb.stat("be_web", s)["status"] == "UP" for s in ("web1", "web2")
        ),
    )
