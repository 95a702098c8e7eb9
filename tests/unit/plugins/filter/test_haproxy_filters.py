"""The controller-side HAProxy filter calls the same code as the module."""

from __future__ import annotations

from collections import UserDict

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.filter.haproxy import FilterModule
from ansible_collections.halb.cluster.plugins.module_utils import _haproxy as h

from ..module_utils.test__haproxy import base

FILTERS = FilterModule().filters()


def test_to_haproxy_cfg_equals_module_rendering():
    assert FILTERS["to_haproxy_cfg"](base()) == h.render(base())


def test_to_haproxy_cfg_reports_the_variable():
    data = base()
    data["backends"][0]["servers"][0]["port"] = 0
    with pytest.raises(
        AnsibleFilterError,
        match=r"to_haproxy_cfg: haproxy_backends\[shop\]\.servers\[web1\]\.port: 0 is out of range",
    ):
        FILTERS["to_haproxy_cfg"](data)


def test_to_haproxy_cfg_accepts_lazy_mappings():
    data = base()
    data["global"] = UserDict(data["global"])
    data["frontends"] = tuple(data["frontends"])
    assert FILTERS["to_haproxy_cfg"](data) == h.render(base())
