# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks across several VRRP pairs, before any host is touched.

_vrrp_cluster checks one pair (its members agree with each other); this
module checks the pairs of one inventory against each other:

1. a host belongs to exactly one pair (its ``keepalived_cluster_group``,
   which must be a group it is in);
2. a virtual IP address belongs to one pair;
3. two pairs that share a network segment do not share a VRID of the same
   address family on it (VRRP adverts of one pair would reach the other),
   unless both use unicast and both allow it with
   ``keepalived_allow_shared_vrid``, and neither uses ``use_vmac`` (both
   would own the virtual MAC 00:00:5e:00:01:<VRID> there).

Input: ``hosts``, an ordered mapping host -> the variables read for it
(``keepalived_cluster_group``, ``keepalived_instances``,
``keepalived_unicast``, ``keepalived_allow_shared_vrid``, ``ansible_facts``;
a missing one takes the role default, see DEFAULTS), and ``groups``, group
name -> list of hosts. Output: ``{"errors": [...], "warnings": [...]}``,
each message starting with the pair group and naming the variable. Pure
functions, standard library only.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.halb.cluster.plugins.module_utils._keepalived import (
    VAR_NAMES,
    KeepalivedConfigError,
    _fact_key,
    _items,
    family,
    normalize,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    only_config_errors,
    show,
)

_INST = VAR_NAMES["instances"]

# The role defaults (roles/keepalived/defaults/main.yml) of the variables read
# here: a host outside the run has only its inventory variables in hostvars.
DEFAULTS = {
    "keepalived_cluster_group": "loadbalancers",
    "keepalived_instances": [],
    "keepalived_unicast": False,
    "keepalived_allow_shared_vrid": False,
}
# What is read of each host (the filter takes these from hostvars).
VARIABLES = (*DEFAULTS, "ansible_facts")

# Instance keys that only the derivation or a single host's check needs:
# left out before the instances are normalised here, so that a host outside
# the run (no role defaults: no keepalived_scripts) still reads.
_DERIVED_ONLY = ("unicast", "track_scripts", "track_files")
_VMAC_PREFIX = {4: "00:00:5e:00:01", 6: "00:00:5e:00:02"}


def _flag(value):
    """True, "true", "yes", "on", "1" (any case) and 1 are true; anything else false."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return value is True or (isinstance(value, int) and not isinstance(value, bool) and value == 1)


def _name(value):
    """A group or host name fit for a message, else None."""
    if isinstance(value, str) and 0 < len(value) <= 253 and not CONTROL_RE.search(value):
        return value
    return None


def _listed(names):
    return ", ".join(names)


def _instances(raw):
    """The host's keepalived_instances normalised by the model, or None when invalid
    (the host's own role check reports why)."""
    if not isinstance(raw, (list, tuple)):
        return None
    cleaned = []
    for item in raw:
        if not isinstance(item, dict):
            return None
        item = {k: v for k, v in item.items() if k not in _DERIVED_ONLY}
        # priority and state are derived from the group order when unset;
        # they do not matter across pairs.
        item.setdefault("priority", 100)
        item.setdefault("state", "BACKUP")
        cleaned.append(item)
    if not cleaned:
        return []
    try:
        return normalize({"instances": cleaned}, allow_weak_secrets=True)["instances"]
    except KeepalivedConfigError:
        return None


def _networks(facts, interface, version):
    """The IP networks of ``interface`` in the host's facts, of one IP version
    (IPv4: address and secondaries; IPv6: scope global only)."""
    if not isinstance(facts, dict) or not isinstance(interface, str):
        return set()
    data = facts.get(_fact_key(interface))
    if not isinstance(data, dict):
        data = facts.get(interface)
    if not isinstance(data, dict):
        return set()
    found = set()
    if version == 4:
        entries = _items(data.get("ipv4")) + _items(data.get("ipv4_secondaries"))
    else:
        entries = [
            e
            for e in _items(data.get("ipv6"))
            if isinstance(e, dict) and e.get("scope") == "global"
        ]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        address = entry.get("address")
        mask = entry.get("netmask") if version == 4 else None
        if mask is None:
            mask = entry.get("prefix")
        if not isinstance(address, str) or isinstance(mask, bool):
            continue
        if not isinstance(mask, (str, int)):
            continue
        try:
            network = ipaddress.ip_interface(f"{address.split('%')[0].strip()}/{mask}").network
        except ValueError:
            continue  # not an address: ignored like any other unknown fact
        if network.version == version:
            found.add(network)
    return found


def _vmac(inst):
    return any(line.split()[0] == "use_vmac" for line in inst.get("extra", []) if line.split())


class _Instance:
    """One pair's instance, gathered over the members of the pair."""

    __slots__ = (
        "family",
        "hosts",
        "name",
        "networks",
        "pair",
        "shared",
        "unicast",
        "vmac",
        "vrid",
        "waiting",
    )

    def __init__(self, pair, name, vrid, fam):
        self.pair, self.name, self.vrid, self.family = pair, name, vrid, fam
        self.hosts = []
        self.networks = set()
        self.unicast = True
        self.vmac = False
        self.shared = True
        self.waiting = []  # hosts of this run whose facts are not gathered (yet)


def _read(hosts):
    """host -> (pair, instances or None, unicast, shared, facts), with the role defaults."""
    out = {}
    for host, hv in hosts.items():
        hv = hv if isinstance(hv, dict) else {}
        values = {key: hv.get(key, default) for key, default in DEFAULTS.items()}
        out[host] = (
            values["keepalived_cluster_group"],
            _instances(values["keepalived_instances"]),
            _flag(values["keepalived_unicast"]),
            _flag(values["keepalived_allow_shared_vrid"]),
            hv.get("ansible_facts") if isinstance(hv.get("ansible_facts"), dict) else None,
        )
    return out


def _membership(findings, read, groups):
    """A host is in exactly one pair group, and its own pair group holds it.

    Returns the hosts whose pair is not clear: they are left out of the
    other checks until that is fixed (their messages would only repeat it)."""
    pairs = []
    unclear = set()
    for host, (pair, *_rest) in read.items():
        name = _name(pair)
        if name is None:
            unclear.add(host)
            findings.append(
                (
                    (pair,),
                    f"{host}: keepalived_cluster_group: {show(pair)} is not a group name; set it "
                    "to the inventory group of this host's pair",
                )
            )
            continue
        members = groups.get(name)
        members = [m for m in members if isinstance(m, str)] if isinstance(members, list) else None
        if members is None:
            unclear.add(host)
            findings.append(
                (
                    (name,),
                    f"{name}: {host}: keepalived_cluster_group is {name}, but there is no such "
                    "group in the inventory; set it to the group of this host's pair",
                )
            )
            continue
        if host not in members:
            unclear.add(host)
            findings.append(
                (
                    (name,),
                    f"{name}: {host}: keepalived_cluster_group is {name}, but {host} is not in that "
                    "group; add the host to the group, or set keepalived_cluster_group to the "
                    "group of its pair",
                )
            )
        if name not in pairs:
            pairs.append(name)
    members = {pair: [m for m in groups[pair] if isinstance(m, str)] for pair in pairs}
    sets = {pair: set(hosts) for pair, hosts in members.items()}
    users = {pair: [h for h, r in read.items() if r[0] == pair] for pair in pairs}
    # A group that holds other pairs (the parent group) named as a pair: one
    # message for it instead of one per pair it holds.
    parents = {}
    for pair in pairs:
        held = [o for o in pairs if o != pair and sets[o] and sets[o] <= sets[pair]]
        if held and not (len(held) == 1 and sets[held[0]] == sets[pair]):
            parents[pair] = held
            unclear.update(sets[pair])
            findings.append(
                (
                    (pair, *held),
                    f"{pair}: keepalived_cluster_group is {pair} for {_listed(users[pair])}, but "
                    f"{pair} holds the pairs {_listed(held)}; a host belongs to exactly one pair: "
                    "set keepalived_cluster_group in the group_vars of each pair group to that "
                    "group (or in the host_vars of these hosts to the group of their pair)",
                )
            )
    for i, first in enumerate(pairs):
        for second in pairs[i + 1 :]:
            if first in parents or second in parents:
                continue
            both = [h for h in members[first] if h in sets[second]]
            if not both:
                continue
            unclear.update(both)
            findings.append(
                (
                    (first, second),
                    f"{second}: {_listed(both)} {'is' if len(both) == 1 else 'are'} also in {first}; a host belongs to exactly one "
                    f"pair (keepalived_cluster_group is {first} for "
                    f"{_listed(users[first]) or 'none'} and {second} for "
                    f"{_listed(users[second]) or 'none'}): take the hosts out of one of the "
                    "groups",
                )
            )
    return unclear


def _gather(read, running):
    """(pair, instance name) -> _Instance, in inventory order."""
    gathered = {}
    for host, (pair, instances, unicast, shared, facts) in read.items():
        if _name(pair) is None or instances is None:
            continue
        for inst in instances:
            fam = family(inst)
            key = (pair, inst["name"])
            entry = gathered.get(key)
            if entry is None:
                entry = gathered[key] = _Instance(
                    pair, inst["name"], inst["virtual_router_id"], fam
                )
            entry.hosts.append(host)
            if not facts and host in running:
                entry.waiting.append(host)
            entry.unicast = entry.unicast and (unicast or bool(inst.get("unicast_peers")))
            entry.shared = entry.shared and shared
            entry.vmac = entry.vmac or _vmac(inst)
            entry.networks |= _networks(facts, inst.get("interface"), fam)
            for vip in inst.get("virtual_ipaddresses", []):
                if vip.get("dev") not in (None, inst.get("interface")):
                    continue  # another interface: not the segment the adverts go to
                net = ipaddress.ip_interface(f"{vip['address']}/{vip['prefix']}").network
                if net.version == fam and net.prefixlen < net.max_prefixlen:
                    entry.networks.add(net)
    return gathered


def _vip_checks(findings, read):
    owners = {}
    for _host, (pair, instances, *_rest) in read.items():
        if _name(pair) is None or instances is None:
            continue
        for inst in instances:
            for vip in inst.get("virtual_ipaddresses", []):
                address = ipaddress.ip_address(vip["address"])
                seen = owners.setdefault(address, {})
                seen.setdefault(pair, inst["name"])
    for address, seen in owners.items():
        if len(seen) < 2:
            continue
        pairs = list(seen)
        first = pairs[0]
        for other in pairs[1:]:
            findings.append(
                (
                    (first, other),
                    f"{other}: {_INST}[{seen[other]}].virtual_ipaddresses: {address} is also a "
                    f"VIP of {first} (instance {seen[first]}); an address belongs to one "
                    "pair only (whatever its prefix or interface): give one of them another "
                    "address",
                )
            )


def _overlap(left, right):
    """The first pair of overlapping networks, or None."""
    for a in sorted(left, key=str):
        for b in sorted(right, key=str):
            if a.overlaps(b):
                return a, b
    return None


def _vrid_checks(findings, notes, gathered):
    by_vrid = {}
    for entry in gathered.values():
        by_vrid.setdefault((entry.vrid, entry.family), []).append(entry)
    for (vrid, fam), entries in by_vrid.items():
        for i, first in enumerate(entries):
            for second in entries[i + 1 :]:
                if first.pair == second.pair:
                    continue  # within one pair: _vrrp_cluster's check
                _vrid_pair(findings, notes, vrid, fam, first, second)


def _waiting(*entries):
    hosts = [h for e in entries if not e.networks for h in e.waiting]
    if not hosts:
        return ""
    return (
        f"; {_listed(hosts)} {'is' if len(hosts) == 1 else 'are'} in this run without facts: "
        "a serial batch gathers only its own facts, so gather every pair's facts first (a "
        "play before, as site.yml does with halb_serial_pairs, or a fact cache) to compare "
        "them before the first batch changes"
    )


def _vrid_pair(findings, notes, vrid, fam, first, second):
    both_unicast = first.unicast and second.unicast
    vmac = [e.pair for e in (first, second) if e.vmac]
    if both_unicast and first.shared and second.shared and not vmac:
        return  # allowed: unicast adverts go to the pair's own peers only
    head = (
        f"{second.pair}: {_INST}[{second.name}].virtual_router_id: {vrid}"
        f"{'' if fam == 4 else ' (IPv6)'}"
    )
    if not first.networks or not second.networks:
        missing = [e.pair for e in (first, second) if not e.networks]
        notes.append(
            (
                (first.pair, second.pair),
                f"{head} is also the VRID of {first.pair} (instance {first.name}), but "
                f"{second.pair} was not compared with {first.pair}: no facts and no VIP network; "
                f"run both pairs or use a fact cache ({_listed(missing)} had neither), or give "
                f"them different VRIDs{_waiting(first, second)}",
            )
        )
        return
    found = _overlap(second.networks, first.networks)
    if found is None:
        return
    mine, theirs = found
    where = "that segment" if mine == theirs else f"the overlapping segment {theirs}"
    text = (
        f"{head} on segment {mine} is also the VRID of {first.pair} (instance {first.name}) "
        f"on {where}; "
    )
    fix = "give one of them another virtual_router_id (1-255)"
    if vmac:
        text += (
            f"{fix}: keepalived_allow_shared_vrid cannot allow it, because {_listed(vmac)} "
            f"use{'s' if len(vmac) == 1 else ''} use_vmac (both pairs would own the virtual MAC "
            f"{_VMAC_PREFIX[fam]}:{vrid:02x} on the segment)"
        )
    elif both_unicast:
        flags = ", ".join(f"{e.pair}: {str(e.shared).lower()}" for e in (second, first))
        text += (
            f"{fix}, or, since both pairs use unicast, set keepalived_allow_shared_vrid: true "
            f"on both pairs to allow it (now {flags})"
        )
    else:
        text += f"the VRRP adverts of one pair reach the other: {fix}"
    findings.append(((first.pair, second.pair), text))


@only_config_errors(KeepalivedConfigError, "keepalived checks across pairs")
def pairs_check(hosts, groups, pair=None, running=()):
    """Check the pairs of ``hosts`` (host -> variables) against each other.

    ``groups`` maps group names to their hosts (Ansible's ``groups``). With
    ``pair``, only the messages that concern that pair are returned.
    ``running``: the hosts of this run (a warning says when one of them has
    no facts yet, as in a later serial batch). Returns
    ``{"errors": [...], "warnings": [...]}``.
    """
    if not isinstance(hosts, dict):
        return {
            "errors": [
                f"keepalived checks across pairs: expected a mapping of host to variables, got "
                f"{show(hosts)}"
            ],
            "warnings": [],
        }
    groups = groups if isinstance(groups, dict) else {}
    hosts = {h: v for h, v in hosts.items() if _name(h) is not None}
    findings = []
    notes = []
    read = _read(hosts)
    unclear = _membership(findings, read, groups)
    read = {h: r for h, r in read.items() if h not in unclear}
    _vip_checks(findings, read)
    running = (
        {h for h in running if isinstance(h, str)}
        if isinstance(running, (list, tuple, set))
        else set()
    )
    _vrid_checks(findings, notes, _gather(read, running))

    def chosen(items):
        out = []
        for pairs, text in items:
            if (pair is None or pair in pairs) and text not in out:
                out.append(text)
        return out

    return {"errors": chosen(findings), "warnings": chosen(notes)}
