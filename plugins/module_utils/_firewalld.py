# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewalld role's variables: checks, and the rules they stand for.

Pure functions over plain data, standard library only. ``errors()`` reports
every problem at once, each message naming its variable and what is allowed;
``rules()`` turns the checked variables into the zone entries the role asks
``ansible.posix.firewalld`` for: rich rules for VRRP (to the multicast group,
or from each unicast peer) and for ports open to some sources only, plain
ports for those open to everyone, and services.
"""

from __future__ import annotations

import ipaddress
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
