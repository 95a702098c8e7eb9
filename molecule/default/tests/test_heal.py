"""The way back: after every fault heals, the VIP answers again at once, a
node takes it only when its HAProxy can serve, and the pair is whole again.

A client on the controller opens a new connection to the VIP every 20 ms
and records every answer. The faults, on the master:

- a partition: nft tables (families inet and arp, priority -400) in the
  node's network namespace drop everything on every interface but lo, ARP
  included, for 15 s; keepalived sees no link change, the backup takes over
  after the master-down interval, and the old master stays MASTER alone on
  its side. Three times: which node hears the other first after the heal
  decides the order of events, and it varies;
- the link: eth0 down for 10 s, then up (keepalived sees it: FAULT);
- its backends: the master alone cannot reach the web servers (blackhole
  routes), so its HAProxy sees every server DOWN while the backup's does not;
- every web server down: nothing moves (both nodes lose alike), and the
  node holding the VIP mails once it has lasted, and again on recovery;
- `docker restart` of the master: a clean shutdown (the containers stop on
  SIGRTMIN+3), so the backup takes over on keepalived's priority-0 advert.

After the heal, for 60 s (30 s for the others): no stretch without answers
longer than the master-down interval (3 x advert_int + skew, 3.45 s with
the default profile) plus 1 s, and no 503 (a node with no UP server does
not hold the VIP while its peer can serve). Then one holder, the master.
`make bench` measures the same faults (docs/performance.md)."""

from __future__ import annotations

import os
import subprocess
import time

import halb_mail as mail
import halb_pair as pair
import pytest
from halb_common import SteadyLoad, address, container, sh, wait_for

URL = f"http://{os.environ['HALB_VIP']}/"
WEBS = os.environ["HALB_WEBS"].split(",")
GATEWAY = os.environ["HALB_VIP"].rsplit(".", 1)[0] + ".1"
# The lab's profile (default): VRRPv2, advert_int 1, the backup's priority 140.
MASTER_DOWN = 3 * 1.0 + (256 - 140) / 256
BOUND = MASTER_DOWN + 1.0

_CUT = """
table inet halb_test_cut {
    chain input { type filter hook input priority -400; policy accept; iifname != "lo" drop; }
    chain output { type filter hook output priority -400; policy accept; oifname != "lo" drop; }
}
table arp halb_test_cut {
    chain input { type filter hook input priority -400; policy drop; }
    chain output { type filter hook output priority -400; policy drop; }
}
"""


def _netns(host, *argv, stdin=None):
    """A command of the controller's (nft) in the node's network namespace."""
    box = container(host)
    box.reload()
    proc = subprocess.run(
        ["nsenter", "-t", str(box.attrs["State"]["Pid"]), "-n", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, f"{host}: {argv}: {proc.stderr}"


def _cut(host):
    _netns(host, "nft", "-f", "-", stdin=_CUT)


def _heal(host):
    for family in ("inet", "arp"):
        _netns(host, "sh", "-c", f"nft delete table {family} halb_test_cut 2>/dev/null || true")


class Recorder(SteadyLoad):
    """SteadyLoad that also keeps when each answer came (seconds from start)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answered = []
        self.started = None

    def _one(self):
        at = time.monotonic()
        reason = super()._one()
        if reason is None:
            self.answered.append(at - self.started)
        return reason

    def __enter__(self):
        self.started = time.monotonic()
        return super().__enter__()

    def now(self):
        return time.monotonic() - self.started

    def longest_silence(self, start, end):
        """The longest time within [start, end] with no answer."""
        times = [t for t in self.answered if start <= t <= end]
        edges = [start, *times, end]
        return max(b - a for a, b in zip(edges, edges[1:], strict=False))

    def unavailable(self, start, end=None):
        """503s (HAProxy with no server) sent within [start, end]."""
        end = self.now() if end is None else end
        return [(t, r) for t, r in self.failures if start <= t <= end and "503" in r]


def _judge(load, healed, window, what):
    end = healed + window
    silence = load.longest_silence(healed, end)
    assert silence <= BOUND, (
        f"{what}: {silence:.2f} s without an answer after the heal (bound {BOUND:.2f} s); {load}"
    )
    unavailable = load.unavailable(healed, end)
    assert not unavailable, f"{what}: 503 from a node without UP servers: {unavailable[:5]}"


@pytest.fixture
def pair_at_rest():
    """The master, holding the VIP alone; the pair back at rest afterwards."""
    yield pair.normal_holder()
    pair.restore("haproxy.service keepalived.service")


@pytest.fixture
def healed():
    """Every fault undone after the test, also when it failed."""
    yield
    for host in pair.HOSTS:
        _heal(host)
        sh(host, "ip link set eth0 up", check=False)
        sh(host, f"ip route replace default via {GATEWAY} dev eth0", check=False)
        for web in WEBS:
            sh(host, f"ip route del blackhole {address(web)} 2>/dev/null", check=False)
    for web in WEBS:
        sh(web, "systemctl start nginx.service", check=False)


@pytest.mark.parametrize("run", [1, 2, 3])
def test_after_a_partition_heals_the_vip_answers_at_once_and_never_with_503(
    pair_at_rest, healed, run
):
    master = pair_at_rest
    with Recorder(URL, interval=0.02, timeout=0.5) as load:
        time.sleep(1.0)
        _cut(master)
        time.sleep(15.0)
        _heal(master)
        healed_at = load.now()
        time.sleep(60.0)
    _judge(load, healed_at, 60.0, f"partition, run {run}")
    pair.settled_holder(timeout=60, expect=master)


def test_after_the_link_comes_back_the_vip_answers_at_once_and_never_with_503(pair_at_rest, healed):
    master = pair_at_rest
    with Recorder(URL, interval=0.02, timeout=0.5) as load:
        time.sleep(1.0)
        sh(master, "ip link set eth0 down")
        time.sleep(10.0)
        sh(master, f"ip link set eth0 up && ip route replace default via {GATEWAY} dev eth0")
        healed_at = load.now()
        time.sleep(30.0)
    _judge(load, healed_at, 30.0, "link down")
    pair.settled_holder(timeout=60, expect=master)


def test_a_master_without_servers_gives_the_vip_away_and_takes_it_back_only_when_it_can_serve(
    pair_at_rest, healed
):
    master = pair_at_rest
    backup = pair.other(master)
    webs = [address(w) for w in WEBS]
    with Recorder(URL, interval=0.02, timeout=0.5) as load:
        time.sleep(1.0)
        for web_address in webs:
            sh(master, f"ip route add blackhole {web_address}")
        # HAProxy's checks fail (fall 2 x inter 1 s), the check lowers the
        # priority, the backup takes over after the master-down interval.
        pair.settled_holder(timeout=30, expect=backup, stable_for=5.0)
        for web_address in webs:
            sh(master, f"ip route del blackhole {web_address}")
        healed_at = load.now()
        time.sleep(30.0)
    _judge(load, healed_at, 30.0, "backends of the master")
    pair.settled_holder(timeout=60, expect=master)


def test_every_server_down_keeps_the_vip_in_place_and_mails_down_then_up(pair_at_rest, healed):
    master = pair_at_rest
    # Alerts of the earlier faults (a cut-off node queues what it sees, and
    # sends it after the heal) are out of the spools before the count starts.
    for lb in pair.HOSTS:
        wait_for(lambda lb=lb: not mail.queued(lb), timeout=120, interval=1, what=f"{lb}'s spool")
    since = len(mail.messages())
    name = mail.NAMES[master]
    for web in WEBS:
        sh(web, "systemctl stop nginx.service")
    down = f"{name}: backend be_web has no UP server"
    try:
        # Both nodes are lowered alike: the order is kept, nothing moves.
        most = pair.never_two_holders(15.0)
        assert most == 1 and pair.holders() == [master]
        _mail_arrives(down, since, timeout=90)
        assert pair.holders() == [master]
    finally:
        for web in WEBS:
            sh(web, "systemctl start nginx.service", check=False)
    up = f"{name}: backend be_web is UP again"
    _mail_arrives(up, since, timeout=90)
    subjects = [m["subject"] for m in mail.messages()[since:]]
    # Only the VIP holder mails, once each way.
    assert sum(s.startswith(down) for s in subjects) == 1, subjects
    assert not any(
        ": backend be_web has no UP server" in s and not s.startswith(name) for s in subjects
    )


def test_docker_stop_of_the_master_is_a_clean_stop_and_the_pair_is_whole_again(
    pair_at_rest, healed
):
    """The containers stop on SIGRTMIN+3: systemd shuts down, keepalived drops
    the VIP and sends its priority-0 advert, so the backup takes over within
    the skew time (0.45 s) instead of the master-down interval (3.45 s) after
    the master let go; the STOP alert is queued (and sent once the node is
    back, if not before)."""
    import threading

    master = pair_at_rest
    backup = pair.other(master)
    since = len(mail.messages())
    stopper = threading.Thread(target=lambda: container(master).stop(timeout=60), daemon=True)
    try:
        stopper.start()
        lost = taken = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and taken is None:
            now = time.monotonic()
            if lost is None and not pair.holds_vip(master):
                lost = now
            if pair.holds_vip(backup):
                taken = now
            time.sleep(0.05)
        stopper.join(timeout=90)
        assert lost is not None and taken is not None, "the backup never took the VIP"
        gap = taken - lost
        assert gap < 2.0, f"the backup took the VIP {gap:.2f} s after the master let it go"
    finally:
        stopper.join(timeout=90)
        container(master).reload()
        if container(master).status != "running":
            container(master).start()
        # As prepare left it (molecule/shared/tasks/plain_hostname.yml): docker
        # bind-mounts /etc/hostname again at start, which the mailx_notify
        # role's hostname task cannot replace.
        wait_for(lambda: sh(master, "true", check=False)[0] == 0, timeout=60, what=master)
        sh(master, "! findmnt /etc/hostname >/dev/null || umount /etc/hostname")
    pair.settled_holder(timeout=120, expect=master)
    wanted = f"{mail.NAMES[master]}: VI_WEB is now STOP"
    _mail_arrives(wanted, since, timeout=120)
    wait_for(_serves, timeout=60, what="the VIP to serve")


def _mail_arrives(subject, since, timeout):
    """Wait until the relay got a mail whose subject starts with ``subject``
    (after the first ``since`` messages)."""
    wait_for(
        lambda: any(m["subject"].startswith(subject) for m in mail.messages()[since:]),
        timeout=timeout,
        interval=1,
        what=f"the alert {subject!r} at the relay",
    )


def _serves():
    import urllib.request

    try:
        with urllib.request.urlopen(URL, timeout=1.0) as response:
            return response.status == 200
    except OSError:
        return False
