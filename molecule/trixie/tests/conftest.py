"""Fixtures for the verify step of the trixie scenario: the default scenario's
(``pair``, ``nodes``), loaded from its conftest, not copied, so the two
scenarios put the pair back the same way after each test."""

from __future__ import annotations

import importlib.util
import os

_DEFAULT = os.path.join(os.path.dirname(__file__), "..", "..", "default", "tests", "conftest.py")
_spec = importlib.util.spec_from_file_location("halb_default_conftest", _DEFAULT)
_default = importlib.util.module_from_spec(_spec)
# Its import also puts default's tests and the shared helpers on sys.path,
# which test_trixie.py imports from.
_spec.loader.exec_module(_default)

nodes = _default.nodes
pair = _default.pair
