# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks across the members of a VRRP cluster, before any host is touched.

A single host's keepalived.conf can be valid and the pair still broken: two
nodes with different VRIDs never see each other, equal priorities leave the
election to IP addresses, a tracked script or file whose weight is smaller than the
priority gap never moves the VIP. These checks look at every member at once.

Input: ``members``, an ordered mapping host -> {"config": <normalized config
from _keepalived.normalize>, "facts": <Ansible facts or None>}. Output: a
list of messages, each naming the hosts and the variable concerned. Pure
functions, standard library only.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.halb.cluster.plugins.module_utils._keepalived import (
    KeepalivedConfigError,
    effective_weight,
    family,
    host_addresses,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    only_config_errors,
    show as _show,
)

_INST = "keepalived_instances"
# The instance key of each weighted tracker and the variable that defines its default weight.
_TRACKED = {"track_scripts": "keepalived_scripts", "track_files": "keepalived_track_files"}


def _vips(inst):
    return sorted(f"{v['address']}/{v['prefix']}" for v in inst.get("virtual_ipaddresses", []))


def _interfaces_of(inst):
    names = [("interface", inst.get("interface"))]
    for j, vip in enumerate(inst.get("virtual_ipaddresses", [])):
        if vip.get("dev"):
            names.append((f"virtual_ipaddresses[{j}].dev", vip["dev"]))
    for j, tracked in enumerate(inst.get("track_interfaces", [])):
        names.append((f"track_interfaces[{j}].name", tracked["name"]))
    return names


def _host_checks(errs, host, config, facts):
    """Checks that need the host's facts: interfaces and own addresses."""
    if not isinstance(facts, dict) or "interfaces" not in facts:
        return
    listed = facts.get("interfaces")
    listed = listed if isinstance(listed, (list, tuple)) else []
    present = {name for name in listed if isinstance(name, str)}
    own = {ipaddress.ip_address(a) for a in host_addresses(facts)}
    for inst in config.get("instances", []):
        where = f"{_INST}[{inst['name']}]"
        for key, name in _interfaces_of(inst):
            if name and name not in present:
                errs.append(
                    f"{host}: {where}.{key}: interface {name!r} does not exist on this host "
                    f"(it has: {', '.join(sorted(present))})"
                )
        src = inst.get("unicast_src_ip")
        if src and own and ipaddress.ip_address(src) not in own:
            errs.append(
                f"{host}: {where}.unicast_src_ip: {src} is not an address of this host "
                f"(it has: {', '.join(sorted(str(a) for a in own))})"
            )
        for j, peer in enumerate(inst.get("unicast_peers", [])):
            if ipaddress.ip_address(peer) in own:
                errs.append(
                    f"{host}: {where}.unicast_peers[{j}]: {peer} is an address of this host "
                    "itself; list only the other nodes"
                )


def _same(errs, name, members, key, label, show=True):
    values = {}
    for host, inst in members:
        values.setdefault(repr(key(inst)), []).append(host)
    if len(values) > 1:
        if show:
            detail = "; ".join(f"{', '.join(hosts)}: {value}" for value, hosts in values.items())
        else:
            detail = "; ".join(f"{', '.join(hosts)}: one value" for hosts in values.values())
        errs.append(
            f"{_INST}[{name}].{label}: differs between the members of the pair ({detail}); "
            "it must be the same on all of them"
        )


def _weight_checks(errs, name, members, configs):
    """A tracked script, file or interface must be able to move the VIP (or be weight 0 = FAULT)."""
    ranked = sorted(members, key=lambda m: m[1].get("priority", 0), reverse=True)
    if len(ranked) < 2:
        return
    (top_host, top), (next_host, second) = ranked[0], ranked[1]
    gap = top["priority"] - second["priority"]
    for key, section in _TRACKED.items():
        for j, tracked in enumerate(top.get(key, [])):
            # Down on the top node (weight < 0) or up on the next (weight > 0),
            # the check moves the VIP only if it outweighs the gap. For a track
            # file the file's value multiplies the weight: 1 (down) is the case
            # that must move the VIP.
            weight = effective_weight(configs[top_host], tracked, key)
            if weight == 0 or abs(weight) > gap:
                continue
            source = (
                f"{_INST}[{name}].{key}[{j}].weight"
                if "weight" in tracked
                else f"{section}[{tracked['name']}].weight"
            )
            errs.append(
                f"{source}: weight {weight} of {tracked['name']!r} cannot move the VIP of "
                f"{name}: {top_host} has priority {top['priority']} and {next_host} "
                f"{second['priority']} (gap {gap}); use a weight below -{gap} or above {gap}, "
                "or 0 to go to FAULT"
            )
    for j, tracked in enumerate(top.get("track_interfaces", [])):
        weight = tracked.get("weight", 0)
        if weight == 0 or abs(weight) > gap:
            continue
        errs.append(
            f"{_INST}[{name}].track_interfaces[{j}].weight: weight {weight} of interface "
            f"{tracked['name']!r} cannot move the VIP of {name} (priority gap {gap} between "
            f"{top_host} and {next_host}); use a weight beyond ±{gap}, or 0 to go to FAULT"
        )


def _unicast_checks(errs, name, members):
    modes = {host: bool(inst.get("unicast_peers")) for host, inst in members}
    if len(set(modes.values())) > 1:
        uni = ", ".join(h for h, m in modes.items() if m)
        multi = ", ".join(h for h, m in modes.items() if not m)
        errs.append(
            f"{_INST}[{name}].unicast_peers: {uni} use unicast but {multi} multicast; "
            "the members would never hear each other"
        )
        return
    if not any(modes.values()):
        return
    for host, inst in members:
        for other, other_inst in members:
            if other == host or not other_inst.get("unicast_src_ip"):
                continue
            if other_inst["unicast_src_ip"] not in inst.get("unicast_peers", []):
                errs.append(
                    f"{host}: {_INST}[{name}].unicast_peers: does not list "
                    f"{other_inst['unicast_src_ip']}, the unicast_src_ip of {other}"
                )


# global_defs settings that must agree across the pair, and why.
_PAIR_GLOBALS = {
    "vrrp_strict": (
        False,
        "a strict node drops the adverts of a non-strict one that authenticates or uses "
        "unicast, and both become MASTER",
    ),
    "enable_script_security": (
        False,
        "with it one node refuses the scripts the other runs, so a tracked check moves "
        "the VIP on one node only",
    ),
}


def _global_checks(errs, valid):
    """global_defs settings that must be equal on every member; router_id unique."""
    if len(valid) < 2:
        return
    for key, (default, why) in _PAIR_GLOBALS.items():
        values = {}
        for host, config in valid.items():
            value = bool(config.get("global_defs", {}).get(key, default))
            values.setdefault(value, []).append(host)
        if len(values) > 1:
            detail = "; ".join(
                f"{', '.join(hosts)}: {str(value).lower()}" for value, hosts in values.items()
            )
            errs.append(
                f"keepalived_global_defs.{key}: differs between the members of the pair "
                f"({detail}); {why}: set it the same on all of them"
            )
    routers = {}
    for host, config in valid.items():
        router_id = config.get("global_defs", {}).get("router_id")
        if router_id:
            routers.setdefault(router_id, []).append(host)
    for router_id, hosts in routers.items():
        if len(hosts) > 1:
            errs.append(
                f"keepalived_global_defs.router_id: {', '.join(hosts)} all have router_id "
                f"{_show(router_id)}; it names the node in logs and alerts and must be unique "
                "(keepalived_router_id defaults to the short host name)"
            )


@only_config_errors(KeepalivedConfigError, "keepalived cluster check")
def cluster_errors(members):
    """Return every problem of the cluster ``members`` (host -> {config, facts})."""
    errs = []
    if not isinstance(members, dict):
        return [
            f"keepalived cluster check: expected a mapping of host to config, got {_show(members)}"
        ]
    configs = {
        host: m.get("config") if isinstance(m, dict) else None for host, m in members.items()
    }
    for host, m in members.items():
        if configs[host] is None:
            errs.append(
                f"{host}: has no valid keepalived configuration (see its own error above); "
                "the pair is not changed while one member is wrong"
            )
            continue
        _host_checks(errs, host, configs[host], m.get("facts"))
    valid = {h: c for h, c in configs.items() if c is not None}
    _global_checks(errs, valid)
    names = []
    for config in valid.values():
        for inst in config.get("instances", []):
            if inst["name"] not in names:
                names.append(inst["name"])
    by_vrid = {}
    for name in names:
        members_of = []
        for host, config in valid.items():
            inst = next((i for i in config["instances"] if i["name"] == name), None)
            if inst is None:
                errs.append(
                    f"{host}: {_INST}: has no instance {name!r}, which the other members have"
                )
                continue
            members_of.append((host, inst))
        if len(members_of) < 2:
            continue
        _same(errs, name, members_of, lambda i: i.get("virtual_router_id"), "virtual_router_id")
        _same(errs, name, members_of, _vips, "virtual_ipaddresses")
        _same(errs, name, members_of, lambda i: i.get("advert_int", 1), "advert_int")
        _same(errs, name, members_of, lambda i: i.get("version", 2), "version")
        _same(
            errs, name, members_of, lambda i: i.get("authentication"), "authentication", show=False
        )
        _same(errs, name, members_of, lambda i: bool(i.get("nopreempt")), "nopreempt")
        priorities = {}
        for host, inst in members_of:
            priorities.setdefault(inst["priority"], []).append(host)
        for priority, hosts in priorities.items():
            if len(hosts) > 1:
                errs.append(
                    f"{_INST}[{name}].priority: {', '.join(hosts)} all have priority {priority}; "
                    "priorities must differ, or the election falls to the highest IP address "
                    "(set keepalived_priority per host or priority per instance)"
                )
        masters = [h for h, i in members_of if i["state"] == "MASTER"]
        if len(masters) > 1:
            errs.append(
                f"{_INST}[{name}].state: {', '.join(masters)} all start as MASTER; "
                "exactly one member starts as MASTER (or none, with nopreempt)"
            )
        elif masters:
            best = max(members_of, key=lambda m: m[1]["priority"])
            if best[0] != masters[0]:
                errs.append(
                    f"{_INST}[{name}].state: {masters[0]} starts as MASTER but {best[0]} has "
                    "the higher priority; give the MASTER the highest priority"
                )
        _weight_checks(errs, name, members_of, valid)
        _unicast_checks(errs, name, members_of)
    # One VRID per segment: different instances must not share a VRID on an interface.
    for host, config in valid.items():
        for inst in config.get("instances", []):
            key = (inst.get("interface"), inst.get("virtual_router_id"), family(inst))
            other = by_vrid.setdefault(key, (inst["name"], host))
            if other[0] != inst["name"]:
                errs.append(
                    f"{host}: {_INST}[{inst['name']}].virtual_router_id: {key[1]} on "
                    f"{key[0]} is also the VRID of instance {other[0]!r} on {other[1]}; "
                    "one VRID per network segment"
                )
    return errs
