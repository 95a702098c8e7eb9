# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a running keepalived says about its VRRP instances, as plain dicts.

keepalived writes its state on a signal: ``/tmp/keepalived.json`` (SIGJSON,
when built with JSON support, as Debian's is) and ``/tmp/keepalived.data``
(SIGUSR1, always). The keepalived_info module sends the signal and reads the
file; these pure functions read the text. Secrets in those files (the VRRP
password) are never copied into the result.
"""

from __future__ import annotations

import json
import re

# keepalived's VRRP_STATE_* numbers (vrrp.h).
STATE_NAMES = {0: "INIT", 1: "BACKUP", 2: "MASTER", 3: "FAULT", 97: "DELETED", 98: "STOP"}


class VrrpStateError(Exception):
    """keepalived's answer cannot be read; the text is for the user."""


def _address(vip):
    """'172.30.77.100/24 dev eth0 scope global set' -> '172.30.77.100'."""
    return str(vip).split()[0].split("/")[0] if str(vip).strip() else ""


def _instance(name, state, interface, vrid, priority, effective, vips):
    return {
        "name": name,
        "state": state,
        "interface": interface,
        "virtual_router_id": vrid,
        "priority": priority,
        "effective_priority": effective,
        "vips": [a for a in (_address(v) for v in vips) if a],
    }


def parse_json(text):
    """The instances of /tmp/keepalived.json."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise VrrpStateError(f"keepalived's JSON dump cannot be read: {exc}") from exc
    if not isinstance(data, list):
        raise VrrpStateError("keepalived's JSON dump is not a list of instances")
    instances = []
    for entry in data:
        d = (entry or {}).get("data") or {}
        if "iname" not in d:
            raise VrrpStateError("keepalived's JSON dump has an instance without a name (iname)")
        state = d.get("state")
        instances.append(
            _instance(
                d["iname"],
                STATE_NAMES.get(state, str(state)),
                d.get("ifp_ifname") or None,
                d.get("vrid"),
                d.get("base_priority"),
                d.get("effective_priority"),
                d.get("vips") or [],
            )
        )
    return instances


_KEY = re.compile(r"^\s+(State|Interface|Virtual Router ID|Priority|Effective priority) = (.*)$")


def parse_data(text):
    """The instances of /tmp/keepalived.data (the VRRP Topology section)."""
    instances = []
    current = None
    in_topology = in_vips = False
    for line in text.splitlines():
        if line.startswith("------<"):
            in_topology = "VRRP Topology" in line
            current, in_vips = None, False
            continue
        if not in_topology:
            continue
        match = re.match(r"^ VRRP Instance = (\S+)", line)
        if match:
            current = {"name": match.group(1), "vips": []}
            instances.append(current)
            in_vips = False
            continue
        if current is None:
            continue
        if re.match(r"^\s+Virtual IP \(\d+\):", line):
            in_vips = True
            continue
        if in_vips and re.match(r"^\s{4,}[0-9A-Fa-f:]", line):
            current["vips"].append(line.strip())
            continue
        in_vips = False
        match = _KEY.match(line)
        if match and match.group(1) not in current:
            current[match.group(1)] = match.group(2).strip()
    return [
        _instance(
            i["name"],
            i.get("State", "UNKNOWN"),
            i.get("Interface"),
            _int(i.get("Virtual Router ID")),
            _int(i.get("Priority")),
            _int(i.get("Effective priority")),
            i["vips"],
        )
        for i in instances
    ]


def _int(text):
    """A number of the data dump as int (None stays None, other text stays text)."""
    return int(text) if text is not None and text.isdigit() else text


def local_addresses(ip_output):
    """The addresses in ``ip -o addr show`` output."""
    found = set()
    for line in ip_output.splitlines():
        parts = line.split()
        for index, word in enumerate(parts[:-1]):
            if word in ("inet", "inet6"):
                found.add(parts[index + 1].split("/")[0])
    return found


def summary(instances, addresses):
    """The module's result: instances with vips_held, and lists by state."""
    held_all = []
    for instance in instances:
        instance["vips_held"] = [vip for vip in instance["vips"] if vip in addresses]
        held_all.extend(v for v in instance["vips_held"] if v not in held_all)

    def names(state):
        return [i["name"] for i in instances if i["state"] == state]

    return {
        "instances": instances,
        "master": names("MASTER"),
        "backup": names("BACKUP"),
        "fault": names("FAULT"),
        "other": [i["name"] for i in instances if i["state"] not in ("MASTER", "BACKUP", "FAULT")],
        "vips": sorted({v for i in instances for v in i["vips"]}),
        "vips_held": held_all,
    }
