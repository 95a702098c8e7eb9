"""firewalld on a real VRRP pair: VRRP gets through (or both nodes take the
VIP), HAProxy's port is open, the stats port only to its network, the rest
closed. Real traffic from the controller (the network's gateway, outside the
stats network); firewall state read with firewall-cmd in the containers."""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import shlex
import socket
import subprocess
import sys
import urllib.request

import halb_common

HERE = pathlib.Path(__file__).resolve().parent.parent
ZONE = "public"
MULTICAST4 = 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'
MULTICAST6 = 'rule family="ipv6" destination address="ff02::12" protocol value="vrrp" accept'
STATS_RULE = (
    'rule family="ipv4" source address="172.30.75.8/29" port port="8404" protocol="tcp" accept'
)
BAD_INPUT_CASES = 13


def rich_rules(pair, host, permanent=False):
    flag = "--permanent " if permanent else ""
    return set(pair.sh(host, f"firewall-cmd {flag}--zone={ZONE} --list-rich-rules")[1].splitlines())


def firewall(pair, host, what, permanent=False):
    flag = "--permanent " if permanent else ""
    return pair.sh(host, f"firewall-cmd {flag}--zone={ZONE} --list-{what}")[1].split()


def connects(address, port, timeout=3.0):
    """Whether a TCP connection from the controller gets through."""
    try:
        socket.create_connection((address, port), timeout=timeout).close()
    except OSError:
        return False
    return True


def get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode().strip()


def answer(url, timeout=2.0):
    """The body of a GET, or None when nothing answers."""
    try:
        return get(url, timeout)[1]
    except OSError:
        return None


def converge(*options):
    # Not watched for two holders: the tests' converges change the VRRP mode.
    proc = halb_common.playbook(HERE / "converge.yml", "-e", "halb_watch_holders=false", *options)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return proc


def both_hold(pair):
    return halb_common.wait_for(
        lambda: len(pair.holders()) == 2, timeout=30, what="both nodes holding the VIP"
    )


def test_firewalld_runs_with_the_rules_permanent_and_immediate(pair):
    for host in pair.HOSTS:
        assert pair.sh(host, "firewall-cmd --state")[1].strip() == "running"
        assert pair.sh(host, "systemctl is-enabled firewalld")[1].strip() == "enabled"
        runtime = rich_rules(pair, host)
        assert runtime == rich_rules(pair, host, permanent=True)
        assert {MULTICAST4, MULTICAST6, STATS_RULE} <= runtime
        assert "80/tcp" in firewall(pair, host, "ports")
        assert "80/tcp" in firewall(pair, host, "ports", permanent=True)
        # The stats port is open through its rich rule only, 8080 not at all.
        assert not {"8404/tcp", "8080/tcp"} & set(firewall(pair, host, "ports"))
        record = json.loads(pair.sh(host, "cat /var/lib/halb/firewalld-rules.json")[1])
        assert {"zone": ZONE, "port": "80/tcp"} in record
        assert {"zone": ZONE, "rich_rule": MULTICAST4} in record


def test_one_node_holds_each_vip(pair):
    assert pair.settled_holder(expect=pair.HOSTS[0]) == pair.HOSTS[0]
    halb_common.wait_for(
        lambda: pair.holders(vip=pair.VIP6) == [pair.HOSTS[0]],
        timeout=30,
        what="lb1 alone holding the IPv6 VIP (VRRPv3 to ff02::12)",
    )


def test_haproxy_answers_on_the_vip_and_other_ports_stay_closed(pair):
    assert get(f"http://{pair.VIP}/") == (200, pair.HOSTS[0])
    # The whoami responder listens on :8080 (it answers inside the node), but
    # the firewall does not let the controller reach it.
    assert pair.sh(pair.HOSTS[0], "python3 -c \"import urllib.request as u; "
                   "print(u.urlopen('http://127.0.0.1:8080/', timeout=5).status)\"")[1].strip() == "200"  # fmt: skip
    assert not connects(pair.VIP, 8080)
    assert not connects(pair.ADDRESSES[pair.HOSTS[1]], 8080)


def test_stats_port_only_from_its_network(pair):
    lb1, lb2 = pair.HOSTS
    # From the controller (172.30.75.1, outside 172.30.75.8/29): refused.
    assert not connects(pair.ADDRESSES[lb1], 8404)
    assert connects(pair.ADDRESSES[lb1], 80)
    # From lb2 (172.30.75.12, inside): the page answers, and with the password, 200.
    token = base64.b64encode(f"admin:{os.environ['HALB_STATS_PASSWORD']}".encode())
    script = (
        "import urllib.request as u; "
        f"r = u.Request('http://{pair.ADDRESSES[lb1]}:8404/stats', "
        f"headers={{'Authorization': 'Basic {token.decode()}'}}); "
        "print(u.urlopen(r, timeout=5).status)"
    )
    assert pair.sh(lb2, f"python3 -c {shlex.quote(script)}")[1].strip() == "200"


def test_without_the_vrrp_rule_both_take_the_vip_and_reload_restores_one(pair):
    lb1 = pair.HOSTS[0]
    assert pair.settled_holder(expect=lb1) == lb1
    for host in pair.HOSTS:
        pair.sh(host, f"firewall-cmd --zone={ZONE} --remove-rich-rule={shlex.quote(MULTICAST4)}")
    both_hold(pair)  # split brain: each node drops the other's adverts
    for host in pair.HOSTS:
        pair.sh(host, "firewall-cmd --reload")  # the permanent rules come back
    assert pair.settled_holder(expect=lb1, timeout=30, stable_for=5) == lb1
    assert pair.never_two_holders(3) == 1
    # lb1 stayed MASTER all along, so it sent no new gratuitous ARP of its own
    # accord; the controller may still send to lb2's MAC (learnt while lb2
    # held the VIP) until its ARP entry is refreshed.
    halb_common.wait_for(
        lambda: answer(f"http://{pair.VIP}/") == lb1,
        timeout=90,
        interval=1,
        what="the VIP answering from lb1 again",
    )


def test_unicast_lets_vrrp_in_from_the_peer_only(pair):
    # No split-brain demonstration here: unicast adverts travel between the
    # same two addresses both ways, so once both nodes send, each node's
    # adverts match the other's outbound conntrack flow and pass as
    # ESTABLISHED even without the rule (seen on this pair). The rule is what
    # lets a BACKUP that never sends hear the MASTER.
    lb1, lb2 = pair.HOSTS
    peer_rule = {
        host: f'rule family="ipv4" source address="{pair.ADDRESSES[pair.other(host)]}" '
        'protocol value="vrrp" accept'
        for host in pair.HOSTS
    }
    try:
        converge("-e", "keepalived_unicast=true")
        for host in pair.HOSTS:
            rules = rich_rules(pair, host)
            assert peer_rule[host] in rules
            assert rules == rich_rules(pair, host, permanent=True)
            # The multicast rules of the earlier run are pruned.
            assert not {MULTICAST4, MULTICAST6} & rules
            conf = pair.sh(host, "cat /etc/keepalived/keepalived.conf")[1]
            assert pair.ADDRESSES[pair.other(host)] in conf and "unicast_peer" in conf
        for host in pair.HOSTS:
            # Forget tracked VRRP flows: only the rules decide from here on.
            pair.sh(host, "firewall-cmd --reload && conntrack -D -p 112 || true")
        assert pair.settled_holder(expect=lb1, stable_for=5) == lb1
        # A fail-over and the way back, through the firewall, by unicast.
        pair.sh(lb1, "systemctl stop keepalived")
        assert pair.settled_holder(expect=lb2) == lb2
        pair.sh(lb1, "systemctl start keepalived")
        assert pair.settled_holder(expect=lb1) == lb1
    finally:
        converge()
    for host in pair.HOSTS:
        rules = rich_rules(pair, host)
        assert {MULTICAST4, MULTICAST6} <= rules
        assert peer_rule[host] not in rules
    assert pair.settled_holder(expect=lb1) == lb1


def test_offline_when_stopped_used_alone_and_pruned_by_the_next_run(pair):
    lb2 = pair.HOSTS[1]
    pair.sh(lb2, "systemctl stop firewalld")
    proc = halb_common.playbook(
        HERE / "alone.yml", "--limit", lb2, "-e", "halb_firewalld_state=stopped"
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "offline" in proc.stdout
    assert pair.sh(lb2, "systemctl is-active firewalld", check=False)[1].strip() == "inactive"
    offline = pair.sh(lb2, f"firewall-offline-cmd --zone={ZONE} --list-services")[1].split()
    assert "http" in offline
    # Started, firewalld loads what was written offline: the VRRP rules too.
    pair.sh(lb2, "systemctl start firewalld")
    assert "http" in firewall(pair, lb2, "services")
    assert {MULTICAST4, MULTICAST6, STATS_RULE} <= rich_rules(pair, lb2)
    assert pair.settled_holder(expect=pair.HOSTS[0]) == pair.HOSTS[0]
    # converge.yml does not want http: its run removes what alone.yml added.
    converge()
    assert "http" not in firewall(pair, lb2, "services")
    assert "http" not in firewall(pair, lb2, "services", permanent=True)


def watch_holders(directory, *args):
    """holder_watch.py (the watcher converge.yml uses): start, or stop and report."""
    return subprocess.run(
        [sys.executable, str(HERE / "holder_watch.py"), *args[:1], str(directory), *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def changed(proc, host):
    """The changed count of ``host`` in the play recap."""
    found = re.search(rf"^{re.escape(host)}\s+:.*\bchanged=(\d+)", proc.stdout, re.M)
    assert found, proc.stdout[-3000:]
    return int(found[1])


def the_rules(pair):
    """Each node's rules, runtime and permanent, and the role's record."""
    return {
        host: (
            rich_rules(pair, host),
            rich_rules(pair, host, permanent=True),
            set(firewall(pair, host, "ports")),
            set(firewall(pair, host, "ports", permanent=True)),
            pair.sh(host, "cat /var/lib/halb/firewalld-rules.json")[1],
        )
        for host in pair.HOSTS
    }


def test_exports_are_kept_as_local_facts(pair):
    for host in pair.HOSTS:
        facts = {}
        for name in ("halb_keepalived", "halb_haproxy"):
            path = f"/etc/ansible/facts.d/{name}.fact"
            assert pair.sh(host, f"stat -c '%U %a' {path}")[1].strip() == "root 644"
            facts |= json.loads(pair.sh(host, f"cat {path}")[1])
        assert [e["family"] for e in facts["keepalived_firewalld_vrrp"]] == [4, 6]
        assert [e["port"] for e in facts["haproxy_firewalld_ports"]] == [80, 8404]
        assert facts["haproxy_keepalived_track"]["service"] == "haproxy.service"


def test_role_alone_and_site_tags_firewalld_keep_vrrp_and_one_holder(pair, tmp_path):
    # Issue 18: the firewalld role run alone on the converged pair, (1) from a
    # playbook that imports only halb.cluster.firewalld (alone_facts.yml: no
    # facts gathered, the lists come from the local facts the other roles
    # left) and (2) as `site.yml --tags firewalld`: nothing changes, the VRRP
    # rules stay in the permanent and the runtime configuration of both
    # nodes, the ports stay open, and one node holds the VIP all along.
    lb1 = pair.HOSTS[0]
    assert pair.settled_holder(expect=lb1) == lb1
    before = the_rules(pair)
    started = watch_holders(tmp_path, "start", *pair.HOSTS)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        alone = halb_common.playbook(HERE / "alone_facts.yml")
        site = halb_common.playbook(
            "halb.cluster.site", "--tags", "firewalld", "-e", f"@{HERE / 'vars' / 'site.yml'}"
        )
    finally:
        watched = watch_holders(tmp_path, "stop", pair.VIP, pair.VIP6)
    for proc in (alone, site):
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
        assert "Let VRRP in and open the ports" in proc.stdout  # the role ran
        assert [changed(proc, host) for host in pair.HOSTS] == [0, 0]
    assert "halb.cluster.keepalived" not in alone.stdout
    assert watched.returncode == 0, watched.stdout + watched.stderr  # never two holders
    assert the_rules(pair) == before
    for host in pair.HOSTS:
        for permanent in (False, True):
            assert {MULTICAST4, MULTICAST6, STATS_RULE} <= rich_rules(pair, host, permanent)
            assert "80/tcp" in firewall(pair, host, "ports", permanent)
        assert connects(pair.ADDRESSES[host], 80)
    assert pair.settled_holder(expect=lb1) == lb1
    assert pair.holders() == [lb1] and pair.holders(vip=pair.VIP6) == [lb1]
    assert get(f"http://{pair.VIP}/") == (200, lb1)


def test_firewalld_alone_without_lists_refuses_to_prune(pair):
    # No export, no local fact, no value: the role would remove the recorded
    # VRRP and port rules (split brain, a closed service). It refuses instead,
    # naming the variables, and nothing changes.
    before = the_rules(pair)
    facts = "/etc/ansible/facts.d"
    for host in pair.HOSTS:
        pair.sh(host, f"mv {facts} {facts}.aside")
    try:
        proc = halb_common.playbook(HERE / "alone_facts.yml")
    finally:
        for host in pair.HOSTS:
            pair.sh(host, f"rm -rf {facts} && mv {facts}.aside {facts}")
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr  # the failure goes to stderr
    for name in ("firewalld_vrrp", "firewalld_ports"):
        assert f"{name}: not known here" in output, output[-6000:]
    assert "firewalld_prune would remove" in output
    assert "224.0.0.18" in output and "80/tcp" in output
    assert the_rules(pair) == before
    assert pair.settled_holder(expect=pair.HOSTS[0]) == pair.HOSTS[0]


def test_bad_inputs_are_refused_and_nothing_changes(pair, tmp_path):
    cases = halb_common.bad_inputs(
        HERE / "bad_inputs.yml", pair.HOSTS, BAD_INPUT_CASES, log_dir=tmp_path
    )
    assert len(cases) == BAD_INPUT_CASES
    assert pair.settled_holder(expect=pair.HOSTS[0]) == pair.HOSTS[0]
