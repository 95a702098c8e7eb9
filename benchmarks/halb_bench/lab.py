"""The lab as the benchmarks see it (`make lab`, inventories/lab): its
addresses from the inventory, commands in the nodes, and who holds the VIP.

Commands run through ``nsenter`` into the container's namespaces from the
controller (about 5 ms, against 30-60 ms for ``docker exec``), so the time a
fault was injected is known to a few milliseconds. The addresses of a node are
watched with ``ip -ts -o monitor address`` in its network namespace, started
from the controller: it keeps watching while the container is paused.
"""

from __future__ import annotations

import pathlib
import shlex
import subprocess
import threading
import time

import docker
import yaml

from .analysis import held_intervals, parse_monitor_line

ROOT = pathlib.Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "inventories" / "lab"


class LabError(RuntimeError):
    pass


class Lab:
    def __init__(self, inventory=INVENTORY):
        hosts = yaml.safe_load((pathlib.Path(inventory) / "hosts.yml").read_text())["all"]
        self.vars = hosts["vars"]
        groups = hosts["children"]
        self.lbs = list(groups["loadbalancers"]["hosts"])
        self.webs = list(groups["webservers"]["hosts"])
        self.address = {
            name: spec["lab_address"]
            for group in groups.values()
            for name, spec in group["hosts"].items()
        }
        self.vip = self.vars["lab_vip"]
        webs = yaml.safe_load(
            (pathlib.Path(inventory) / "group_vars" / "webservers.yml").read_text()
        )
        self.web_port = int(webs["lab_web_port"])
        self.inventory = pathlib.Path(inventory)
        self._docker = docker.from_env(timeout=60)

    # --- the containers ---------------------------------------------------

    def container(self, name):
        return self._docker.containers.get(name)

    def pid(self, name):
        box = self.container(name)
        if box.status not in ("running", "paused"):
            raise LabError(f"{name} is {box.status}: run `make lab` first")
        return box.attrs["State"]["Pid"]

    def nsenter(self, name, command, all_namespaces=True, check=True, timeout=120, input_text=None):
        """Run ``command`` (a string, through /bin/sh) in the node: in all its
        namespaces (systemctl talks to the node's systemd), or in its network
        namespace only with the controller's binaries (nft, ip)."""
        flags = ["-a"] if all_namespaces else ["-n"]
        argv = ["nsenter", "-t", str(self.pid(name)), *flags, "/bin/sh", "-c", command]
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, input=input_text
        )
        if check and proc.returncode != 0:
            raise LabError(f"{name}: {command!r} exited {proc.returncode}: {proc.stderr.strip()}")
        return proc

    def addresses(self, name):
        """``ip -o -4 addr show dev eth0`` in the node (read from the controller)."""
        return self.nsenter(name, "ip -o -4 addr show dev eth0", all_namespaces=False).stdout

    def holders_of(self, addresses, name):
        """Which of ``addresses`` the node holds (one reading)."""
        out = self.addresses(name)
        return [a for a in addresses if f" {a}/" in out]

    def holds(self, name, address=None):
        return bool(self.holders_of([address or self.vip], name))

    def holders(self, address=None):
        return [name for name in self.lbs if self.holds(name, address)]

    def active(self, name, unit):
        return self.nsenter(
            name, f"systemctl is-active {shlex.quote(unit)}", check=False
        ).stdout.strip()

    def wait_settled(self, holder, addresses=None, stable_for=3.0, timeout=90.0):
        """Until ``holder`` alone holds every address (default: the VIP) and
        keeps it so for ``stable_for`` seconds, with haproxy and keepalived
        active on every node. Returns the seconds it took."""
        addresses = addresses or [self.vip]
        start = time.monotonic()
        since = None
        last = None
        while time.monotonic() - start < timeout:
            held = {n: self.holders_of(addresses, n) for n in self.lbs}
            last = {a: [n for n in self.lbs if a in held[n]] for a in addresses}
            units = all(
                self.active(n, u) == "active" for n in self.lbs for u in ("haproxy", "keepalived")
            )
            if units and all(h == [holder] for h in last.values()):
                since = since or time.monotonic()
                if time.monotonic() - since >= stable_for:
                    return round(time.monotonic() - start - stable_for, 3)
            else:
                since = None
            time.sleep(0.2)
        raise LabError(
            f"the pair did not settle with {holder} holding {len(addresses)} address(es) within "
            f"{timeout:.0f} s (holders: {last})"
        )


class AddressWatch:
    """Every address added to or deleted from eth0 of the nodes, with the
    kernel's time (``ip -ts -o monitor address``), from ``start()`` to
    ``stop()``; ``held(node, address)`` gives the intervals it held it."""

    def __init__(self, lab, nodes=None):
        self.lab = lab
        self.nodes = list(nodes or lab.lbs)
        self.events = {n: [] for n in self.nodes}
        self.initial = {}
        self._procs = {}
        self._threads = []
        self.start_time = self.end_time = None

    def _read(self, node, proc):
        for line in proc.stdout:
            event = parse_monitor_line(line)
            if event:
                self.events[node].append(event)

    def start(self):
        for node in self.nodes:
            proc = subprocess.Popen(
                [
                    "nsenter",
                    "-t",
                    str(self.lab.pid(node)),
                    "-n",
                    "ip",
                    "-ts",
                    "-o",
                    "monitor",
                    "address",
                    "dev",
                    "eth0",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            self._procs[node] = proc
            thread = threading.Thread(target=self._read, args=(node, proc), daemon=True)
            thread.start()
            self._threads.append(thread)
        time.sleep(0.1)  # the monitors listen before the initial reading
        self.start_time = time.time()
        self.initial = {node: self.lab.addresses(node) for node in self.nodes}
        return self

    def stop(self):
        self.end_time = time.time()
        time.sleep(0.1)  # the last events reach the readers
        for proc in self._procs.values():
            proc.terminate()
        for proc in self._procs.values():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def held(self, node, address):
        return held_intervals(
            f" {address}/" in self.initial.get(node, ""),
            self.events[node],
            address,
            self.start_time,
            self.end_time or time.time(),
        )
