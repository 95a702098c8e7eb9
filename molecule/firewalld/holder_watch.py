"""Who holds the VIPs while a playbook runs: converge.yml starts this before
its first role and stops it after its last, and the stop fails when two
nodes held a VIP at the same time for any length of time.

    holder_watch.py start DIR NODE...     watch eth0 of each node (container)
    holder_watch.py mark DIR VIP...       once one node holds each VIP (SETTLE s),
                                          no time at all with two holders from then on
    holder_watch.py stop DIR VIP...       end the watch; report; exit 1 on two holders

Two holders at once for any time after the mark fail the run, and so does
any stretch with two holders longer than HANDOVER seconds before it. Before
the mark keepalived starts for the first time on both nodes, and when the
node with the lower priority happens to start a few seconds earlier, it takes
the VIP and hands it over when the other one comes up: the new master adds
the VIP and the old one drops it when the first advert arrives, a few
milliseconds later (6 ms seen). That is VRRP's preemption, not a split brain.

Each node's addresses are watched from the controller with
``nsenter -t <pid> -n ip -ts -o monitor address dev eth0`` in the
container's network namespace: event driven, every add and delete with the
kernel's time stamp (the way benchmarks/halb_bench watches the lab). Every
watcher runs under ``timeout`` (it ends by itself, also when the playbook
fails before ``stop``), and ``start`` first ends the watchers of an earlier
run it finds in DIR.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

LIMIT = 1800  # seconds a watcher may run at most
HANDOVER = 0.5  # seconds: a preemption's overlap (milliseconds) fits many times
SETTLE = 5.0  # seconds with one holder of each VIP before the mark
SETTLE_LIMIT = 120.0  # seconds to wait for that at most
MONITOR = "ip -ts -o monitor address dev eth0".split()
SHOW = "ip -o addr show dev eth0".split()
EVENT = re.compile(
    r"^\[(?P<stamp>[0-9T:.\-]+)\]\s+(?P<deleted>Deleted\s+)?\d+:\s+\S+\s+inet6?\s+"
    r"(?P<addr>[0-9a-fA-F.:]+)/"
)


def parse(line):
    """One line of ``ip -ts -o monitor address``: (time, address, added) or None."""
    match = EVENT.match(line.strip())
    if not match:
        return None
    stamp = datetime.datetime.strptime(match["stamp"], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    return stamp, match["addr"], not match["deleted"]


def held(initially, events, address, start, end):
    """Intervals (t0, t1) in which ``address`` was held between start and end."""
    since = start if initially else None
    spans = []
    for when, addr, added in sorted(events):
        if addr != address or not start <= when <= end:
            continue
        if added and since is None:
            since = when
        elif not added and since is not None:
            spans.append((since, when))
            since = None
    if since is not None:
        spans.append((since, end))
    return spans


def overlap(a, b):
    return [(max(a0, b0), min(a1, b1)) for a0, a1 in a for b0, b1 in b if min(a1, b1) > max(a0, b0)]


def end_watchers(state):
    for pid in state.get("pids", {}).values():
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def start(directory, nodes):
    directory.mkdir(parents=True, exist_ok=True)
    state_file = directory / "state.json"
    if state_file.exists():
        end_watchers(json.loads(state_file.read_text()))
    state = {"nodes": nodes, "pids": {}, "initial": {}}
    for node in nodes:
        pid = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Pid}}", node],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        with open(directory / f"{node}.log", "w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                ["timeout", str(LIMIT), "nsenter", "-t", pid, "-n", *MONITOR],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives this script, ended by its group
            )
        state["pids"][node] = proc.pid
        state["netns_pid"] = state.get("netns_pid", {}) | {node: pid}
    time.sleep(0.5)  # the monitors listen before the first reading
    state["start"] = time.time()
    for node in nodes:
        state["initial"][node] = _addresses(state["netns_pid"][node])
    state_file.write_text(json.dumps(state))
    print(json.dumps({"watching": nodes, "pids": state["pids"]}))


def _addresses(netns_pid):
    """The node's addresses (SHOW), read in its network namespace."""
    return subprocess.run(
        ["nsenter", "-t", netns_pid, "-n", *SHOW],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def holders(state, vip):
    return [n for n in state["nodes"] if f" {vip}/" in _addresses(state["netns_pid"][n])]


def mark(directory, vips):
    """Wait until one node has held each VIP for SETTLE seconds (keepalived
    has just started: a preemption may still come), then mark the time."""
    state_file = directory / "state.json"
    state = json.loads(state_file.read_text())
    begin = time.monotonic()
    since = None
    while time.monotonic() - begin < SETTLE_LIMIT:
        if all(len(holders(state, vip)) == 1 for vip in vips):
            since = since or time.monotonic()
            if time.monotonic() - since >= SETTLE:
                break
        else:
            since = None
        time.sleep(0.2)
    else:
        sys.exit(f"no single holder of {vips} for {SETTLE} s within {SETTLE_LIMIT} s")
    state["mark"] = time.time()
    state_file.write_text(json.dumps(state))
    print(json.dumps({"mark": round(state["mark"] - state["start"], 3)}))


def stop(directory, vips):
    state = json.loads((directory / "state.json").read_text())
    end = time.time()
    time.sleep(0.5)  # the last events reach the logs
    end_watchers(state)
    (directory / "state.json").unlink()
    marked = state.get("mark", state["start"])
    report = {
        "seconds": round(end - state["start"], 1),
        "mark": round(marked - state["start"], 3),
        "vips": {},
    }
    failed = False
    for vip in vips:
        spans = {}
        for node in state["nodes"]:
            lines = (directory / f"{node}.log").read_text(encoding="utf-8").splitlines()
            events = [e for e in map(parse, lines) if e]
            spans[node] = held(
                f" {vip}/" in state["initial"][node], events, vip, state["start"], end
            )
        both = []
        nodes = state["nodes"]
        for i, first in enumerate(nodes):
            for second in nodes[i + 1 :]:
                both += overlap(spans[first], spans[second])
        two = round(sum(t1 - t0 for t0, t1 in both), 3)
        after = [(t0, t1) for t0, t1 in both if t1 > marked]
        long = [(t0, t1) for t0, t1 in both if t1 - t0 > HANDOVER]
        failed = failed or bool(after) or bool(long)
        report["vips"][vip] = {
            "two_holders_s": two,
            "two_holders_after_mark_s": round(sum(t1 - max(t0, marked) for t0, t1 in after), 3),
            "two_holder_spans": [
                [round(t0 - state["start"], 3), round(t1 - t0, 3)] for t0, t1 in both
            ],
            "held_s": {n: round(sum(t1 - t0 for t0, t1 in s), 1) for n, s in spans.items()},
        }
    print(json.dumps(report, sort_keys=True))
    return 1 if failed else 0


def main(argv):
    if len(argv) < 2 or argv[0] not in ("start", "mark", "stop"):
        sys.exit(__doc__)
    directory = pathlib.Path(argv[1])
    if argv[0] == "start":
        start(directory, argv[2:])
        return 0
    if argv[0] == "mark":
        mark(directory, argv[2:])
        return 0
    return stop(directory, argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
