"""The take-over (adopt_apply=true) of the hand-built pair under a client
opening a new connection to the VIP every 10 ms, watched by a monitor of
the VIP's holders; then site.yml on the written inventory (nothing
changes), a new import (it refuses to overwrite), and a real fail-over of
the pair the roles now manage."""

from __future__ import annotations

import os
import pathlib
import time
import urllib.request

from adopt import Monitor, adopt, leaks, playbook_site
from halb_common import SteadyLoad, recap, sh
from halb_pair import HOSTS, VIP, settled_holder

URL = f"http://{VIP}/"
HEADER = "Managed by Ansible (halb.cluster)"
LOGS = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])


def _main_pid(host):
    return sh(host, "systemctl show -p MainPID --value haproxy")[1].strip()


def _answer():
    with urllib.request.urlopen(URL, timeout=2) as response:
        return response.read().decode().strip()


def test_take_over_moves_nothing_and_loses_no_request(adopted, pair):
    holder = settled_holder(timeout=30, expect=HOSTS[0])
    pids = {host: _main_pid(host) for host in HOSTS}
    assert all(pid not in ("", "0") for pid in pids.values()), pids
    with Monitor(interval=0.1) as vip, SteadyLoad(URL, interval=0.01, timeout=2.0) as load:
        time.sleep(1.0)
        proc = adopt(
            adopted,
            "-e",
            "adopt_apply=true",
            inventories=[adopted],
            timeout=900,
            log=LOGS / "takeover.log",
        )
        time.sleep(2.0)
    print(f"take-over: {proc.seconds:.1f} s; client: {load}; VIP: {vip}")
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    assert leaks(proc.stdout + proc.stderr) == []
    # -i DIR reads nothing but hosts.yml and the variables there as inventory
    # (an adopt-report.json in DIR gave "Skipping ... not a valid group definition").
    assert "Skipping" not in proc.stderr, proc.stderr[-3000:]
    assert load.requests >= 100, str(load)
    assert load.failed == 0, str(load)
    # Never two holders, and the VIP never left its holder (no fix here needs a move).
    # Most samples read both nodes (an unread one judges nothing).
    assert len(vip.known) >= 100 and vip.unread <= len(vip.samples) // 10, str(vip)
    assert vip.most == 1, str(vip)
    assert vip.seen == [(holder,)], str(vip)
    for host in HOSTS:
        keepalived = sh(host, "cat /etc/keepalived/keepalived.conf")[1]
        haproxy = sh(host, "cat /etc/haproxy/haproxy.cfg")[1]
        assert HEADER in keepalived, host
        assert HEADER in haproxy, host
        # The check that restarts HAProxy is no longer tracked.
        assert "check_haproxy.sh" not in keepalived, host
        # HAProxy was reloaded, never restarted: the same master process.
        assert _main_pid(host) == pids[host], (host, pids[host])
        sh(host, "systemctl is-active --quiet haproxy keepalived")


def test_site_yml_afterwards_changes_nothing(adopted):
    """The pair is managed by the roles now: site.yml on the inventory with
    the written variables (-i molecule's -i DIR) changes nothing."""
    proc = playbook_site(adopted, log=LOGS / "site-afterwards.log")
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    hosts = recap(proc.stdout)
    print(f"site.yml after the take-over: {proc.seconds:.1f} s, recap {hosts}")
    assert set(HOSTS) <= set(hosts), hosts
    assert all(counts["changed"] == 0 for counts in hosts.values()), hosts
    assert all(counts["failed"] == 0 for counts in hosts.values()), hosts
    assert leaks(proc.stdout + proc.stderr) == []


def test_a_new_import_never_overwrites_the_written_files(adopted):
    """Imported again, the managed configurations give other variables (the
    roles' own check, hooks ...): the run stops naming the files, and
    leaves them as they are."""
    files = sorted(p for p in adopted.rglob("*.yml"))
    before = {p: p.read_bytes() for p in files}
    proc = adopt(adopted, "-e", "adopt_preview=false", log=LOGS / "import-managed.log")
    assert proc.returncode != 0, proc.stdout[-4000:]
    assert "adopt_overwrite=true" in proc.stdout + proc.stderr
    assert {p: p.read_bytes() for p in files} == before


def test_the_managed_pair_fails_over(pair):
    holder = settled_holder(timeout=30, expect=HOSTS[0])
    backup = pair.other(holder)
    sh(holder, "systemctl stop haproxy")
    moved = time.monotonic()
    settled_holder(timeout=30, expect=backup, stable_for=1.0)
    print(
        f"fail-over: HAProxy stopped on {holder}, {backup} holds the VIP after "
        f"{time.monotonic() - moved:.1f} s"
    )
    pair.wait_for(lambda: _answer() in ("web1", "web2"), timeout=30, what="the VIP answering")
    sh(holder, "systemctl start haproxy")
    # Preemption: the higher priority takes the VIP back once its HAProxy runs.
    settled_holder(timeout=60, expect=holder, stable_for=3.0)
    answers = {_answer() for _attempt in range(10)}
    assert answers == {"web1", "web2"}, answers
