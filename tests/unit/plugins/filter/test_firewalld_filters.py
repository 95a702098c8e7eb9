"""The firewalld role's checks and rules: each bad value is named with what is
allowed; VRRP becomes rich rules to the multicast group or from the peers."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.filter.firewalld import FilterModule
from ansible_collections.halb.cluster.plugins.filter.haproxy import FilterModule as HAProxy

F = FilterModule().filters()
CHECK = F["firewalld_errors"]
RULES = F["firewalld_rules"]
REPORT = F["firewalld_zone_report"](
    "tool=firewall-cmd\ndefault=public\nzones=block dmz drop external home internal public "
    "trusted work\ninterface.eth0=\ninterface.eth1=internal\n"
)


def good(**changes):
    values = {
        "firewalld_zone": None,
        "firewalld_vrrp_zone": None,
        "firewalld_vrrp": [
            {
                "interface": "eth0",
                "family": 4,
                "protocols": ["vrrp"],
                "destination": "224.0.0.18",
                "sources": [],
                "instances": ["VI_1"],
            }
        ],
        "firewalld_ports": [
            {"port": 80, "protocol": "tcp", "proxies": ["web"], "addresses": ["*"], "sources": []},
            {"port": 8404, "protocol": "tcp", "sources": ["192.0.2.0/24", "2001:db8::/64"]},
        ],
        "firewalld_services": ["ssh"],
        "firewalld_prune": True,
        "firewalld_enabled": True,
        "firewalld_state": "started",
    }
    values.update(changes)
    return values


def test_the_zone_report_is_read():
    assert REPORT == {
        "default": "public",
        "zones": [
            "block",
            "dmz",
            "drop",
            "external",
            "home",
            "internal",
            "public",
            "trusted",
            "work",
        ],
        "interfaces": {"eth0": None, "eth1": "internal"},
    }


def test_good_values_give_multicast_vrrp_ports_and_services():
    assert CHECK(good()) == []
    assert RULES(good(), REPORT) == [
        {
            "zone": "public",
            "rich_rule": 'rule family="ipv4" destination address="224.0.0.18" '
            'protocol value="vrrp" accept',
        },
        {"zone": "public", "port": "80/tcp"},
        {
            "zone": "public",
            "rich_rule": 'rule family="ipv4" source address="192.0.2.0/24" '
            'port port="8404" protocol="tcp" accept',
        },
        {
            "zone": "public",
            "rich_rule": 'rule family="ipv6" source address="2001:db8::/64" '
            'port port="8404" protocol="tcp" accept',
        },
        {"zone": "public", "service": "ssh"},
    ]


def test_unicast_peers_with_ah_in_the_interface_zone():
    vrrp = [
        {
            "interface": "eth1",
            "sources": ["198.51.100.12", "198.51.100.13"],
            "protocols": ["vrrp", "ah"],
        }
    ]
    rules = RULES(good(firewalld_vrrp=vrrp, firewalld_ports=[], firewalld_services=[]), REPORT)
    assert rules == [
        {"zone": "internal", "rich_rule": f'rule family="ipv4" source address="{peer}" '
         f'protocol value="{proto}" accept'}
        for proto in ("vrrp", "ah")
        for peer in ("198.51.100.12", "198.51.100.13")
    ]  # fmt: skip


def test_explicit_zones_win_and_ipv6_defaults_to_its_group():
    values = good(
        firewalld_zone="dmz",
        firewalld_vrrp_zone="trusted",
        firewalld_vrrp=[{"interface": "eth1", "family": 6}],
        firewalld_ports=[443],
        firewalld_services=[],
    )
    assert RULES(values, REPORT) == [
        {
            "zone": "trusted",
            "rich_rule": 'rule family="ipv6" destination address="ff02::12" '
            'protocol value="vrrp" accept',
        },
        {"zone": "dmz", "port": "443/tcp"},
    ]


def test_haproxy_export_feeds_the_ports():
    config = {
        "frontends": [
            {
                "name": "web",
                "binds": [{"port": 80}, {"port": 443, "ssl": True, "crt": "/etc/haproxy/certs/www.pem"}],
                "default_backend": "web",
            }
        ],
        "backends": [{"name": "web", "servers": [{"name": "w1", "address": "192.0.2.21", "port": 8000}]}],
    }  # fmt: skip
    ports = HAProxy().filters()["haproxy_ports"](config, {443: ["10.0.0.0/8"]})
    rules = RULES(good(firewalld_ports=ports, firewalld_vrrp=[], firewalld_services=[]), REPORT)
    assert rules == [
        {"zone": "public", "port": "80/tcp"},
        {
            "zone": "public",
            "rich_rule": 'rule family="ipv4" source address="10.0.0.0/8" '
            'port port="443" protocol="tcp" accept',
        },
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"firewalld_zone": "no such zone"}, "firewalld_zone: 'no such zone' is not a firewalld zone"),
        ({"firewalld_vrrp_zone": "x" * 18}, "firewalld_vrrp_zone: 'xxxxxxxxxxxxxxxxxx' is not"),
        ({"firewalld_ports": [{"port": 0}]}, "firewalld_ports[0].port: 0 is out of range 1-65535"),
        ({"firewalld_ports": [70000]}, "firewalld_ports[0].port: 70000 is out of range 1-65535"),
        ({"firewalld_ports": [{"port": "http"}]}, "firewalld_ports[0].port: 'http' is not a whole number"),
        ({"firewalld_ports": [{}]}, "firewalld_ports[0].port: required (1-65535)"),
        ({"firewalld_ports": [{"port": 80, "protocol": "icmp"}]},
         "firewalld_ports[0].protocol: 'icmp' is not allowed (allowed: tcp, udp, sctp)"),
        ({"firewalld_ports": [{"port": 8404, "sources": ["10.0.0.0/33"]}]},
         "firewalld_ports[0].sources[0]: '10.0.0.0/33' is not an IP address or network in CIDR"),
        ({"firewalld_ports": [{"port": 8404, "sources": ["10.0.0.1/8"]}]},
         "firewalld_ports[0].sources[0]: 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?"),
        ({"firewalld_ports": [{"port": 8404, "sources": "10.0.0.0/8"}]},
         "firewalld_ports[0].sources: expected a list, got str"),
        ({"firewalld_ports": [80, {"port": 80}]}, "firewalld_ports[1]: 80/tcp is listed twice"),
        ({"firewalld_ports": [{"port": 80, "source": []}]}, "firewalld_ports[0]: unknown key 'source'; did you mean 'sources'?"),
        ({"firewalld_vrrp": [{"interface": "eth0", "protocols": ["vrrp", "esp"]}]},
         "firewalld_vrrp[0].protocols[1]: 'esp' is not allowed (allowed: vrrp, ah)"),
        ({"firewalld_vrrp": [{"interface": "eth0", "protocols": ["ah"]}]},
         "firewalld_vrrp[0].protocols: must contain vrrp"),
        ({"firewalld_vrrp": [{"interface": "eth0", "destination": "10.0.0.1"}]},
         "firewalld_vrrp[0].destination: 10.0.0.1 is not a multicast address"),
        ({"firewalld_vrrp": [{"interface": "eth0", "destination": "224.0.0.18", "sources": ["10.0.0.2"]}]},
         "firewalld_vrrp[0]: give destination (multicast VRRP) or sources"),
        ({"firewalld_vrrp": [{"interface": "eth0", "sources": ["10.0.0.2", "fd00::2"]}]},
         "firewalld_vrrp[0].sources: mixes IPv4 and IPv6"),
        ({"firewalld_vrrp": [{"interface": "eth0", "family": 6, "sources": ["10.0.0.2"]}]},
         "firewalld_vrrp[0].family: 6 does not match the addresses given"),
        ({"firewalld_vrrp": [{"destination": "224.0.0.18"}]},
         "firewalld_vrrp[0].interface: None is not an interface name (required)"),
        ({"firewalld_services": ["ssh; rm"]}, "firewalld_services[0]: 'ssh; rm' is not a firewalld service"),
        ({"firewalld_prune": "maybe"}, "firewalld_prune: 'maybe' is not a boolean (allowed: true, false)"),
        ({"firewalld_state": "restarted"}, "firewalld_state: 'restarted' is not allowed (allowed: started, stopped)"),
    ],
)  # fmt: skip
def test_bad_values_are_named(changes, message):
    errors = CHECK(good(**changes))
    assert any(e.startswith(message) for e in errors), errors


def test_unknown_zones_name_the_variable_and_the_host_zones():
    errors = CHECK(good(firewalld_zone="dmzz", firewalld_vrrp_zone="internal"), REPORT)
    assert errors == [
        "firewalld_zone: zone 'dmzz' does not exist on this host (allowed: block, dmz, drop, "
        "external, home, internal, public, trusted, work; or null for the default zone 'public')"
    ]


def test_rules_refuse_bad_values():
    with pytest.raises(AnsibleFilterError, match=r"firewalld_ports\[0\]\.port"):
        RULES(good(firewalld_ports=[0]), REPORT)


def test_stale_entries_are_the_earlier_ones_no_longer_wanted():
    wanted = RULES(good(), REPORT)
    earlier = [*wanted, {"zone": "public", "port": "8080/tcp"}, "junk"]
    assert F["firewalld_stale"](earlier, wanted) == [{"zone": "public", "port": "8080/tcp"}]
    assert F["firewalld_stale"](None, wanted) == []
