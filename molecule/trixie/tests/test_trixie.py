"""The whole stack on Debian 13 (trixie), with fewer steps than default.

The roles are the same on Debian 12 and 13 (no vars/ of their own for
trixie), so what needs proving here is that trixie's daemons behave as the
roles expect: HAProxy 3.0 serves on the VIP and logs through rsyslog,
keepalived 2.3 keeps one holder, moves the VIP when HAProxy stops and mails
the alert, and firewalld 2.3 (nftables) lets VRRP through. These tests are the
default scenario's own, imported from molecule/default/tests (the fixtures
too, see conftest.py), plus two checks of the platform itself.

Left to default (same roles, same code paths; each costs a minute or more):
the fast profile, the partition / link / backends / docker-stop heals
(test_heal.py), killing and pausing the master, keepalived_info when stopped,
server_state drain/ready, the rolling restart (a few minutes under load)."""

from __future__ import annotations

import os

# The default scenario's tests, collected here as if written here.
from test_day_two import (  # noqa: F401 # pylint: disable=unused-import
    test_keepalived_info_says_who_is_master_and_holds_the_vip,
)
from test_stack import (  # noqa: F401 # pylint: disable=unused-import
    test_haproxy_log_lines_land_in_the_rsyslog_files,
    test_https_on_the_vip_answers_with_the_self_signed_certificate,
    test_requests_to_the_vip_are_spread_over_both_web_servers,
    test_stopping_haproxy_on_the_master_moves_the_vip_and_mails_the_alert,
    test_the_failover_drill_reports_the_outage,
    test_the_stats_page_wants_the_password_and_shows_both_servers_up,
)

LBS = os.environ["HALB_LBS"].split(",")


def test_the_pair_runs_debian_13_with_its_versions_of_the_daemons(nodes):
    for host in LBS:
        node = nodes[host]
        assert node.file("/etc/debian_version").content_string.startswith("13."), host
        assert node.package("haproxy").version.startswith("3.0."), host
        assert node.package("keepalived").version.startswith("1:2.3."), host
        assert node.package("firewalld").version.startswith("2."), host
        assert node.service("haproxy").is_running and node.service("keepalived").is_running


def test_firewalld_runs_and_lets_vrrp_through_so_one_node_holds_the_vip(pair, nodes):
    """firewalld 2.x (nftables) on both nodes: its default zone would drop the
    adverts (both nodes MASTER); the role's rule lets them through."""
    for host in LBS:
        assert nodes[host].check_output("firewall-cmd --state") == "running", host
        rules = nodes[host].check_output("firewall-cmd --list-rich-rules")
        assert 'protocol value="vrrp"' in rules, (host, rules)
    pair.normal_holder()
    assert pair.never_two_holders(8) == 1
