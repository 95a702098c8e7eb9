"""Helpers for the verify step: watch a real VRRP pair from the controller.

The controller sits on the scenario's docker network (its gateway), so it
can send HTTP to the VIP and see which node answers. Node state is read and
faults are injected with the docker SDK (fast enough to poll); assertions on
services and files use testinfra. Every loop is bounded in time.
"""

from __future__ import annotations

import ipaddress
import os
import re
import time
import urllib.error
import urllib.request

# Re-exported: the tests call them through this module.
from halb_common import container, sh, wait_for  # noqa: F401 # pylint: disable=unused-import

HOSTS = os.environ["HALB_HOSTS"].split(",")
ADDRESSES = dict(zip(HOSTS, os.environ["HALB_ADDRESSES"].split(","), strict=True))
VIP = os.environ["HALB_VIP"]
VIP6 = os.environ.get("HALB_VIP6") or None
SCENARIO = os.environ["HALB_SCENARIO"]
INTERFACE = os.environ.get("HALB_INTERFACE", "eth0")
PREEMPT = os.environ.get("HALB_PREEMPT", "1") == "1"


def addresses(host):
    """The addresses (both families) on the node's interface, or None when the
    node could not say. A read is an answer only when it shows the node's own
    address (ADDRESSES): under load a docker exec has returned exit 0 with its
    output lost, which read as "no VIP here" (CI, 2026-12-05: the adopt
    take-over saw the VIP's holder vanish for one sample of 855 while none of
    the client's requests failed). Three reads at most."""
    for _attempt in range(3):
        rc, out = container(host).exec_run(["ip", "-o", "addr", "show", "dev", INTERFACE])
        found = {
            ipaddress.ip_address(addr)
            for addr in re.findall(r" inet6? ([0-9a-fA-F.:]+)/\d+", out.decode(errors="replace"))
        }
        if rc == 0 and ipaddress.ip_address(ADDRESSES[host]) in found:
            return found
    return None


def holds_vip(host, vip=None):
    """Whether the node holds the VIP (default: the IPv4 one): True, False
    (also when paused), or None when it could not be read (see addresses)."""
    vip = vip or VIP
    if container(host).status == "paused":
        return False
    found = addresses(host)
    return None if found is None else ipaddress.ip_address(vip) in found


def holders(skip=(), vip=None):
    """Nodes that hold the VIP (default: the IPv4 one) right now; paused nodes are skipped."""
    found = []
    for host in HOSTS:
        if host in skip:
            continue
        container(host).reload()
        if container(host).status == "running" and holds_vip(host, vip):
            found.append(host)
    return found


def ask_vip(timeout=1.0, vip=None):
    """Which node answers HTTP on VIP:8080 (None if nobody does)."""
    vip = vip or VIP
    host = f"[{vip}]" if ":" in vip else vip
    try:
        with urllib.request.urlopen(f"http://{host}:8080/", timeout=timeout) as response:
            return response.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return None


def settled_holder(timeout=30.0, skip=(), stable_for=3.0, expect=None):
    """Wait until exactly one node (``expect``, if given) holds the VIP, and keeps
    holding it alone for stable_for seconds; return that node."""
    deadline = time.monotonic() + timeout
    current, since = None, None
    seen = []
    while time.monotonic() < deadline:
        now = holders(skip)
        seen = now
        if len(now) == 1 and (expect is None or now[0] == expect):
            if now[0] != current:
                current, since = now[0], time.monotonic()
            elif time.monotonic() - since >= stable_for:
                return current
        else:
            current, since = None, None
        time.sleep(0.2)
    wanted = expect or "a single node"
    raise AssertionError(
        f"{wanted} did not hold the VIP alone, stably, within {timeout:.0f}s (holders: {seen})"
    )


def never_two_holders(duration, skip=()):
    """Watch for duration seconds; return the largest number of holders seen."""
    deadline = time.monotonic() + duration
    most = 0
    while time.monotonic() < deadline:
        most = max(most, len(holders(skip)))
        time.sleep(0.2)
    return most


def other(host):
    return next(h for h in HOSTS if h != host)


def normal_holder(timeout=60.0):
    """The holder once the pair is at rest: with preemption, the first host
    (highest priority); without, whichever node holds the VIP alone."""
    return settled_holder(timeout=timeout, expect=HOSTS[0] if PREEMPT else None)


def testinfra_hosts():
    """testinfra hosts for every node, by inventory name (molecule's inventory)."""
    import testinfra

    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return {
        name: testinfra.get_host(f"ansible://{name}", ansible_inventory=inventory) for name in HOSTS
    }


def restore(units):
    """Back to normal after a test (also a failed one): every node unpaused,
    ``units`` started, the VIP with its normal holder."""
    for host in HOSTS:
        box = container(host)
        box.reload()
        if box.status == "paused":
            box.unpause()
        # A planned switchover left half done gives the VIPs back (keepalived
        # role's standby file; absent in scenarios without it).
        sh(
            host,
            "test ! -e /run/keepalived-standby || echo 0 > /run/keepalived-standby",
            check=False,
        )
        sh(host, f"systemctl start {units}", check=False)
    normal_holder()
