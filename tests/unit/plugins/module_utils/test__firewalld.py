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


# --- The host side (the firewalld_rules module's logic). -------------------

# firewall-cmd --list-all-zones of firewalld 1.3.3 (Debian 12), shortened.
LISTING = """block
  target: %%REJECT%%
  icmp-block-inversion: no
  interfaces: 
  sources: 
  services: 
  ports: 
  protocols: 
  rich rules: 

public (active)
  target: default
  icmp-block-inversion: no
  interfaces: eth0 eth1
  sources: 
  services: dhcpv6-client ssh
  ports: 80/tcp 443/tcp
  protocols: 
  forward: no
  rich rules: 
\trule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept
\trule family="ipv4" source address="172.30.75.8/29" port port="8404" protocol="tcp" accept

trusted (default)
  target: ACCEPT
  interfaces: 
  services: 
  ports: 
  rich rules: 
"""  # noqa: W291
VRRP4 = 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'
STATS = 'rule family="ipv4" source address="172.30.75.8/29" port port="8404" protocol="tcp" accept'


def test_zone_listing_is_read():
    listing = _firewalld.parse_zone_listing(LISTING)
    assert listing["default"] == "trusted"
    assert sorted(listing["zones"]) == ["block", "public", "trusted"]
    public = listing["zones"]["public"]
    assert public == {
        "interfaces": ["eth0", "eth1"],
        "service": ["dhcpv6-client", "ssh"],
        "port": ["80/tcp", "443/tcp"],
        "rich_rule": [VRRP4, STATS],
    }
    assert listing["zones"]["block"]["rich_rule"] == []
    assert _firewalld.bindings(listing) == {"eth0": "public", "eth1": "public"}
    assert _firewalld.parse_zone_listing("") == {"default": None, "zones": {}}


def test_active_zones_are_read():
    text = "public\n  interfaces: eth0\ntrusted\n  sources: 10.0.0.0/8\n  interfaces: eth1 eth2\n"
    assert _firewalld.parse_active_zones(text) == {
        "eth0": "public",
        "eth1": "trusted",
        "eth2": "trusted",
    }
    assert _firewalld.parse_active_zones("") == {}


def test_changes_add_what_is_missing_and_remove_only_stale_entries_present():
    listing = _firewalld.parse_zone_listing(LISTING)
    wanted = [
        {"zone": "public", "rich_rule": VRRP4},  # there
        {"zone": "public", "port": "8404/tcp"},  # missing
        {"zone": "trusted", "service": "http"},  # missing
    ]
    stale = [
        {"zone": "public", "port": "443/tcp"},  # there: removed
        {"zone": "public", "port": "8118/tcp"},  # gone already
        {"zone": "gone", "port": "80/tcp"},  # its zone is gone
    ]
    todo = _firewalld.changes(listing, wanted, stale)
    assert todo == {
        "public": {"remove": [stale[0]], "add": [wanted[1]]},
        "trusted": {"remove": [], "add": [wanted[2]]},
    }
    assert _firewalld.zone_arguments("public", todo["public"]) == [
        ["--zone=public", "--remove-port=443/tcp"],
        ["--zone=public", "--add-port=8404/tcp"],
    ]
    gone = {"remove": [{"zone": "dmz", "service": "http"}], "add": []}
    assert _firewalld.zone_arguments("dmz", gone) == [["--zone=dmz", "--remove-service=http"]]
    assert _firewalld.zone_arguments("dmz", gone, offline=True) == [
        ["--zone=dmz", "--remove-service-from-zone=http"]
    ]
    many = {"remove": [], "add": [*wanted[:2], {"zone": "public", "rich_rule": STATS}]}
    # Rich rules together, ports apart: firewall-cmd refuses --add-port beside --add-rich-rule.
    assert _firewalld.zone_arguments("public", many) == [
        ["--zone=public", f"--add-rich-rule={VRRP4}", f"--add-rich-rule={STATS}"],
        ["--zone=public", "--add-port=8404/tcp"],
    ]
    after = _firewalld.apply_changes(listing, todo)
    assert _firewalld.changes(after, wanted, stale) == {}
    assert _firewalld.zone_lines(after, "public") == (
        f"service dhcpv6-client\nservice ssh\nport 80/tcp\nport 8404/tcp\n{VRRP4}\n{STATS}\n"
    )
    assert listing["zones"]["public"]["port"] == ["80/tcp", "443/tcp"]  # not changed in place


def test_the_record_is_written_as_ansibles_to_nice_json():
    from ansible.plugins.filter.core import to_nice_json

    wanted = _firewalld.rules(GOOD, ZONES)
    assert _firewalld.record_text(wanted) == to_nice_json(wanted) + "\n"


@pytest.mark.parametrize(
    "entry",
    [
        {"zone": "public", "port": "80/tcp --add-masquerade"},
        {"zone": "public", "port": "80/tcp", "service": "ssh"},
        {"zone": "pub lic", "port": "80/tcp"},
        {"zone": "public", "rich_rule": 'rule family="ipv4"\naccept'},
        {"zone": "public", "rich_rule": "--add-masquerade"},
        {"zone": "public", "service": "-x"},
        {"zone": "public", "source": "10.0.0.0/8"},
        {"zone": "public", "port": 80},
        "public:80/tcp",
        None,
    ],
)
def test_a_record_the_role_never_writes_is_refused(entry):
    good = {"zone": "public", "port": "80/tcp"}
    with pytest.raises(_firewalld.FirewalldConfigError) as exc:
        _firewalld.record_entries([good, entry])
    assert exc.value.errors[0].startswith("firewalld_state_file[1]: ")
    with pytest.raises(_firewalld.FirewalldConfigError):
        _firewalld.record_entries({"zone": "public"})


def test_the_role_s_own_record_is_accepted():
    wanted = _firewalld.rules(GOOD, ZONES)
    assert _firewalld.record_entries(wanted + wanted) == wanted
    assert _firewalld.record_entries(None) == []


def test_pruning_a_list_not_known_is_refused_per_list():
    stale = [
        {"zone": "public", "rich_rule": VRRP4},
        {"zone": "public", "port": "80/tcp"},
        {"zone": "public", "rich_rule": STATS},
        {"zone": "public", "service": "http"},
    ]
    assert _firewalld.unknown_removals(stale, {"vrrp": True, "ports": True}) == []
    (vrrp,) = _firewalld.unknown_removals(stale, {"vrrp": False, "ports": True})
    assert vrrp.startswith("firewalld_vrrp: not known here (no keepalived_firewalld_vrrp from ")
    assert f"on this host: public: {VRRP4}. Run halb.cluster.keepalived" in vrrp
    (ports,) = _firewalld.unknown_removals(stale, {"vrrp": True, "ports": False})
    assert f"on this host: public: 80/tcp; public: {STATS}. Run halb.cluster.haproxy" in ports
    assert _firewalld.unknown_removals(stale[3:], {"vrrp": False, "ports": False}) == []


@pytest.mark.parametrize(
    ("props", "enabled", "state", "expected"),
    [
        ({"LoadState": "masked", "UnitFileState": "masked", "ActiveState": "inactive"},
         True, "started", ["unmask", "enable", "start"]),
        ({"LoadState": "loaded", "UnitFileState": "enabled", "ActiveState": "active"},
         True, "started", []),
        ({"LoadState": "loaded", "UnitFileState": "enabled", "ActiveState": "active"},
         False, "stopped", ["disable", "stop"]),
        ({"LoadState": "loaded", "UnitFileState": "disabled", "ActiveState": "failed"},
         True, "started", ["enable", "start"]),
        ({"LoadState": "loaded", "UnitFileState": "disabled", "ActiveState": "inactive"},
         False, "stopped", []),
        ({"LoadState": "masked", "UnitFileState": "masked", "ActiveState": "inactive"},
         None, None, ["unmask"]),
    ],
)  # fmt: skip
def test_service_commands(props, enabled, state, expected):
    commands = _firewalld.service_commands(props, enabled, state)
    assert [c[0] for c in commands] == expected
