# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adoption of a hand-built pair: from imported configurations to role variables.

Pure functions over plain dicts, standard library only, no I/O. The
``config_import`` module (on each node) turns the parsers' model input into
the role variables of that node with :func:`role_variables`; the
``adopt_pair`` filter (on the controller) splits the two nodes' variables
into what the pair shares (group_vars) and what is the node's own
(host_vars) with :func:`split_pair`.

The variables reproduce what runs, with a few fixes that the take-over needs
and that each come with a record in ``fixes`` (the playbook prints them and
docs/adopt.md explains them):

- a ``vrrp_script`` that repairs instead of reporting (lint rule
  ``check-script-repairs``) is left out, with its ``track_script``
  references: the keepalived role tracks HAProxy itself (chk_haproxy and the
  down file), and a check that restarts HAProxy keeps the VIP from moving;
- a script or notify hook whose program does not exist on the node (lint rule
  ``script-missing``) is left out: keepalived cannot run it, and the roles
  refuse a configuration that runs a missing program;
- scripts run as the role's unprivileged ``keepalived_script_user`` unless the
  configuration named another user than root (``script_user``),
  ``enable_script_security`` on;
- what keepalived refuses in ``--config-test`` but corrects when it runs
  (state MASTER below priority 255 with ``vrrp_strict`` or AH runs as
  BACKUP; a sync group of one instance is removed) is written the way it
  runs;
- a VIP without ``dev`` gets the instance's interface, where keepalived
  puts it anyway;
- weak passwords are kept (changing the VRRP password on one node at a time
  splits the pair), with ``keepalived_allow_weak_secrets`` /
  ``haproxy_allow_weak_secrets`` set to true and the lint finding
  ``weak-password`` saying so.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.halb.cluster.plugins.module_utils._typed import weak_secret

__all__ = ["role_variables", "split_pair", "FIX_RULES"]

# The lint rules whose findings role_variables() acts on.
FIX_RULES = ("check-script-repairs", "script-missing")

_NOTIFY_KEYS = ("notify", "notify_master", "notify_backup", "notify_fault", "notify_stop")
_REF = re.compile(r"^keepalived_(scripts|instances|sync_groups)\[([^\]]*)\](?:\.([a-z_]+))?")
# Keys of keepalived_global_defs that have role variables of their own.
_MOVED_GLOBALS = ("router_id", "script_user", "enable_script_security")


def _name(item):
    return item.get("name") if isinstance(item, dict) else None


def _targets(findings):
    """{(section, name, key)} of the findings role_variables() fixes."""
    out = set()
    for finding in findings or ():
        if not isinstance(finding, dict) or finding.get("rule") not in FIX_RULES:
            continue
        match = _REF.match(str(finding.get("variable", "")))
        if match:
            section, name, key = match.groups()
            out.add((section, name, key or ""))
    return out


def _tracked_names(entries):
    return [e if isinstance(e, str) else _name(e) for e in entries or ()]


def _keepalived(data, findings, fixes, out):
    data = copy.deepcopy(data or {})
    _runtime_corrections(
        data, [i for i in data.get("instances") or [] if isinstance(i, dict)], fixes
    )
    targets = _targets(findings)
    repairing = {
        name
        for section, name, _key in _targets(
            [
                f
                for f in findings or ()
                if isinstance(f, dict) and f.get("rule") == "check-script-repairs"
            ]
        )
        if section == "scripts"
    }
    # Scripts that repair or whose program is missing: left out, with their references.
    dropped = set()
    scripts = []
    for script in data.get("scripts") or []:
        name = _name(script)
        if not any(section == "scripts" and n == name for section, n, _key in targets):
            scripts.append(script)
            continue
        dropped.add(name)
        why = (
            "it restarts or starts a service instead of reporting, so the VIP would never move"
            if name in repairing
            else "its program does not exist on the node"
        )
        fixes.append(
            {
                "rule": "check-script-repairs" if name in repairing else "script-missing",
                "variable": f"keepalived_scripts[{name}]",
                "message": (
                    f"vrrp_script {name} is left out ({why}), with every track_script entry "
                    "naming it: the keepalived role tracks HAProxy itself (chk_haproxy, which "
                    "only reports, and the file HAProxy's unit writes when it stops)"
                ),
            }
        )
    if "scripts" in data:
        data["scripts"] = scripts
    for section in ("instances", "sync_groups"):
        for item in data.get(section) or []:
            if not isinstance(item, dict):
                continue
            name = _name(item)
            if dropped and isinstance(item.get("track_scripts"), list):
                item["track_scripts"] = [
                    entry
                    for entry, ref in zip(
                        item["track_scripts"], _tracked_names(item["track_scripts"]), strict=True
                    )
                    if ref not in dropped
                ]
                if not item["track_scripts"]:
                    del item["track_scripts"]
            for key in _NOTIFY_KEYS:
                if key in item and (section, name, key) in targets:
                    del item[key]
                    fixes.append(
                        {
                            "rule": "script-missing",
                            "variable": f"keepalived_{section}[{name}].{key}",
                            "message": (
                                f"the {key} hook is left out: its program does not exist on the "
                                "node; the keepalived role's keepalived_notify (the mail alert "
                                "of halb.cluster.mailx_notify, when it runs) takes its place"
                            ),
                        }
                    )
    # global_defs: the keys with role variables of their own.
    gdefs = data.get("global_defs")
    if isinstance(gdefs, dict):
        gdefs = dict(gdefs)
        if "router_id" in gdefs:
            out["keepalived_router_id"] = gdefs.pop("router_id")
        user = gdefs.pop("script_user", None)
        if isinstance(user, str) and user and user != "root":
            out["keepalived_script_user"] = user
        else:
            fixes.append(
                {
                    "rule": "script-as-root",
                    "variable": "keepalived_global_defs.script_user",
                    "message": (
                        "scripts and hooks run as the unprivileged keepalived_script_user the "
                        "keepalived role creates, with enable_script_security, instead of root"
                    ),
                }
            )
        gdefs.pop("enable_script_security", None)
        if gdefs:
            out["keepalived_global_defs"] = gdefs
    for section, var in (
        ("scripts", "keepalived_scripts"),
        ("track_files", "keepalived_track_files"),
        ("sync_groups", "keepalived_sync_groups"),
    ):
        if data.get(section):
            out[var] = data[section]
    instances = [i for i in data.get("instances") or [] if isinstance(i, dict)]
    # One priority and state for every instance of the node: keepalived_priority
    # and keepalived_state (host_vars), so that the instances are the pair's.
    for key, var in (("priority", "keepalived_priority"), ("state", "keepalived_state")):
        values = [i.get(key) for i in instances]
        if instances and None not in values and len(set(map(str, values))) == 1:
            out[var] = values[0]
            for inst in instances:
                del inst[key]
    _vip_devices(instances, fixes)
    if data.get("instances") is not None:
        out["keepalived_instances"] = instances
    weak = [
        i.get("name")
        for i in instances
        if isinstance(i.get("authentication"), dict)
        and isinstance(i["authentication"].get("password"), str)
        and str(i["authentication"].get("type", "PASS")).upper() == "PASS"
        and weak_secret(i["authentication"]["password"])
    ]
    if weak:
        out["keepalived_allow_weak_secrets"] = True


def _admin_cond(stats):
    """The stats page's admin condition without a leading ``if``: the model
    takes both forms, and the parser keeps only the condition (``TRUE``)."""
    cond = stats.get("admin_cond")
    return re.sub(r"^if\s+", "", cond.strip()) if isinstance(cond, str) else cond


def _priority(inst):
    try:
        return int(str(inst.get("priority")).strip())
    except ValueError:
        return None


def _runtime_corrections(data, instances, fixes):
    """What keepalived refuses in --config-test but corrects when it runs
    (it logs the error and goes on): the variables say what really runs, so
    the model takes them and a reload changes nothing."""
    gdefs = data.get("global_defs") if isinstance(data.get("global_defs"), dict) else {}
    strict = gdefs.get("vrrp_strict") is True
    for inst in instances:
        auth = inst.get("authentication")
        ah = isinstance(auth, dict) and str(auth.get("type", "")).upper() == "AH"
        state = str(inst.get("state", "")).upper()
        if state == "MASTER" and _priority(inst) not in (None, 255) and (strict or ah):
            inst["state"] = "BACKUP"
            why = "vrrp_strict" if strict else "AH authentication"
            fixes.append(
                {
                    "rule": "model-error",
                    "variable": f"keepalived_instances[{_name(inst)}].state",
                    "message": (
                        f"state MASTER becomes BACKUP: with {why} keepalived starts only the "
                        "address owner (priority 255) as MASTER; it runs this instance as BACKUP "
                        "already (and --config-test refuses MASTER), and the highest priority "
                        "still becomes master"
                    ),
                }
            )
    groups = data.get("sync_groups")
    if not isinstance(groups, list):
        return
    by_name = {_name(i): i for i in instances}
    kept = []
    for group in groups:
        members = group.get("group") if isinstance(group, dict) else None
        if not (isinstance(members, list) and len(members) == 1 and members[0] in by_name):
            kept.append(group)
            continue
        inst = by_name[members[0]]
        moved = []
        for key in _NOTIFY_KEYS:
            if group.get(key) and not inst.get(key):
                inst[key] = group[key]
                moved.append(key)
        fixes.append(
            {
                "rule": "model-error",
                "variable": f"keepalived_sync_groups[{_name(group)}]",
                "message": (
                    f"the sync group of one instance ({members[0]}) is left out: keepalived "
                    "removes it when it starts (and --config-test refuses it)"
                    + (f"; its {', '.join(moved)} moved to the instance" if moved else "")
                ),
            }
        )
    data["sync_groups"] = kept


def _vip_devices(instances, fixes):
    """A VIP without dev goes where keepalived puts it, the instance's
    interface, and says so (keepalived adds the same address to the same
    interface: a reload changes nothing)."""
    for inst in instances:
        interface = inst.get("interface")
        vips = inst.get("virtual_ipaddresses")
        if not isinstance(interface, str) or not interface or any(c.isspace() for c in interface):
            continue
        if not isinstance(vips, list):
            continue
        changed = False
        for index, vip in enumerate(vips):
            if isinstance(vip, str) and not any(c.isspace() for c in vip.strip()):
                vip = vips[index] = {"address": vip.strip()}
            if isinstance(vip, dict) and vip.get("address") and not vip.get("dev"):
                vip["dev"] = interface
                changed = True
        if changed:
            fixes.append(
                {
                    "rule": "vip-without-dev",
                    "variable": f"keepalived_instances[{_name(inst)}].virtual_ipaddresses",
                    "message": (
                        f"every VIP without dev gets dev {interface}, the instance's interface, "
                        "where keepalived puts it anyway"
                    ),
                }
            )


def _is_stats_page(listen):
    """Can this listen section be the role's stats page (haproxy_stats_*)?"""
    stats = listen.get("stats")
    binds = listen.get("binds")
    if not isinstance(stats, dict) or not stats.get("enable"):
        return False
    if not isinstance(binds, list) or len(binds) != 1 or not isinstance(binds[0], dict):
        return False
    if set(binds[0]) - {"address", "port"}:
        return False
    auth = stats.get("auth")
    if not isinstance(auth, list) or len(auth) != 1 or not isinstance(auth[0], dict):
        return False
    if set(stats) - {"enable", "uri", "realm", "refresh", "hide_version", "auth", "admin_cond"}:
        return False
    if _admin_cond(stats) not in (None, "TRUE", "LOCALHOST"):
        return False
    if set(listen) - {"name", "mode", "binds", "stats"}:
        return False
    return listen.get("mode") in (None, "http")


def _haproxy(data, out):
    data = copy.deepcopy(data or {})
    if data.get("global"):
        out["haproxy_global"] = data["global"]
    if data.get("defaults"):
        out["haproxy_defaults"] = data["defaults"]
    for section in ("frontends", "backends", "userlists"):
        if data.get(section):
            out[f"haproxy_{section}"] = data[section]
    listens = [item for item in data.get("listens") or [] if isinstance(item, dict)]
    page = next((item for item in listens if _is_stats_page(item)), None)
    out["haproxy_stats_enabled"] = page is not None
    if page is not None:
        listens.remove(page)
        stats = page["stats"]
        bind = page["binds"][0]
        out["haproxy_stats_address"] = bind.get("address") or ""
        out["haproxy_stats_port"] = bind.get("port")
        for key in ("uri", "realm", "refresh", "hide_version"):
            if key in stats:
                out[f"haproxy_stats_{key}"] = stats[key]
        if "hide_version" not in stats:
            out["haproxy_stats_hide_version"] = False
        out["haproxy_stats_user"] = stats["auth"][0].get("user")
        out["haproxy_stats_password"] = stats["auth"][0].get("password")
        if _admin_cond(stats) == "TRUE":
            out["haproxy_stats_admin_unrestricted"] = True
    if listens:
        out["haproxy_listens"] = listens
    secrets = [out.get("haproxy_stats_password")] + [
        user.get("password")
        for userlist in data.get("userlists") or []
        if isinstance(userlist, dict)
        for user in userlist.get("users") or []
        if isinstance(user, dict)
    ]
    # The stats pages that stay listens (more than the role's page can hold).
    for item in listens:
        stats = item.get("stats")
        auth = stats.get("auth") if isinstance(stats, dict) else None
        if isinstance(auth, list):
            secrets += [entry.get("password") for entry in auth if isinstance(entry, dict)]
    if any(isinstance(s, str) and weak_secret(s) for s in secrets):
        out["haproxy_allow_weak_secrets"] = True


def role_variables(keepalived=None, haproxy=None, findings=()):
    """The role variables of one node from the parsers' model input.

    ``keepalived`` and ``haproxy`` are the ``variables`` of the two parsers'
    results (None when the node has no such file), ``findings`` the lint
    findings of the node. Returns ``{"variables": {...}, "fixes": [...]}``.
    """
    out = {}
    fixes = []
    if keepalived is not None:
        _keepalived(keepalived, findings, fixes, out)
    if haproxy is not None:
        _haproxy(haproxy, out)
    return {"variables": out, "fixes": fixes}


def split_pair(nodes):
    """``{host: role variables}`` -> ``{"group": shared, "hosts": {host: own}}``.

    A variable goes to the group when every node has it with the same value,
    else to each node that has it.
    """
    hosts = {host: dict(values or {}) for host, values in (nodes or {}).items()}
    names = sorted({name for values in hosts.values() for name in values})
    group = {}
    own = {host: {} for host in hosts}
    for name in names:
        values = [values.get(name, _MISSING) for values in hosts.values()]
        if hosts and all(v is not _MISSING and v == values[0] for v in values):
            group[name] = values[0]
            continue
        for host, values_of in hosts.items():
            if name in values_of:
                own[host][name] = values_of[name]
    return {"group": group, "hosts": own}


_MISSING = object()
