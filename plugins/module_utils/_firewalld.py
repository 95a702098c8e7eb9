# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewalld role's variables: checks, and the rules they stand for.

Pure functions over plain data, standard library only. ``errors()`` reports
every problem at once, each message naming its variable and what is allowed;
``rules()`` turns the checked variables into zone entries: rich rules for
VRRP (to the multicast group, or from each unicast peer) and for ports open
to some sources only, plain ports for those open to everyone, and services.
The filters (controller) and the firewalld_rules module (host) both call
them; the second half of this file is the module's logic: reading
firewall-cmd's listings and the role's record, deciding what to remove and
add, and the refusal to prune a list that is not known.
"""

from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.halb.cluster.plugins.module_utils._keepalived import VRRP_GROUPS
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    ConfigError,
    as_bool,
    as_choice,
    as_int,
    as_ip,
    as_list,
    as_network,
    as_path,
    only_config_errors,
    show,
    unknown_keys,
)

# firewalld zone names: letters, digits, _ and -, at most 17 characters.
_ZONE_RE = re.compile(r"^[A-Za-z0-9_-]{1,17}$")
_IFACE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$")
_SERVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
VRRP_PROTOCOLS = ("vrrp", "ah")
PORT_PROTOCOLS = ("tcp", "udp", "sctp")
# What the keepalived and haproxy roles export beside what the firewall needs.
_VRRP_KEYS = ("interface", "family", "protocols", "destination", "sources", "instances")
_PORT_KEYS = ("port", "protocol", "sources", "proxies", "addresses")


class FirewalldConfigError(ConfigError):
    """Invalid firewalld_* variables."""


def _keys(errs, where, item, allowed):
    """unknown_keys, once every key is a short string (a message repeats it)."""
    odd = [k for k in item if not isinstance(k, str) or len(k) > 64 or CONTROL_RE.search(k)]
    if odd:
        errs.append(f"{where}: unknown key {show(odd[0])} (allowed: {', '.join(sorted(allowed))})")
        return
    unknown_keys(errs, where, item, allowed)


def _zone(errs, var, value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _ZONE_RE.fullmatch(value):
        errs.append(
            f"{var}: {show(value)} is not a firewalld zone name (letters, digits, _ and -, "
            "at most 17 characters), or null for the default zone"
        )
        return None
    return value


def _network(errs, where, value):
    """An address or a network in CIDR notation (host bits clear), canonical;
    never a zone ID or a control character (they would reach a rich rule)."""
    if value is None:
        errs.append(f"{where}: required (an IP address or network in CIDR notation)")
        return None
    text = as_network(errs, where, value)
    return None if text is None else ipaddress.ip_network(text)


def _text(net):
    """A network as firewalld shows it: a single host without its prefix."""
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address)
    return str(net)


def _sources(errs, where, value):
    found = []
    for j, raw in enumerate(as_list(errs, where, value)):
        net = _network(errs, f"{where}[{j}]", raw)
        if net is not None and net not in found:
            found.append(net)
    return found


def _vrrp(errs, values):
    var = "firewalld_vrrp"
    entries = []
    for i, item in enumerate(as_list(errs, var, values.get(var))):
        where = f"{var}[{i}]"
        if not isinstance(item, dict):
            errs.append(f"{where}: expected a mapping with interface and destination or sources")
            continue
        _keys(errs, where, item, _VRRP_KEYS)
        iface = item.get("interface")
        if not isinstance(iface, str) or not _IFACE_RE.fullmatch(iface):
            errs.append(
                f"{where}.interface: {show(iface)} is not an interface name (required); "
                "allowed: letters, digits and _ . : @ -, at most 15 characters"
            )
            iface = None
        protocols = []
        for j, proto in enumerate(as_list(errs, f"{where}.protocols", item.get("protocols"))):
            proto = as_choice(errs, f"{where}.protocols[{j}]", proto, VRRP_PROTOCOLS)
            if proto and proto not in protocols:
                protocols.append(proto)
        if item.get("protocols") is None:
            protocols = ["vrrp"]
        elif "vrrp" not in protocols and protocols:
            errs.append(f"{where}.protocols: must contain vrrp (ah alone carries no adverts)")
        sources = _sources(errs, f"{where}.sources", item.get("sources"))
        destination = item.get("destination")
        if destination is not None:
            probe = []
            destination = as_ip(probe, f"{where}.destination", destination)
            if destination is None:
                errs.append(
                    f"{where}.destination: {show(item.get('destination'))} is not an IP address"
                    + (" (" + probe[0].split(": ", 1)[1] + ")" if "control" in str(probe) else "")
                )
            else:
                destination = ipaddress.ip_address(destination)
                if not destination.is_multicast:
                    errs.append(
                        f"{where}.destination: {destination} is not a multicast address "
                        "(VRRP uses 224.0.0.18 and ff02::12; unicast VRRP is given by sources)"
                    )
                    destination = None
        if destination is not None and sources:
            errs.append(
                f"{where}: give destination (multicast VRRP) or sources (the unicast peers), "
                "not both"
            )
            continue
        families = {net.version for net in sources}
        if destination is not None:
            families.add(destination.version)
        fam = item.get("family")
        if fam is not None:
            fam = as_choice(errs, f"{where}.family", fam, (4, 6))
        if fam is not None and families and families != {fam}:
            errs.append(f"{where}.family: {fam} does not match the addresses given")
            continue
        if len(families) > 1:
            errs.append(f"{where}.sources: mixes IPv4 and IPv6; use one entry per family")
            continue
        fam = fam or (families.pop() if families else 4)
        if destination is None and not sources and item.get("destination") is None:
            destination = ipaddress.ip_address(VRRP_GROUPS[fam])
        if iface is None:
            continue
        entries.append(
            {
                "interface": iface,
                "family": fam,
                "protocols": protocols,
                "destination": str(destination) if destination is not None else None,
                "sources": [_text(net) for net in sources],
            }
        )
    return entries


def _ports(errs, values):
    var = "firewalld_ports"
    entries = []
    seen = set()
    for i, item in enumerate(as_list(errs, var, values.get(var))):
        where = f"{var}[{i}]"
        if isinstance(item, (int, str)) and not isinstance(item, bool):
            item = {"port": item}
        if not isinstance(item, dict):
            errs.append(f"{where}: expected a port number or a mapping with port")
            continue
        _keys(errs, where, item, _PORT_KEYS)
        if item.get("port") is None:
            errs.append(f"{where}.port: required (1-65535)")
        port = as_int(errs, f"{where}.port", item.get("port"), 1, 65535)
        protocol = as_choice(errs, f"{where}.protocol", item.get("protocol", "tcp"), PORT_PROTOCOLS)
        sources = _sources(errs, f"{where}.sources", item.get("sources"))
        if port is None or protocol is None:
            continue
        if (port, protocol) in seen:
            errs.append(f"{where}: {port}/{protocol} is listed twice; merge the sources")
            continue
        seen.add((port, protocol))
        entries.append(
            {"port": port, "protocol": protocol, "sources": [_text(net) for net in sources]}
        )
    return entries


def _services(errs, values):
    var = "firewalld_services"
    found = []
    for i, name in enumerate(as_list(errs, var, values.get(var))):
        if not isinstance(name, str) or not _SERVICE_RE.fullmatch(name):
            errs.append(
                f"{var}[{i}]: {show(name)} is not a firewalld service name (e.g. ssh: letters, "
                "digits and _ . + -, at most 64 characters)"
            )
        elif name not in found:
            found.append(name)
    return found


def normalize(values):
    """``(clean values, errors)`` for a mapping of firewalld_* variables."""
    errs = []
    if not isinstance(values, dict):
        return {}, ["firewalld: expected a mapping of firewalld_* variables"]
    clean = {
        "zone": _zone(errs, "firewalld_zone", values.get("firewalld_zone")),
        "vrrp_zone": _zone(errs, "firewalld_vrrp_zone", values.get("firewalld_vrrp_zone")),
        "vrrp": _vrrp(errs, values),
        "ports": _ports(errs, values),
        "services": _services(errs, values),
    }
    for var in ("firewalld_prune", "firewalld_enabled"):
        if var not in values:
            continue
        if values[var] is None:
            errs.append(f"{var}: required (allowed: true, false)")
        else:
            as_bool(errs, var, values[var])
    if "firewalld_state" in values:
        if values["firewalld_state"] is None:
            errs.append("firewalld_state: required (allowed: started, stopped)")
        else:
            as_choice(errs, "firewalld_state", values["firewalld_state"], ("started", "stopped"))
    if "firewalld_state_file" in values:
        if values["firewalld_state_file"] in (None, ""):
            errs.append("firewalld_state_file: required (an absolute path)")
        clean["state_file"] = as_path(
            errs, "firewalld_state_file", values["firewalld_state_file"], "file path"
        )
    return clean, errs


@only_config_errors(FirewalldConfigError, "firewalld")
def _normalize(values):
    return normalize(values)


def errors(values):
    """Every problem of the role's variables, each message naming its variable;
    never raises, whatever the values."""
    try:
        return _normalize(values)[1]
    except FirewalldConfigError as exc:
        return exc.errors


def zone_errors(values, zones):
    """The zones the variables name that the host does not have. ``zones`` is
    the host's report (see :func:`parse_zone_report`)."""
    errs = []
    if not isinstance(values, dict) or not isinstance(zones, dict):
        return errs
    known = zones.get("zones") or []
    for var in ("firewalld_zone", "firewalld_vrrp_zone"):
        zone = values.get(var)
        if zone not in (None, "") and zone not in known:
            errs.append(
                f"{var}: zone {zone!r} does not exist on this host "
                f"(allowed: {', '.join(known) or 'none found'}; or null for the default zone "
                f"{zones.get('default')!r})"
            )
    return errs


def parse_zone_report(text):
    """Read the role's zone report: ``default=Z``, ``zones=A B C`` and one
    ``interface.<name>=<zone or empty>`` line per VRRP interface."""
    report = {"default": None, "zones": [], "interfaces": {}}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if key == "default":
            report["default"] = value or None
        elif key == "zones":
            report["zones"] = value.split()
        elif key.startswith("interface."):
            report["interfaces"][key[len("interface.") :]] = value or None
    return report


def _family_name(version):
    return f"ipv{version}"


@only_config_errors(FirewalldConfigError, "firewalld")
def rules(values, zones):
    """The zone entries the variables stand for, sorted and without repeats::

        [{"zone": "public", "rich_rule": 'rule family="ipv4" destination
          address="224.0.0.18" protocol value="vrrp" accept'},
         {"zone": "public", "port": "80/tcp"}, {"zone": "public", "service": "ssh"}]

    Services and ports go to ``firewalld_zone`` (default: the host's default
    zone); VRRP goes to ``firewalld_vrrp_zone``, else to the zone the VRRP
    interface is bound to, else to the same zone as the ports.
    """
    clean, errs = _normalize(values)
    if errs:
        raise FirewalldConfigError(errs)
    main_zone = clean["zone"] or zones.get("default") or "public"
    bound = zones.get("interfaces") or {}
    found = []

    def add(entry):
        if entry not in found:
            found.append(entry)

    for item in clean["vrrp"]:
        zone = clean["vrrp_zone"] or bound.get(item["interface"]) or main_zone
        family = _family_name(item["family"])
        for proto in item["protocols"]:
            if item["sources"]:
                for source in item["sources"]:
                    add(
                        {
                            "zone": zone,
                            "rich_rule": f'rule family="{family}" source address="{source}" '
                            f'protocol value="{proto}" accept',
                        }
                    )
            else:
                add(
                    {
                        "zone": zone,
                        "rich_rule": f'rule family="{family}" destination '
                        f'address="{item["destination"]}" protocol value="{proto}" accept',
                    }
                )
    for item in clean["ports"]:
        if not item["sources"]:
            add({"zone": main_zone, "port": f"{item['port']}/{item['protocol']}"})
            continue
        for source in item["sources"]:
            family = _family_name(ipaddress.ip_network(source).version)
            add(
                {
                    "zone": main_zone,
                    "rich_rule": f'rule family="{family}" source address="{source}" '
                    f'port port="{item["port"]}" protocol="{item["protocol"]}" accept',
                }
            )
    for name in clean["services"]:
        add({"zone": main_zone, "service": name})
    return found


def stale(previous, wanted):
    """The entries of an earlier run (``previous``, as :func:`rules` returned
    them) that are no longer wanted: the ones the role must remove."""
    previous = [e for e in (previous or []) if isinstance(e, dict)]
    return [e for e in previous if e not in wanted]


# --- The host side: what the firewalld_rules module reads and decides. -----

# The lists the role may not know (no export, no local fact, no value), and
# where they would have come from: the refusal names them.
UNKNOWN_SOURCES = {
    "vrrp": {
        "var": "firewalld_vrrp",
        "export": "keepalived_firewalld_vrrp",
        "role": "halb.cluster.keepalived",
        "fact": "halb_keepalived",
    },
    "ports": {
        "var": "firewalld_ports",
        "export": "haproxy_firewalld_ports",
        "role": "halb.cluster.haproxy",
        "fact": "halb_haproxy",
    },
}
_ENTRY_KINDS = ("rich_rule", "port", "service")
_PORT_ENTRY_RE = re.compile(r"^[0-9]{1,5}/(tcp|udp|sctp)$")


def host_errors(values, report):
    """What the firewalld_errors filter reports with a zone report: the
    variables' problems, else the zones the host lacks."""
    errs = errors(values)
    return errs or zone_errors(values, report)


def entry_kind(entry):
    """``rich_rule``, ``port`` or ``service``: the one key of a zone entry."""
    return next(kind for kind in _ENTRY_KINDS if kind in entry)


def record_entries(data, where="firewalld_state_file"):
    """The entries of the role's record (what an earlier run added), checked:
    they reach firewall-cmd's argument list, so a record someone edited into
    something the role never writes is refused, naming the entry."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise FirewalldConfigError([f"{where}: expected a JSON list of zone entries"])
    errs = []
    found = []
    for i, item in enumerate(data):
        kinds = [k for k in _ENTRY_KINDS if isinstance(item, dict) and k in item]
        ok = (
            isinstance(item, dict)
            and len(kinds) == 1
            and set(item) == {"zone", kinds[0]}
            and isinstance(item["zone"], str)
            and _ZONE_RE.fullmatch(item["zone"])
            and isinstance(item[kinds[0]], str)
            and len(item[kinds[0]]) <= 512
            and not CONTROL_RE.search(item[kinds[0]])
        )
        if ok:
            value = item[kinds[0]]
            ok = {
                "rich_rule": lambda v: v.startswith("rule "),
                "port": _PORT_ENTRY_RE.fullmatch,
                "service": _SERVICE_RE.fullmatch,
            }[kinds[0]](value)
        if not ok:
            errs.append(
                f"{where}[{i}]: {show(item)} is not an entry this role writes "
                "({zone, rich_rule | port | service}); remove it from the record"
            )
        elif item not in found:
            found.append(dict(item))
    if errs:
        raise FirewalldConfigError(errs)
    return found


def _removal_text(entry):
    return entry.get("rich_rule") or entry.get("port") or entry.get("service")


def unknown_removals(stale_entries, known):
    """The refusals of pruning: for each list not ``known`` (``{"vrrp": bool,
    "ports": bool}``), the recorded entries of that list pruning would
    remove, as one message each (empty when there is nothing to refuse).
    VRRP entries are the rich rules with `` protocol value=``; port entries
    are ports and the rich rules with `` port port=``."""
    groups = {
        "vrrp": [e for e in stale_entries if " protocol value=" in e.get("rich_rule", "")],
        "ports": [
            e for e in stale_entries if "port" in e or " port port=" in e.get("rich_rule", "")
        ],
    }
    messages = []
    for key in ("vrrp", "ports"):
        if known.get(key, True) or not groups[key]:
            continue
        src = UNKNOWN_SOURCES[key]
        entries = "; ".join(f"{e['zone']}: {_removal_text(e)}" for e in groups[key])
        messages.append(
            f"{src['var']}: not known here (no {src['export']} from {src['role']} earlier in "
            f"the play, no local fact ansible_local.{src['fact']}, no value), so firewalld_prune "
            f"would remove what an earlier run added for it on this host: {entries}. Run "
            f"{src['role']} earlier in the play, or set {src['var']} (the rules wanted; [] "
            "removes them), or set firewalld_prune to false."
        )
    return messages


def parse_zone_listing(text):
    """Read ``firewall-cmd [--permanent] --list-all-zones`` (or
    firewall-offline-cmd's): ``{"default": zone or None, "zones": {zone:
    {"interfaces": [...], "rich_rule": [...], "port": [...], "service":
    [...]}}}``. The default zone is the one marked ``(default...)``."""
    listing = {"default": None, "zones": {}}
    zone = None
    in_rich = False
    for line in (text or "").splitlines():
        if not line.strip():
            in_rich = False
            continue
        if not line[:1].isspace():
            name, _sep, marks = line.strip().partition(" ")
            zone = {"interfaces": [], "rich_rule": [], "port": [], "service": []}
            listing["zones"][name] = zone
            in_rich = False
            if "default" in marks:
                listing["default"] = name
            continue
        if zone is None:
            continue
        stripped = line.strip()
        if in_rich and line.startswith("\t"):
            zone["rich_rule"].append(stripped)
            continue
        key, sep, value = stripped.partition(":")
        if not sep:
            continue
        in_rich = key == "rich rules"
        if key == "rich rules" and value.strip():
            zone["rich_rule"].append(value.strip())
        elif key in ("interfaces", "ports", "services"):
            target = {"interfaces": "interfaces", "ports": "port", "services": "service"}[key]
            zone[target] = value.split()
    return listing


def parse_active_zones(text):
    """The interface bindings of ``firewall-cmd --get-active-zones``:
    ``{interface: zone}``."""
    bound = {}
    zone = None
    for line in (text or "").splitlines():
        if line.strip() and not line[:1].isspace():
            zone = line.split()[0]
        elif zone and line.strip().startswith("interfaces:"):
            for iface in line.split(":", 1)[1].split():
                bound.setdefault(iface, zone)
    return bound


def bindings(listing):
    """The interface bindings of a zone listing: ``{interface: zone}``."""
    bound = {}
    for name, zone in listing["zones"].items():
        for iface in zone["interfaces"]:
            bound.setdefault(iface, name)
    return bound


def _present(listing, entry):
    zone = listing["zones"].get(entry["zone"])
    if zone is None:
        return None
    kind = entry_kind(entry)
    return entry[kind] in zone[kind]


def changes(listing, wanted, stale_entries):
    """What one configuration (permanent, runtime or offline) needs, per
    zone: ``{zone: {"remove": [entries], "add": [entries]}}``, only the
    zones with something to do. Stale entries are removed when present
    (a zone that is gone has nothing to remove); wanted ones added when
    missing."""
    todo = {}
    for entry in stale_entries:
        if _present(listing, entry):
            todo.setdefault(entry["zone"], {"remove": [], "add": []})["remove"].append(entry)
    for entry in wanted:
        if not _present(listing, entry):
            todo.setdefault(entry["zone"], {"remove": [], "add": []})["add"].append(entry)
    return todo


_OPTION = {"rich_rule": "rich-rule", "port": "port", "service": "service"}


def zone_arguments(zone, todo, offline=False):
    """firewall-cmd's argument lists for one zone's changes: removals first,
    then additions, one call per kind (firewall-cmd takes many
    ``--add-rich-rule`` in one call, but refuses ``--add-port`` beside
    ``--add-rich-rule``, and an add beside a remove). ``offline``:
    firewall-offline-cmd's, where ``--remove-service`` is the lokkit option
    (the default zone, alone) and a zone's is ``--remove-service-from-zone``."""
    calls = []
    for action in ("remove", "add"):
        for kind in _ENTRY_KINDS:
            values = [e[kind] for e in todo[action] if entry_kind(e) == kind]
            option = f"{action}-{_OPTION[kind]}"
            if offline and option == "remove-service":
                option = "remove-service-from-zone"
            if values:
                calls.append([f"--zone={zone}", *(f"--{option}={v}" for v in values)])
    return calls


def zone_lines(listing, zone):
    """One zone's services, ports and rich rules, one a line (for diffs)."""
    found = listing["zones"].get(zone) or {"service": [], "port": [], "rich_rule": []}
    lines = [f"service {v}" for v in sorted(found["service"])]
    lines += [f"port {v}" for v in sorted(found["port"])]
    lines += sorted(found["rich_rule"])  # each reads "rule ..."
    return "".join(line + "\n" for line in lines)


def apply_changes(listing, todo):
    """The listing after ``todo`` (as :func:`changes` gives it)."""
    after = {"default": listing["default"], "zones": {}}
    for name, zone in listing["zones"].items():
        after["zones"][name] = {k: list(v) for k, v in zone.items()}
    for name, work in todo.items():
        zone = after["zones"].setdefault(
            name, {"interfaces": [], "rich_rule": [], "port": [], "service": []}
        )
        for entry in work["remove"]:
            kind = entry_kind(entry)
            zone[kind] = [v for v in zone[kind] if v != entry[kind]]
        for entry in work["add"]:
            kind = entry_kind(entry)
            if entry[kind] not in zone[kind]:
                zone[kind].append(entry[kind])
    return after


def service_commands(props, enabled, state):
    """The ``systemctl`` argument lists that bring the unit (its
    ``systemctl show`` properties LoadState, UnitFileState, ActiveState) to
    unmasked, ``enabled`` and ``state`` (started or stopped; None leaves it
    as it is), in that order."""
    commands = []
    file_state = props.get("UnitFileState", "")
    if file_state.startswith("masked") or props.get("LoadState") == "masked":
        commands.append(["unmask"])
        file_state = "disabled"
    if enabled is True and file_state not in ("enabled", "enabled-runtime", "static", "alias"):
        commands.append(["enable"])
    elif enabled is False and file_state in ("enabled", "enabled-runtime"):
        commands.append(["disable"])
    active = props.get("ActiveState", "")
    if state == "started" and active not in ("active", "reloading"):
        commands.append(["start"])
    elif state == "stopped" and active in ("active", "activating", "reloading"):
        commands.append(["stop"])
    return commands


def record_text(wanted):
    """The record's content, as the role has always written it (Ansible's
    to_nice_json, and a newline)."""
    return json.dumps(wanted, indent=4, sort_keys=True, separators=(",", ": ")) + "\n"
