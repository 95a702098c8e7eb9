"""Fixtures for the verify step of the mailx_notify scenario."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# halb_common: docker exec and ansible-playbook helpers shared by every verifier.
sys.path.insert(1, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tests"))

import halb_mail  # noqa: E402


@pytest.fixture
def mail():
    """The scenario, with the relay and keepalived running again after each
    test (also when it failed)."""
    yield halb_mail
    halb_mail.sh(halb_mail.RELAY, "systemctl start halb-relay.service", check=False)
    for lb in halb_mail.LBS:
        halb_mail.sh(lb, "systemctl start keepalived.service", check=False)
