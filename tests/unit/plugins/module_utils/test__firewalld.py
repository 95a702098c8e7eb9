"""The firewalld model: hostile input is refused by name and never crashes;
every string that reaches a rich rule is canonical."""

from __future__ import annotations

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _firewalld

GOOD = {
    "firewalld_zone": None,
    "firewalld_vrrp_zone": None,
    "firewalld_vrrp": [
        {"interface": "eth0", "destination": "224.0.0.18"},
        {"interface": "eth1", "sources": ["192.0.2.11", "192.0.2.12"]},
    ],
    "firewalld_ports": [80, {"port": 8404, "sources": ["198.51.100.0/24"]}],
    "firewalld_services": ["ssh"],
    "firewalld_prune": True,
    "firewalld_enabled": True,
    "firewalld_state": "started",
    "firewalld_state_file": "/var/lib/halb/firewalld-rules.json",
}
ZONES = {"default": "public", "zones": ["public", "trusted"], "interfaces": {}}

JUNK = [
    None, True, 0, -1, 2.5, "", " ", "x" * 5000, "a\nb", "a\u2028b", "a\x85b",
    "fe80::1%eth0", "fe80::1%eth0\" accept'\nrule", [], [None], [[[]]], {}, {"a": {"b": [1]}},
    ["x" * 5000], {"x" * 5000: 1},
]  # fmt: skip


def bad(**changes):
    return dict(GOOD, **changes)


def test_the_good_values_make_rules():
    assert _firewalld.errors(GOOD) == []
    rules = _firewalld.rules(GOOD, ZONES)
    assert {"zone": "public", "service": "ssh"} in rules
    assert any('source address="192.0.2.11"' in r.get("rich_rule", "") for r in rules)


@pytest.mark.parametrize("var", sorted(GOOD))
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_any_json_value_gives_messages_never_an_exception(var, junk):
    values = bad(**{var: junk})
    errs = _firewalld.errors(values)
    assert isinstance(errs, list)
    for message in errs:
        assert "\n" not in message and len(message) < 400, message
        assert "internal error" not in message
    if errs:
        with pytest.raises(_firewalld.FirewalldConfigError):
            _firewalld.rules(values, ZONES)
    else:
        for rule in _firewalld.rules(values, ZONES):
            assert all("\n" not in str(v) and "%" not in str(v) for v in rule.values())


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_inside_the_lists(junk):
    for values in (
        bad(firewalld_vrrp=[junk]),
        bad(firewalld_vrrp=[{"interface": junk, "destination": "224.0.0.18"}]),
        bad(firewalld_vrrp=[{"interface": "eth0", "sources": [junk]}]),
        bad(firewalld_vrrp=[{"interface": "eth0", "destination": junk}]),
        bad(firewalld_vrrp=[{"interface": "eth0", "protocols": [junk]}]),
        bad(firewalld_ports=[junk]),
        bad(firewalld_ports=[{"port": junk}]),
        bad(firewalld_ports=[{"port": 80, "sources": [junk]}]),
        bad(firewalld_ports=[{"port": 80, "protocol": junk}]),
        bad(firewalld_services=[junk]),
    ):
        errs = _firewalld.errors(values)
        assert all("\n" not in e and len(e) < 400 for e in errs), errs
    assert _firewalld.errors(junk) or isinstance(junk, dict)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"firewalld_vrrp": [{"interface": "eth0", "sources": ["fe80::1%eth0"]}]},
            "firewalld_vrrp[0].sources[0]: 'fe80::1%eth0' is not a network; a zone ID",
        ),
        (
            {"firewalld_ports": [{"port": 80, "sources": ["fe80::1%x\" accept'"]}]},
            "firewalld_ports[0].sources[0]: ",
        ),
        (
            {"firewalld_ports": [{"port": 80, "sources": ["192.0.2.0/24\n"]}]},
            "firewalld_ports[0].sources[0]: line breaks",
        ),
        (
            {"firewalld_vrrp": [{"interface": "eth0", "destination": "ff02::12%eth0"}]},
            "firewalld_vrrp[0].destination: 'ff02::12%eth0' is not an IP address",
        ),
        ({"firewalld_zone": "public\n"}, "firewalld_zone: 'public\\n' is not a firewalld zone"),
        (
            {"firewalld_vrrp": [{"interface": "eth0;reboot", "destination": "224.0.0.18"}]},
            "firewalld_vrrp[0].interface: 'eth0;reboot' is not an interface name",
        ),
        ({"firewalld_services": ["ssh\u2028http"]}, "firewalld_services[0]: 'ssh\\u2028http'"),
        ({"firewalld_ports": [{"port": 80, "x" * 5000: 1}]}, "firewalld_ports[0]: unknown key"),
        ({"firewalld_state_file": "rules.json"}, "firewalld_state_file: 'rules.json' is not"),
    ],
)
def test_injections_are_refused_by_name(changes, message):
    errs = _firewalld.errors(bad(**changes))
    assert any(e.startswith(message) for e in errs), errs
    assert all(len(e) < 400 for e in errs)


def test_addresses_in_rules_are_canonical():
    values = bad(
        firewalld_vrrp=[{"interface": "eth0", "sources": ["2001:DB8:0::11"]}],
        firewalld_ports=[{"port": 8404, "sources": ["2001:DB8::/64"]}],
    )
    text = " ".join(r.get("rich_rule", "") for r in _firewalld.rules(values, ZONES))
    assert 'source address="2001:db8::11"' in text and 'address="2001:db8::/64"' in text
    assert "DB8" not in text
