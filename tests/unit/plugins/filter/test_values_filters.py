"""The value_errors filter: role variables checked by kind on the controller."""

from __future__ import annotations

from ansible_collections.halb.cluster.plugins.filter.values import FilterModule


def test_filter_names_the_variable():
    value_errors = FilterModule().filters()["value_errors"]
    assert value_errors({"haproxy_scripts_dir": ["directory", "/usr/local/libexec/halb"]}) == []
    errs = value_errors({"haproxy_master_socket": ["path", "/run/x.sock\nExecStartPre=/x"]})
    assert len(errs) == 1 and errs[0].startswith("haproxy_master_socket: ")
