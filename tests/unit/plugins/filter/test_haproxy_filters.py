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


def test_haproxy_config_check_lists_every_error_without_raising():
    data = base()
    data["backends"][0]["servers"][0]["port"] = 0
    data["frontends"][0]["default_backend"] = "nowhere"
    result = FILTERS["haproxy_config_check"](data)
    assert result["warnings"] == []
    assert any(
        e.startswith("haproxy_backends[shop].servers[web1].port: 0") for e in result["errors"]
    )
    assert any("nowhere" in e for e in result["errors"])


def test_haproxy_config_check_passes_warnings_and_hides_passwords():
    data = base()
    data["listens"][0]["stats"]["admin_cond"] = "if TRUE"
    data["listens"][0]["stats"]["auth"][0]["password"] = "pass word"
    result = FILTERS["haproxy_config_check"](data)
    assert result["errors"] and "pass word" not in "\n".join(result["errors"])
    del data["listens"][0]["stats"]["auth"]
    result = FILTERS["haproxy_config_check"](data)
    assert result["errors"] == []
    assert any("admin_cond: TRUE" in w for w in result["warnings"])


def test_haproxy_ports_lists_each_bound_port_once():
    ports = FILTERS["haproxy_ports"](base())
    assert [p["port"] for p in ports] == sorted({p["port"] for p in ports})
    assert all(p["protocol"] == "tcp" and p["proxies"] for p in ports)
    by_port = {p["port"]: p for p in ports}
    assert 80 in by_port and 443 in by_port
    assert by_port[80]["proxies"] == by_port[443]["proxies"]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1"])
def test_haproxy_ports_leaves_out_loopback_binds(address):
    """The health frontend (127.0.0.1:8405) needs no hole in the firewall; a
    port bound on loopback and elsewhere keeps its other address."""
    data = base()
    data["frontends"].append(
        {"name": "halb_health", "mode": "http", "binds": [{"address": address, "port": 8405}]}
    )
    data["frontends"][0]["binds"].append({"address": address, "port": 80})
    ports = {p["port"]: p for p in FILTERS["haproxy_ports"](data)}
    assert 8405 not in ports
    assert address not in ports[80]["addresses"] and ports[80]["addresses"]


def test_haproxy_ports_refuses_bad_data():
    data = base()
    data["frontends"][0]["binds"][0]["port"] = 70000
    with pytest.raises(AnsibleFilterError, match=r"haproxy_ports: haproxy_frontends\[www\]"):
        FILTERS["haproxy_ports"](data)


def test_haproxy_ports_carries_the_allowed_sources():
    ports = FILTERS["haproxy_ports"](base(), {"8404": ["10.0.0.0/8"]})
    by_port = {p["port"]: p for p in ports}
    assert by_port[8404]["sources"] == ["10.0.0.0/8"]
    assert by_port[80]["sources"] == []


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"name": "www", "certificate": "x"}], "haproxy_certificates[www].private_key: required"),
        (
            [{"name": "www", "certificate": "x", "private_key": "y", "self_signed": True}],
            "haproxy_certificates[www]: set exactly one source",
        ),
        ([{"name": "lab", "self_signed": True}], "haproxy_certificates[lab].common_name: required"),
        (
            [{"name": "www", "certificate_path": "/a", "private_key": "k"}],
            "haproxy_certificates[www]: set exactly one source",
        ),
        (
            [{"name": "www", "certificate": "x", "private_key": "y", "valid_days": 9}],
            "haproxy_certificates[www].valid_days: only used with self_signed",
        ),
        (
            [{"name": "a b", "self_signed": True, "common_name": "a"}],
            "haproxy_certificates[a b].name",
        ),
        ([{"certificate": "x"}], "haproxy_certificates[0].name: required"),
        ([{"name": "www", "crt": "x"}], "haproxy_certificates[www]: unknown key 'crt'"),
    ],
)
def test_haproxy_file_errors_names_the_entry(entries, message):
    errors = FILTERS["haproxy_file_errors"](entries, "haproxy_certificates")
    assert any(e.startswith(message) for e in errors), errors


def test_haproxy_file_errors_accepts_the_three_sources_and_ca_files():
    good = [
        {"name": "www", "certificate": "c", "chain": "i", "private_key": "k"},
        {"name": "api", "certificate_path": "/c", "chain_path": "/i", "private_key_path": "/k"},
        {"name": "lab", "self_signed": True, "common_name": "lab.example.test", "valid_days": 90},
    ]
    assert FILTERS["haproxy_file_errors"](good, "haproxy_certificates") == []
    cas = [{"name": "internal", "content": "pem"}, {"name": "other", "src": "files/ca.pem"}]
    assert FILTERS["haproxy_file_errors"](cas, "haproxy_ca_certificates", "ca") == []
    errors = FILTERS["haproxy_file_errors"]([{"name": "x"}], "haproxy_ca_certificates", "ca")
    assert errors == [
        "haproxy_ca_certificates[x]: set exactly one of content (PEM text) or src (a file)"
    ]


def test_weak_stats_password_refused_unless_allowed_by_the_switch():
    data = base()
    data["listens"][0]["stats"]["auth"][0]["password"] = "123456"
    result = FILTERS["haproxy_config_check"](data)
    assert any("stats.auth[admin].password: the password" in e for e in result["errors"])
    assert "123456" not in "\n".join(result["errors"])
    for switch in (True, "True", "yes"):
        result = FILTERS["haproxy_config_check"](data, switch)
        assert result["errors"] == []
        assert any("accepted because weak secrets are allowed" in w for w in result["warnings"])
    assert FILTERS["haproxy_config_check"](data, "false")["errors"]
    with pytest.raises(AnsibleFilterError, match="password"):
        FILTERS["to_haproxy_cfg"](data)
    assert "stats auth admin:123456" in FILTERS["to_haproxy_cfg"](data, True)


def test_haproxy_ports_names_the_sources_variable_and_takes_one_string():
    ports = FILTERS["haproxy_ports"](base(), {8404: "192.0.2.0/24"})
    assert next(p for p in ports if p["port"] == 8404)["sources"] == ["192.0.2.0/24"]
    with pytest.raises(
        AnsibleFilterError, match=r"haproxy_stats_allowed_networks: expected a list, got int"
    ):
        FILTERS["haproxy_ports"](base(), {8404: 8}, "haproxy_stats_allowed_networks")


@pytest.mark.parametrize("entries", [1.5, "x", [None], [{"name": "a", "valid_days": [1]}]])
def test_haproxy_file_errors_never_raise(entries):
    errors = FILTERS["haproxy_file_errors"](entries, "haproxy_certificates")
    assert errors and all(e.startswith("haproxy_certificates") for e in errors)
    assert not any("internal error" in e for e in errors)
