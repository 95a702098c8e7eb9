"""Helpers for the pairs scenario's verify step: three VRRP pairs on one
docker network, watched from the controller (the network's gateway).

The pairs, their hosts, VIPs and VRIDs are read from the scenario's own
inventory (../inventory: hosts.yml and group_vars/pair_*.yml), so the tests
and the inventory cannot disagree. Node state is read through docker exec
(halb_common.sh); every loop is bounded in time.
"""

from __future__ import annotations

import os
import pathlib
import re
import time
import urllib.request

import yaml
from halb_common import Background, sh

INVENTORY = pathlib.Path(__file__).resolve().parent.parent / "inventory"


def _pairs():
    hosts = yaml.safe_load((INVENTORY / "hosts.yml").read_text())
    groups = hosts["all"]["children"]["loadbalancers"]["children"]
    pairs = {}
    for name, group in groups.items():
        variables = yaml.safe_load((INVENTORY / "group_vars" / f"{name}.yml").read_text())
        assert variables["keepalived_cluster_group"] == name
        (instance,) = variables["keepalived_instances"]
        pairs[name] = {
            "hosts": list(group["hosts"]),
            "vip": instance["virtual_ipaddresses"][0]["address"],
            "vrid": int(instance["virtual_router_id"]),
            "instance": instance["name"],
        }
    return pairs


PAIRS = _pairs()
LBS = [host for pair in PAIRS.values() for host in pair["hosts"]]
VIPS = {pair["vip"]: name for name, pair in PAIRS.items()}
INTERFACE = os.environ.get("HALB_INTERFACE", "eth0")


def addresses(host):
    """The IPv4 addresses on the node's interface, or None when the node could
    not say (docker exec failed twice: on a busy machine an exec can fail
    without the node having lost anything). A read without the node's own
    address (one that is not a VIP) is not an answer either: under load a
    docker exec has returned exit 0 with its output lost, which read as "no
    VIP here" (CI, 2026-12-05: pair_c "lost" its holder for one sample while
    none of its 381 requests failed)."""
    for _attempt in range(3):
        try:
            rc, out = sh(host, f"ip -o -4 addr show dev {INTERFACE}", check=False)
        except Exception:  # a node being restarted, or the engine too busy
            continue
        found = set(re.findall(r" inet (\S+)/\d+", out))
        if rc == 0 and found - set(VIPS):
            return found
    return None


def holders_all():
    """{vip: (holders...)} for every pair's VIP, over all six load balancers
    (one docker exec per node, in parallel); None for a VIP when a node could
    not be read."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(LBS)) as pool:
        found = dict(zip(LBS, pool.map(addresses, LBS), strict=True))
    if any(addrs is None for addrs in found.values()):
        return {vip: None for vip in VIPS}
    return {vip: tuple(h for h in LBS if vip in found[h]) for vip in VIPS}


def ask(vip, timeout=2.0):
    """The body of GET http://VIP/ (through HAProxy to the web server), or None."""
    try:
        request = urllib.request.Request(f"http://{vip}/", headers={"Connection": "close"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode().strip() if response.status == 200 else None
    except OSError:
        return None


def settle(timeout=60.0, stable_for=3.0):
    """Wait until every pair's VIP is held by its first host alone (preempt:
    the highest priority), stably for ``stable_for`` seconds; return the
    holders."""
    wanted = {pair["vip"]: (pair["hosts"][0],) for pair in PAIRS.values()}
    deadline = time.monotonic() + timeout
    since, last = None, None
    while time.monotonic() < deadline:
        last = holders_all()
        if last == wanted:
            since = since or time.monotonic()
            if time.monotonic() - since >= stable_for:
                return last
        else:
            since = None
        time.sleep(0.3)
    raise AssertionError(f"the pairs did not settle within {timeout:.0f}s: {last}")


def restore():
    """Back to normal after a test (also a failed one): HAProxy and
    keepalived started on every node, each VIP on its pair's first host."""
    for host in LBS:
        sh(host, "systemctl start haproxy.service keepalived.service", check=False)
    settle()


class Holders(Background):
    """Every pair's holders, sampled every ``interval`` seconds in a
    background thread (bounded by ``limit``): samples of (seconds, {vip: holders})."""

    def __init__(self, interval=0.25, limit=600.0):
        super().__init__(limit)
        self.interval = interval
        self.samples = []

    def _run(self):
        start = time.monotonic()
        while not self._stop.is_set() and time.monotonic() - start < self.limit:
            now = time.monotonic()
            self.samples.append((round(now - start, 3), holders_all()))
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - now)))

    @property
    def known(self):
        """The samples in which every node could be read."""
        return [(at, held) for at, held in self.samples if None not in held.values()]

    def seen(self, vip):
        """Every distinct holder set of ``vip``, in the order first seen."""
        out = []
        for _at, held in self.known:
            if held[vip] not in out:
                out.append(held[vip])
        return out

    def __str__(self):
        seconds = self.samples[-1][0] if self.samples else 0.0
        seen = {VIPS[vip]: self.seen(vip) for vip in VIPS}
        return (
            f"{len(self.samples)} samples in {seconds:.0f} s"
            f" ({len(self.samples) - len(self.known)} with a node that could not be read),"
            f" holder sets seen {seen}"
        )


def fingerprint(host):
    """What must not change on a node when a run is refused: the rendered
    configs (sha256) and the services' main PIDs and start times."""
    _rc, sums = sh(
        host, "sha256sum /etc/keepalived/keepalived.conf /etc/haproxy/haproxy.cfg", check=True
    )
    _rc, units = sh(
        host,
        "systemctl show -p Id -p MainPID -p ActiveEnterTimestamp"
        " haproxy.service keepalived.service rsyslog.service firewalld.service",
        check=True,
    )
    return {"sums": sums.strip(), "units": units.strip()}
