#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: firewalld_rules
short_description: Let VRRP in and open the load balancer's ports in firewalld, in one call
version_added: 0.1.0
description:
  - The host side of the P(halb.cluster.firewalld#role) role in one module call. It checks the
    variables, reads the host's zones, checks the zones the variables name against them, reads
    the record of what an earlier run added, removes what is no longer wanted, adds what is
    missing (permanent, and immediate while firewalld runs; offline with C(firewall-offline-cmd)
    while it is down), writes the record, and last unmasks, enables and starts (or stops)
    firewalld.
  - The rules are the ones of the P(halb.cluster.firewalld_rules#filter) filter, computed by the
    same code, and every value is checked by it before anything changes; each message names the
    role variable it comes from (C(firewalld_vrrp), C(firewalld_ports) ...).
  - Only entries recorded in O(state_file) are ever removed. When O(vrrp) or O(ports) is not
    known (null, and no local fact on the host) and pruning would remove recorded entries of
    that list, the module refuses, naming the variable, and changes nothing.
  - On a fresh host (firewalld installed with its unit masked, not running) the rules are written
    offline and firewalld is started with them, so VRRP is never dropped and the pair never has
    two VIP holders.
  - C(firewall-cmd) and C(firewall-offline-cmd) are run with argument lists (never a shell), with
    every change of one zone in one call; an idempotent run reads the zones twice (permanent and
    runtime) and asks systemd once.
author:
  - halb.cluster contributors (!UNKNOWN)
options:
  zone:
    description: Zone of the ports and services (C(firewalld_zone)). Null is the host's default zone.
    type: str
  vrrp_zone:
    description:
      - Zone of the VRRP rules (C(firewalld_vrrp_zone)). Null is the zone the VRRP interface is
        bound to, else O(zone).
    type: str
  vrrp:
    description:
      - What VRRP needs (C(firewalld_vrrp)), as the P(halb.cluster.keepalived_vrrp_firewall#filter)
        filter exports it; see the firewalld role's C(meta/argument_specs.yml) for the keys.
      - Null means not given; the module then reads C(keepalived_firewalld_vrrp) from the local
        fact C(halb_keepalived.fact) in O(facts_dir), and when that is missing too the list is
        not known (no VRRP rule added, recorded ones never pruned).
    type: raw
  ports:
    description:
      - Ports to open (C(firewalld_ports)), as P(halb.cluster.haproxy_ports#filter) exports them;
        a number or a mapping C({port, protocol, sources}).
      - Null means not given; the module then reads C(haproxy_firewalld_ports) from the local
        fact C(halb_haproxy.fact) in O(facts_dir), and when that is missing too the list is not
        known.
    type: raw
  services:
    description: firewalld services to allow in O(zone) (C(firewalld_services)).
    type: raw
    default: []
  prune:
    description: Remove what an earlier run added and is no longer wanted (C(firewalld_prune)).
    type: bool
    default: true
  state_file:
    description: The record of the entries the role added (C(firewalld_state_file)); written C(0644) root.
    type: path
    default: /var/lib/halb/firewalld-rules.json
  enabled:
    description: Start firewalld at boot (C(firewalld_enabled)); null leaves it as it is.
    type: bool
    default: true
  state:
    description:
      - Run firewalld now or not (C(firewalld_state)); null leaves it as it is. The unit is
        unmasked in every case but null.
    type: str
    choices: [started, stopped]
    default: started
  service:
    description: The firewalld unit.
    type: str
    default: firewalld.service
  facts_dir:
    description:
      - Where the keepalived and haproxy roles keep their exports as local facts, read when
        O(vrrp) or O(ports) is null. Null reads none.
    type: path
    default: /etc/ansible/facts.d
attributes:
  check_mode:
    support: full
    details: Predicts every change from the host's zones; on a host where firewalld is not
      installed yet (its package would be installed by the task before), reports a change.
  diff_mode:
    support: full
    details: One diff per zone that changes (its services, ports and rich rules before and
      after), and one of the record.
  platform:
    platforms: posix
    support: full
    details: Needs firewalld (C(firewall-cmd), C(firewall-offline-cmd)) and systemd for the unit.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
seealso:
  - plugin: halb.cluster.firewalld_rules
    plugin_type: filter
  - plugin: halb.cluster.firewalld_errors
    plugin_type: filter
"""

EXAMPLES = r"""
- name: VRRP in (multicast), HTTP open, stats from the admin network, ssh
  halb.cluster.firewalld_rules:
    vrrp:
      - interface: eth0
    ports:
      - 80
      - port: 8404
        sources: [10.0.0.0/24]
    services: [ssh]

- name: Rules written offline, firewalld left stopped (an image build)
  halb.cluster.firewalld_rules:
    vrrp: "{{ keepalived_firewalld_vrrp }}"
    ports: "{{ haproxy_firewalld_ports }}"
    state: stopped
"""

RETURN = r"""
offline:
  description: Whether the zones were read and written with C(firewall-offline-cmd) (firewalld not running).
  returned: success
  type: bool
rules:
  description: The zone entries wanted, as P(halb.cluster.firewalld_rules#filter) returns them (also the record's content).
  returned: success
  type: list
  elements: dict
  sample:
    - {zone: public, rich_rule: 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'}
    - {zone: public, port: 80/tcp}
added:
  description: The entries added (to the permanent or the runtime configuration, or both).
  returned: success
  type: list
  elements: dict
removed:
  description: The recorded entries removed because they are no longer wanted.
  returned: success
  type: list
  elements: dict
known:
  description: Where O(vrrp) and O(ports) came from, C(value), C(local fact) or C(unknown).
  returned: success
  type: dict
  sample: {vrrp: value, ports: local fact}
service:
  description: The systemctl actions run (or, in check mode, that would run), in order.
  returned: success
  type: list
  elements: str
  sample: [unmask, enable, start]
"""

import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils._firewalld import (
    FirewalldConfigError,
    apply_changes,
    bindings,
    changes,
    errors,
    host_errors,
    parse_active_zones,
    parse_zone_listing,
    record_entries,
    record_text,
    rules,
    service_commands,
    stale,
    unknown_removals,
    zone_arguments,
    zone_lines,
)

# Where each list falls back to: the local fact the other role writes.
_FACTS = {
    "vrrp": ("halb_keepalived", "keepalived_firewalld_vrrp"),
    "ports": ("halb_haproxy", "haproxy_firewalld_ports"),
}


def _argument_spec():
    return {
        "zone": {"type": "str"},
        "vrrp_zone": {"type": "str"},
        "vrrp": {"type": "raw"},
        "ports": {"type": "raw"},
        "services": {"type": "raw", "default": []},
        "prune": {"type": "bool", "default": True},
        "state_file": {"type": "path", "default": "/var/lib/halb/firewalld-rules.json"},
        "enabled": {"type": "bool", "default": True},
        "state": {"type": "str", "choices": ["started", "stopped"], "default": "started"},
        "service": {"type": "str", "default": "firewalld.service"},
        "facts_dir": {"type": "path", "default": "/etc/ansible/facts.d"},
    }


def read_fact(module, facts_dir, key):
    """The export ``key`` of the other role's local fact file, or None when
    there is none (a fact file that is not our JSON is warned about)."""
    name, export = _FACTS[key]
    if not facts_dir:
        return None
    path = os.path.join(facts_dir, f"{name}.fact")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        module.warn(f"{path}: not readable as the JSON the halb roles write ({exc}); ignored")
        return None
    if not isinstance(data, dict):
        return None
    return data.get(export)


class Firewall:
    """The zones as firewall-cmd (daemon running) or firewall-offline-cmd
    show them, read once each, by argument list (never a shell).

    Online, an idempotent run costs three reads, run side by side (each
    firewall-cmd is a Python start and a D-Bus round trip, 0.2 s on an idle
    host and several times that on a busy one): ``--list-all`` (the default
    zone and its runtime rules), ``--permanent --list-all`` (its permanent
    rules) and ``--get-active-zones`` (where the VRRP interfaces are bound,
    only when that decides their zone). Other zones are read when the rules
    touch them. Offline (firewall-offline-cmd loads the whole configuration
    each time) it is ``--list-all-zones`` and ``--get-default-zone``.
    """

    def __init__(self, module, online):
        self.module = module
        self.online = online
        self.name = "firewall-cmd" if online else "firewall-offline-cmd"
        self.tool = module.get_bin_path(self.name, required=True)
        self.listings = {"permanent": {}, "runtime": {}}
        self.all_zones = None
        self.default = None
        self.bound = None
        if not online:
            listing = parse_zone_listing(self.run(["--list-all-zones"]))
            self.listings["permanent"] = listing["zones"]
            self.all_zones = sorted(listing["zones"])
            self.bound = bindings(listing)

    def prefetch(self, bindings_needed):
        """The common reads at once (online): the default zone's runtime and
        permanent rules, and the interface bindings when they are needed."""
        if not self.online:
            return
        calls = [["--list-all"], ["--permanent", "--list-all"]]
        if bindings_needed:
            calls.append(["--get-active-zones"])
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            answers = list(pool.map(self.call, calls))
        # Failures are reported here, in the module's own thread.
        outputs = [self.check(calls[i], *answer) for i, answer in enumerate(answers)]
        runtime = parse_zone_listing(outputs[0])["zones"]
        self.default = next(iter(runtime), None)
        self.listings["runtime"].update(runtime)
        self.listings["permanent"].update(parse_zone_listing(outputs[1])["zones"])
        if bindings_needed:
            self.bound = parse_active_zones(outputs[2])

    def call(self, args):
        return self.module.run_command([self.tool, *args])

    def run(self, args, missing_zone_ok=False):
        return self.check(args, *self.call(args), missing_zone_ok=missing_zone_ok)

    def check(self, args, rc, out, err, missing_zone_ok=False):
        if rc != 0:
            if missing_zone_ok and "INVALID_ZONE" in (err + out):
                return None
            self.module.fail_json(
                msg=f"{self.name} {' '.join(args)} failed (exit {rc}): {(err or out).strip()}",
                rc=rc,
                stdout=out,
                stderr=err,
            )
        return out

    def default_zone(self):
        if self.default is None:
            if self.online:
                listing = parse_zone_listing(self.run(["--list-all"]))
                self.default = next(iter(listing["zones"]), None)
                if self.default:
                    self.listings["runtime"][self.default] = listing["zones"][self.default]
            else:
                self.default = self.run(["--get-default-zone"]).strip() or None
        return self.default

    def bound_zones(self):
        if self.bound is None:
            self.bound = parse_active_zones(self.run(["--get-active-zones"]))
        return self.bound

    def zones(self):
        if self.all_zones is None:
            self.all_zones = self.run(["--get-zones"]).split()
        return self.all_zones

    def zone(self, config, name):
        """One zone's entries in ``config`` (permanent, or runtime while the
        daemon runs); None when the zone does not exist."""
        if not self.online:
            config = "permanent"
        cache = self.listings[config]
        if name not in cache:
            if not self.online:
                return None
            args = ["--list-all", f"--zone={name}"]
            if config == "permanent":
                args.insert(0, "--permanent")
            out = self.run(args, missing_zone_ok=True)
            cache[name] = None if out is None else parse_zone_listing(out)["zones"].get(name)
        return cache[name]

    def listing(self, config, names):
        """A zone listing (see parse_zone_listing) of the zones ``names``."""
        found = {n: self.zone(config, n) for n in names}
        return {"default": self.default, "zones": {n: z for n, z in found.items() if z}}


def unit_properties(module, service):
    """LoadState, UnitFileState and ActiveState of the unit (one systemctl call);
    None without systemd."""
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return None, None
    rc, out, _err = module.run_command(
        [systemctl, "show", "--property=LoadState,UnitFileState,ActiveState", "--", service]
    )
    if rc != 0:
        return systemctl, None
    props = {}
    for line in out.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            props[key] = value.strip()
    return systemctl, props


def read_record(module, path):
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None, []
    except OSError as exc:
        module.fail_json(msg=f"firewalld_state_file: {path} is not readable: {exc}")
    try:
        data = json.loads(text) if text.strip() else []
    except ValueError:
        module.fail_json(
            msg=f"firewalld_state_file: {path} is not the JSON list this role writes; remove it "
            "(the role then prunes nothing it added before)"
        )
    try:
        return text, record_entries(data)
    except FirewalldConfigError as exc:
        module.fail_json(msg="\n".join(exc.errors), errors=exc.errors)


def write_record(module, path, text, old_text):
    """Write the record (0644 root, its directory 0755 root) when it differs;
    whether anything changed."""
    changed = False
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o755)
        os.chown(directory, 0, 0)
        os.chmod(directory, 0o755)
        changed = True
    if text != old_text:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".firewalld-rules.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            module.atomic_move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        changed = True
    st = os.stat(path)
    if (st.st_mode & 0o7777) != 0o644:
        os.chmod(path, 0o644)
        changed = True
    if (st.st_uid, st.st_gid) != (0, 0) and os.geteuid() == 0:
        os.chown(path, 0, 0)
        changed = True
    return changed


def main():
    module = AnsibleModule(argument_spec=_argument_spec(), supports_check_mode=True)
    p = module.params
    result = {"changed": False, "added": [], "removed": [], "service": []}

    # 1. The variables, checked before anything is read or changed.
    known = {}
    lists = {}
    for key in ("vrrp", "ports"):
        if p[key] is not None:
            lists[key], known[key] = p[key], "value"
            continue
        found = read_fact(module, p["facts_dir"], key)
        lists[key], known[key] = ([], "unknown") if found is None else (found, "local fact")
    result["known"] = known
    values = {
        "firewalld_zone": p["zone"],
        "firewalld_vrrp_zone": p["vrrp_zone"],
        "firewalld_vrrp": lists["vrrp"],
        "firewalld_ports": lists["ports"],
        "firewalld_services": p["services"],
        "firewalld_prune": p["prune"],
        "firewalld_enabled": p["enabled"],
        "firewalld_state": p["state"],
        "firewalld_state_file": p["state_file"],
    }
    errs = errors(values)
    if errs:
        module.fail_json(msg="\n".join(errs), errors=errs)

    # 2. The host: is firewalld there, and running?
    systemctl, props = unit_properties(module, p["service"])
    installed = module.get_bin_path("firewall-offline-cmd") and module.get_bin_path("firewall-cmd")
    if not installed:
        if module.check_mode:
            module.warn("firewalld is not installed yet: every rule would be added")
            result.update(changed=True, offline=True, rules=[])
            module.exit_json(**result)
        module.fail_json(
            msg="firewall-cmd / firewall-offline-cmd not found: install firewalld first"
        )
    if props is not None:
        online = props.get("ActiveState") == "active"
    else:
        online = module.run_command([module.get_bin_path("firewall-cmd"), "--state"])[0] == 0
    fw = Firewall(module, online)
    result["offline"] = not online

    # 3. The zones the variables name, checked against the host's (the same
    # messages as the firewalld_errors filter's with a zone report); the
    # rules they stand for.
    interfaces = []
    if not p["vrrp_zone"] and isinstance(lists["vrrp"], list):
        for item in lists["vrrp"]:
            if isinstance(item, dict) and item.get("interface") not in interfaces:
                interfaces.append(item.get("interface"))
    fw.prefetch(bool(interfaces))
    default = fw.default_zone()
    named = [z for z in (p["zone"], p["vrrp_zone"]) if z]
    present = [z for z in named if fw.zone("runtime", z) is not None]
    bound = fw.bound_zones() if interfaces else {}
    report = {
        "default": default,
        "zones": fw.zones() if present != named else present,
        "interfaces": {iface: bound.get(iface) for iface in interfaces},
    }
    errs = host_errors(values, report)
    if errs:
        module.fail_json(msg="\n".join(errs), errors=errs)
    wanted = rules(values, report)
    result["rules"] = wanted

    # 4. The record of an earlier run; what pruning removes, or the refusal.
    old_text, previous = read_record(module, p["state_file"])
    stale_entries = stale(previous, wanted) if p["prune"] else []
    refusals = unknown_removals(stale_entries, {k: v != "unknown" for k, v in known.items()})
    if refusals:
        module.fail_json(msg=" ".join(refusals), errors=refusals, known=known)

    # 5. The changes, zone by zone: permanent (or offline) first, then
    # runtime; every change of a zone in one call.
    diffs = []
    touched = sorted({e["zone"] for e in wanted + stale_entries})
    configs = [
        ("permanent" if online else "offline", "permanent", ["--permanent"] if online else [])
    ]
    if online:
        configs.append(("runtime", "runtime", []))
    for label, config, flags in configs:
        listing = fw.listing(config, touched)
        todo = changes(listing, wanted, stale_entries)
        if not todo:
            continue
        after = apply_changes(listing, todo)
        for zone in sorted(todo):
            for entry in todo[zone]["remove"]:
                if entry not in result["removed"]:
                    result["removed"].append(entry)
            for entry in todo[zone]["add"]:
                if entry not in result["added"]:
                    result["added"].append(entry)
            diffs.append(
                {
                    "before_header": f"{label} zone {zone}",
                    "after_header": f"{label} zone {zone}",
                    "before": zone_lines(listing, zone),
                    "after": zone_lines(after, zone),
                }
            )
            if not module.check_mode:
                for args in zone_arguments(zone, todo[zone], offline=not online):
                    fw.run([*flags, *args])
        result["changed"] = True

    # 6. The record: what the role added, so that pruning removes only that.
    text = record_text(wanted)
    if text != old_text:
        diffs.append(
            {
                "before_header": p["state_file"],
                "after_header": p["state_file"],
                "before": old_text or "",
                "after": text,
            }
        )
    if module.check_mode:
        result["changed"] |= text != old_text
    else:
        result["changed"] |= write_record(module, p["state_file"], text, old_text)

    # 7. Last: firewalld unmasked, enabled and started (a fresh host's starts
    # with its rules already written) or stopped.
    if systemctl and props is not None:
        for args in service_commands(props, p["enabled"], p["state"]):
            result["service"].append(args[0])
            result["changed"] = True
            if not module.check_mode:
                rc, out, err = module.run_command([systemctl, *args, "--", p["service"]])
                if rc != 0:
                    module.fail_json(
                        msg=f"systemctl {args[0]} {p['service']} failed: {(err or out).strip()}",
                        **result,
                    )
    elif systemctl is None:
        module.warn("systemctl not found: firewalld's unit left as it is")

    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
