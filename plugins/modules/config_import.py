#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_import
short_description: Read a hand-built keepalived.conf and haproxy.cfg into the collection's variables, and lint them
version_added: 0.2.0
description:
  - Reads this node's keepalived.conf (with the files its C(include) lines
    name) and haproxy.cfg, and returns them as the variables of the
    M(halb.cluster.role_apply)-based roles C(halb.cluster.keepalived) and
    C(halb.cluster.haproxy), ready to be written as host_vars or group_vars.
  - What the collection's model has no key for is kept verbatim (in an
    C(extra) list) and listed in RV(kept); what cannot be expressed at all (for
    example LVS C(virtual_server) blocks, or a C(peers) section) is listed in
    RV(dropped) with its file and line; taking the node over with the roles
    would drop it.
  - Lints what it read (RV(findings)), with the collection's own checks and
    with rules for what hand-built setups get wrong (a check script that
    restarts HAProxy instead of reporting, a script that does not exist,
    scripts run as root, weak passwords, C(stats admin if TRUE), C(verify
    none), removed directives, an unused backend ...). docs/adopt.md lists
    every rule.
  - To run a script, keepalived needs its program, so the module reads the
    programs that C(vrrp_script) and the notify hooks run, the scripts they
    hand to an interpreter, and what those scripts run in turn (existence,
    owner, mode, and the first 64 KiB of a regular file, to see what it does).
  - Reads only; runs the same in check mode. The playbook
    C(halb.cluster.adopt) calls it on both nodes of a pair.
  - RV(variables) holds the passwords of the configurations (VRRP, the stats
    page, userlists) as the roles need them. Register the result with
    C(no_log=true), as C(halb.cluster.adopt) does. RV(kept), RV(dropped),
    RV(errors) and RV(findings) never hold a password.
author:
  - halb.cluster contributors (!UNKNOWN)
attributes:
  check_mode:
    support: full
    details: Reads only.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  keepalived_conf:
    description:
      - keepalived's configuration file. A missing file is not an error
        (RV(keepalived) is then null and nothing of keepalived is returned).
    type: path
    default: /etc/keepalived/keepalived.conf
  haproxy_cfg:
    description: HAProxy's configuration file; missing is not an error either.
    type: path
    default: /etc/haproxy/haproxy.cfg
seealso:
  - module: halb.cluster.keepalived_config
  - module: halb.cluster.haproxy_config
  - plugin: halb.cluster.lint_keepalived_conf
    plugin_type: filter
  - plugin: halb.cluster.lint_haproxy_cfg
    plugin_type: filter
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Import this node's hand-built configuration (the result holds passwords)
  halb.cluster.config_import:
  register: imported
  no_log: true

- name: Show what the import found
  ansible.builtin.debug:
    msg: "{{ imported.findings | map(attribute='message') | list }}"
"""

RETURN = r"""
variables:
  description:
    - The role variables of this node (C(keepalived_*), C(haproxy_*)),
      including passwords.
  returned: always
  type: dict
  sample:
    keepalived_router_id: lb1
    keepalived_priority: 101
    keepalived_state: MASTER
    keepalived_instances:
      - name: VI_1
        interface: eth0
        virtual_router_id: 51
        virtual_ipaddresses: [{address: 192.0.2.100, prefix: 24, dev: eth0}]
    haproxy_stats_enabled: true
fixes:
  description:
    - What RV(variables) changes against the running configuration, and why
      (each with the lint rule behind it); the take-over needs these.
  returned: always
  type: list
  elements: dict
  sample:
    - rule: check-script-repairs
      variable: keepalived_scripts[chk_haproxy]
      message: vrrp_script chk_haproxy is left out ...
keepalived:
  description: keepalived's configuration in the model of M(halb.cluster.keepalived_config) (null without a file).
  returned: always
  type: dict
haproxy:
  description: HAProxy's configuration in the model of M(halb.cluster.haproxy_config) (null without a file).
  returned: always
  type: dict
kept:
  description: Lines the model has no key for, kept verbatim in an C(extra) list (passwords redacted).
  returned: always
  type: list
  elements: dict
  sample:
    - {file: /etc/keepalived/keepalived.conf, line: 12, section: vrrp_instance VI_1, variable: "keepalived_instances[VI_1].extra", text: garp_master_delay 1}
dropped:
  description: What cannot be expressed in the variables at all; taking the node over drops it.
  returned: always
  type: list
  elements: dict
  sample:
    - {file: /etc/keepalived/keepalived.conf, line: 40, section: virtual_server 192.0.2.100 80, reason: LVS is not managed by the collection}
errors:
  description: What the parsers could not read (file, line, message).
  returned: always
  type: list
  elements: dict
findings:
  description:
    - The lint findings of this node (rule, severity, variable, message,
      origin). Findings across the pair (priorities, settings that must
      agree) come from the C(halb.cluster.adopt_pair) filter.
  returned: always
  type: list
  elements: dict
  sample:
    - rule: check-script-repairs
      severity: error
      variable: keepalived_scripts[chk_haproxy]
      message: vrrp_script chk_haproxy restarts HAProxy instead of reporting ...
      origin: /etc/keepalived/keepalived.conf:8
origins:
  description: Where each imported entry came from (variable path to C(file:line)).
  returned: always
  type: dict
files:
  description: The programs the configuration runs (path to exists, owner, mode; no content).
  returned: always
  type: dict
vips:
  description: The virtual addresses of keepalived.conf.
  returned: always
  type: list
  elements: str
vips_held:
  description: Those of RV(vips) this node holds now (C(ip -o addr show)).
  returned: always
  type: list
  elements: str
"""

import glob
import os
import pwd
import re
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils import (
    _adopt,
    _adopt_lint as lint,
    _haproxy_import,
    _keepalived_import,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import ConfigError
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_state import local_addresses

# Bounds on what is read: a configuration and its includes, and the programs
# it runs (only their beginning is looked at).
MAX_CONFIG = 4 * 1024 * 1024
MAX_INCLUDE_DEPTH = 8
MAX_FILES = 256
MAX_PROGRAM = 64 * 1024
MAX_PROGRAM_ROUNDS = 4
_INCLUDE = re.compile(r"^\s*include\s+(\S+)", re.MULTILINE)


def read_text(module, path, limit=MAX_CONFIG):
    """The text of ``path`` (None when it does not exist); fails when unreadable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        module.fail_json(msg=f"cannot read {path}: {exc.strerror}")
    if len(data) > limit:
        module.fail_json(msg=f"{path} is larger than {limit} bytes; not a configuration file")
    return data.decode("utf-8", errors="replace")


def included_files(module, path, text):
    """{path: text} of every file the include lines of ``text`` reach (bounded)."""
    found = {}
    pending = [(path, text, 0)]
    while pending:
        current, body, depth = pending.pop()
        if depth >= MAX_INCLUDE_DEPTH:
            continue
        base = os.path.dirname(current)
        for pattern in _INCLUDE.findall(body):
            pattern = pattern.strip('"')
            full = pattern if pattern.startswith("/") else os.path.join(base, pattern)
            for name in sorted(glob.glob(full)):
                name = os.path.normpath(name)
                if name in found or name == path or not os.path.isfile(name):
                    continue
                if len(found) >= MAX_FILES:
                    module.fail_json(msg=f"{path}: includes more than {MAX_FILES} files")
                content = read_text(module, name)
                if content is None:
                    continue
                found[name] = content
                pending.append((name, content, depth + 1))
    return found


def describe(path):
    """What the linter needs to know about a program the configuration runs."""
    try:
        info = os.stat(path)
    except OSError:
        return {"exists": False, "content": None, "mode": None, "owner": None}
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    content = None
    if stat.S_ISREG(info.st_mode):
        try:
            with open(path, "rb") as handle:
                content = handle.read(MAX_PROGRAM).decode("utf-8", errors="replace")
        except OSError:
            content = None
    return {
        "exists": True,
        "content": content,
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "owner": owner,
    }


def sysctl_values():
    values = {}
    for name in ("net.ipv4.ip_forward", "net.ipv4.ip_nonlocal_bind"):
        try:
            with open("/proc/sys/" + name.replace(".", "/"), encoding="ascii") as handle:
                values[name] = handle.read().strip()
        except OSError:
            continue
    return values


def vip_addresses(config):
    found = []
    for inst in (config or {}).get("instances") or []:
        if not isinstance(inst, dict):
            continue
        for vip in inst.get("virtual_ipaddresses") or []:
            address = vip.get("address") if isinstance(vip, dict) else vip
            if isinstance(address, str):
                address = address.split("/")[0].strip()
                if address and address not in found:
                    found.append(address)
    return found


def run(module, keepalived_conf, haproxy_cfg):
    result = {
        "keepalived": None,
        "haproxy": None,
        "kept": [],
        "dropped": [],
        "errors": [],
        "findings": [],
        "origins": {},
        "files": {},
        "vips": [],
        "vips_held": [],
    }
    k_text = read_text(module, keepalived_conf)
    h_text = read_text(module, haproxy_cfg)
    if k_text is None and h_text is None:
        module.fail_json(
            msg=f"neither {keepalived_conf} nor {haproxy_cfg} exists: nothing to import "
            "(set keepalived_conf / haproxy_cfg to where this node keeps them)"
        )
    files = {}
    try:
        if k_text is not None:
            parsed = _keepalived_import.parse(
                k_text, keepalived_conf, included_files(module, keepalived_conf, k_text)
            )
            result["keepalived"] = parsed["variables"]
            for key in ("kept", "dropped", "errors"):
                result[key] += parsed[key]
            result["origins"].update(parsed["origins"])
            # What the rules look at: the programs the checks and hooks run,
            # and (through the scripts' texts) what those run in turn.
            for _round in range(MAX_PROGRAM_ROUNDS):
                wanted = lint.paths_to_read(parsed["variables"], files)
                if not wanted:
                    break
                files.update((path, describe(path)) for path in wanted)
            result["findings"] += lint.lint_keepalived(
                parsed["variables"], files, parsed["origins"], sysctl=sysctl_values()
            )
        if h_text is not None:
            parsed = _haproxy_import.parse(h_text, haproxy_cfg)
            result["haproxy"] = parsed["variables"]
            for key in ("kept", "dropped", "errors"):
                result[key] += parsed[key]
            result["origins"].update(parsed["origins"])
            result["findings"] += lint.lint_haproxy(parsed["variables"], parsed["origins"])
    except ConfigError as exc:
        module.fail_json(msg=str(exc), errors=list(getattr(exc, "errors", [str(exc)])))
    result["files"] = {
        path: {k: v for k, v in info.items() if k != "content"} for path, info in files.items()
    }
    adopted = _adopt.role_variables(result["keepalived"], result["haproxy"], result["findings"])
    result["variables"] = adopted["variables"]
    result["fixes"] = adopted["fixes"]
    result["vips"] = vip_addresses(result["keepalived"])
    if result["vips"]:
        rc, out, err = module.run_command(["ip", "-o", "addr", "show"])
        if rc != 0:
            module.fail_json(msg=f"ip -o addr show failed: {err.strip()}")
        held = local_addresses(out)
        result["vips_held"] = [vip for vip in result["vips"] if vip in held]
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "keepalived_conf": {"type": "path", "default": "/etc/keepalived/keepalived.conf"},
            "haproxy_cfg": {"type": "path", "default": "/etc/haproxy/haproxy.cfg"},
        },
        supports_check_mode=True,
    )
    result = run(module, module.params["keepalived_conf"], module.params["haproxy_cfg"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
