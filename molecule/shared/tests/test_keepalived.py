"""Verify a keepalived pair on real VRRP, with real traffic from the controller.

Generous bounds: the point is correctness, the figures belong to `make bench`.
"""

from __future__ import annotations

import os
import time

import halb_pair as P
import pytest

PREEMPT = P.PREEMPT
TRACKS_WHOAMI = os.environ.get("HALB_TRACKS_WHOAMI", "0") == "1"
UNICAST = os.environ.get("HALB_UNICAST", "0") == "1"
FIRST, SECOND = P.HOSTS[0], P.HOSTS[1]


# --- the host, as the role left it ----------------------------------------


def test_keepalived_runs_enabled_on_both(nodes):
    for name, node in nodes.items():
        service = node.service("keepalived")
        assert service.is_running, name
        assert service.is_enabled, name


def test_config_is_root_owned_and_not_world_readable(nodes):
    for node in nodes.values():
        conf = node.file("/etc/keepalived/keepalived.conf")
        assert conf.user == "root" and conf.group == "root"
        assert conf.mode == 0o640
        assert "vrrp_instance VI_1" in conf.content_string


def test_script_user_is_unprivileged(nodes):
    for node in nodes.values():
        user = node.user("keepalived_script")
        assert user.exists
        assert user.shell in ("/usr/sbin/nologin", "/sbin/nologin")
        assert user.uid < 1000
        assert (
            "script_user keepalived_script"
            in node.file("/etc/keepalived/keepalived.conf").content_string
        )
        assert (
            "enable_script_security" in node.file("/etc/keepalived/keepalived.conf").content_string
        )


def test_systemd_drop_in_and_sysctl(nodes):
    for node in nodes.values():
        dropin = node.file("/etc/systemd/system/keepalived.service.d/50-halb.conf")
        assert dropin.exists and dropin.user == "root"
        assert (
            node.run("systemctl show -p Restart --value keepalived").stdout.strip() == "on-failure"
        )
        assert (
            "network-online.target" in node.run("systemctl show -p After --value keepalived").stdout
        )
        assert node.file("/etc/sysctl.d/60-halb-keepalived.conf").contains(
            "net.ipv4.ip_nonlocal_bind"
        )
        assert node.file("/proc/sys/net/ipv4/ip_nonlocal_bind").content_string.strip() == "1"
        if P.VIP6:
            assert node.file("/etc/sysctl.d/60-halb-keepalived.conf").contains(
                "net.ipv6.ip_nonlocal_bind"
            )


def test_scripts_are_root_owned_and_not_writable_by_the_script_user(nodes):
    for node in nodes.values():
        script = node.file("/usr/local/libexec/halb/notify-log")
        assert script.user == "root" and script.mode == 0o755


def test_priorities_follow_the_group_order(nodes):
    first = nodes[FIRST].file("/etc/keepalived/keepalived.conf").content_string
    second = nodes[SECOND].file("/etc/keepalived/keepalived.conf").content_string
    assert "priority 150" in first and "priority 140" in second
    if PREEMPT:
        assert "state MASTER" in first and "state BACKUP" in second
    else:
        assert "state BACKUP" in first and "nopreempt" in first


def test_unicast_peers_are_the_other_node(nodes):
    if not UNICAST:
        pytest.skip("multicast scenario")
    for name, node in nodes.items():
        conf = node.file("/etc/keepalived/keepalived.conf").content_string
        assert f"unicast_src_ip {P.ADDRESSES[name]}" in conf
        assert P.ADDRESSES[P.other(name)] in conf.split("unicast_peer {", 1)[1].split("}", 1)[0]


# --- real VRRP -------------------------------------------------------------


def test_exactly_one_node_holds_the_vip_and_it_answers(pair):
    holder = pair.normal_holder()
    if PREEMPT:
        assert holder == FIRST, "the first host of the group (highest priority) should hold the VIP"
    assert pair.never_two_holders(5) == 1
    assert pair.wait_for(pair.ask_vip, timeout=15, what="an HTTP answer on the VIP") == holder


def test_stopping_keepalived_moves_the_vip_and_preemption_is_as_configured(pair):
    holder = pair.normal_holder()
    backup = pair.other(holder)
    pair.sh(holder, "systemctl stop keepalived.service")
    pair.settled_holder(timeout=30, expect=backup)
    assert pair.wait_for(
        lambda: pair.ask_vip() == backup, timeout=15, what=f"{backup} answering on the VIP"
    )
    assert not pair.holds_vip(holder)

    pair.sh(holder, "systemctl start keepalived.service")
    if PREEMPT:
        # The returning master (higher priority) takes the VIP back.
        pair.settled_holder(timeout=30, expect=holder)
        assert pair.wait_for(
            lambda: pair.ask_vip() == holder, timeout=15, what=f"{holder} answering again"
        )
    else:
        # nopreempt: the VIP stays where it is, even for a higher priority.
        pair.wait_for(
            lambda: (
                "BACKUP"
                in pair.sh(holder, "journalctl -u keepalived -n 20 --no-pager", check=False)[1]
            ),
            timeout=30,
            what=f"{holder} to enter BACKUP",
        )
        time.sleep(5)
        assert pair.holders() == [backup]
        assert pair.ask_vip() == backup


def test_notify_hook_reports_the_new_state(pair):
    holder = pair.normal_holder()
    backup = pair.other(holder)
    since = pair.sh(backup, "date +%s")[1].strip()
    pair.sh(holder, "systemctl stop keepalived.service")
    pair.settled_holder(timeout=30, expect=backup)

    def logged():
        _rc, out = pair.sh(
            backup, f"journalctl -t halb-notify --since @{since} --no-pager -o cat", check=False
        )
        return out if "INSTANCE VI_1 MASTER" in out else None

    line = pair.wait_for(logged, timeout=20, what="the notify hook's journal line")
    assert "uid=" in line and "uid=0 " not in line, (
        "the hook must run as the unprivileged script user"
    )


def test_tracked_script_failure_moves_the_vip(pair):
    if not TRACKS_WHOAMI:
        pytest.skip("no tracked script in this scenario")
    holder = pair.normal_holder()
    backup = pair.other(holder)
    pair.sh(holder, "systemctl stop halb-whoami.service")
    pair.settled_holder(timeout=30, expect=backup)
    assert pair.wait_for(lambda: pair.ask_vip() == backup, timeout=15, what=f"{backup} answering")
    pair.sh(holder, "systemctl start halb-whoami.service")
    pair.settled_holder(timeout=30, expect=holder)


def test_pausing_the_master_node_moves_the_vip(pair):
    if not PREEMPT:
        pytest.skip("covered by the keepalived scenario")
    holder = pair.normal_holder()
    backup = pair.other(holder)
    pair.container(holder).pause()
    pair.settled_holder(timeout=30, skip=(holder,), expect=backup)
    assert pair.wait_for(lambda: pair.ask_vip() == backup, timeout=15, what=f"{backup} answering")
    pair.container(holder).unpause()
    pair.settled_holder(timeout=30, expect=holder)


def test_ipv6_vip_is_held_by_one_node_and_moves(pair):
    if not pair.VIP6:
        pytest.skip("no IPv6 instance in this scenario")
    holder = pair.normal_holder()
    v6 = pair.VIP6
    pair.wait_for(
        lambda: pair.holders(vip=v6) == [holder], timeout=30, what=f"{holder} alone holding {v6}"
    )
    assert (
        pair.wait_for(
            lambda: pair.ask_vip(vip=v6), timeout=15, what="an HTTP answer on the IPv6 VIP"
        )
        == holder
    )
    backup = pair.other(holder)
    pair.sh(holder, "systemctl stop keepalived.service")
    pair.wait_for(
        lambda: pair.holders(vip=v6) == [backup], timeout=30, what=f"{backup} taking {v6}"
    )
    assert pair.wait_for(
        lambda: pair.ask_vip(vip=v6) == backup, timeout=15, what=f"{backup} answering on {v6}"
    )
    pair.sh(holder, "systemctl start keepalived.service")
    if PREEMPT:
        pair.wait_for(
            lambda: pair.holders(vip=v6) == [holder], timeout=30, what=f"{holder} taking {v6} back"
        )
