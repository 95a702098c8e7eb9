#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: role_apply
short_description: A role's host-side work in one call, each file checked before it replaces anything, with rollback
version_added: 0.1.0
description:
  - Does in one module call what a role would otherwise do in many tasks, in this order
    (each step only when something differs), so that a run where nothing changes costs
    one round trip to the host instead of one per file.
  - 1. Installs the missing O(packages) with C(apt-get), masking the units of
    O(mask_before_install) first so that a package's postinst cannot start its daemon
    before the configuration is written.
  - 2. Creates the missing O(groups) and O(users) (and fixes a user's shell or home).
  - 3. Creates O(directories).
  - 4. Writes O(files) in the order given. Each new text goes to a temporary file beside
    its destination, is checked there by the daemon's own checker (O(files[].validate)),
    and only then moved into place. When a file fails its check, every file already
    moved in this call is put back as it was (content, owner, group and mode; a file that
    did not exist is removed), the module fails naming the file, and no later step runs
    (no service is reloaded or restarted).
  - 5. Removes the paths of O(absent), writes the O(sysctl) file and sets the running kernel
    values that differ.
  - 6. Runs C(systemctl daemon-reload) when a unit file changed or systemd reports that a
    listed unit needs it, then for each of O(services), in order, masks or unmasks it,
    enables or disables it, starts or stops it, and otherwise restarts or reloads it when
    one of the files it depends on changed in this call.
  - The roles of this collection compute and check every value on the controller first
    (with the collection's filters, whose messages name the role variable); this module
    checks again what reaches a command line or a path (package, unit, user and group
    names, absolute paths, kernel setting names and values) and refuses anything else.
author:
  - halb.cluster contributors (!UNKNOWN)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: Predicts every step (packages, accounts, files, kernel values, services) without changing anything.
  diff_mode:
    support: full
    details: One diff per changed file; O(secrets) and what the file's redactor finds are hidden, files with O(files[].diff=false) are never shown.
  platform:
    platforms: debian
    support: full
    details: Packages need C(dpkg-query) and C(apt-get); services need systemd.
options:
  role:
    description: The name of the calling role, for the messages.
    type: str
    required: true
  packages:
    description: Packages that must be installed; the missing ones are installed with C(apt-get install).
    type: list
    elements: str
    default: []
  update_cache_valid_time:
    description: Before installing, the package lists are refreshed (C(apt-get update)) when they are older than this many seconds.
    type: int
    default: 86400
  mask_before_install:
    description:
      - Units masked before the packages are installed, when systemd does not know them yet (a fresh host).
      - A later O(services) entry with O(services[].masked=false) unmasks the unit once its configuration is written.
    type: list
    elements: str
    default: []
  groups:
    description: Groups created when missing.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The group's name.
        type: str
        required: true
      system:
        description: A system group.
        type: bool
        default: true
  users:
    description: Users created when missing; the shell and home of an existing one are fixed when they differ.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The user's name.
        type: str
        required: true
      group:
        description: Its primary group (which must exist, for example from O(groups)); default the system's rule.
        type: str
      system:
        description: A system user.
        type: bool
        default: true
      shell:
        description: Its login shell.
        type: str
      home:
        description: Its home directory.
        type: str
      create_home:
        description: Whether the home directory is created.
        type: bool
        default: false
  directories:
    description: Directories created when missing, with their owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Owner.
        type: str
      group:
        description: Group.
        type: str
      mode:
        description: Mode, for example V(0755).
        type: raw
  files:
    description: Files written in this order (see the description for the checks and the rollback).
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute path.
        type: path
        required: true
      content:
        description: The whole text of the file.
        type: str
        required: true
      owner:
        description: Owner.
        type: str
      group:
        description: Group.
        type: str
      mode:
        description: Mode, for example V(0644).
        type: raw
      force:
        description: V(false) writes the file only when it does not exist (its content is then left alone).
        type: bool
        default: true
      backup:
        description: Keep a copy of the replaced file beside it (private, mode 0600).
        type: bool
        default: false
      diff:
        description: V(false) never shows the content in a diff (a file that is secret as a whole).
        type: bool
        default: true
      redact:
        description: Which daemon's secrets are hidden in the diff and in the checker's output.
        type: str
        choices: [none, haproxy, keepalived]
        default: none
      validate:
        description:
          - The daemon's own check, run on the temporary file before it replaces O(files[].dest).
          - V(haproxy) is C(haproxy -c -f), V(keepalived) C(keepalived --config-test -f), V(rsyslog) C(rsyslogd -N1 -f).
        type: str
        choices: [none, haproxy, keepalived, rsyslog]
        default: none
      programs:
        description:
          - Programs the file makes its daemon run; each must exist and be executable when the file is
            written (an earlier entry of O(files) may write it). A missing one fails the call naming
            its O(files[].programs[].variable) (a warning in check mode).
        type: list
        elements: dict
        default: []
        suboptions:
          path:
            description: The program.
            type: path
            required: true
          variable:
            description: The variable it comes from, for the message.
            type: str
            required: true
      warn_missing:
        description: Directories whose absence, when the file is written, is worth the given warning.
        type: list
        elements: dict
        default: []
        suboptions:
          path:
            description: The directory.
            type: path
            required: true
          warning:
            description: The warning.
            type: str
            required: true
  absent:
    description: Files removed when they exist.
    type: list
    elements: path
    default: []
  sysctl:
    description: Kernel settings, written to a file (read at boot) and set on the running kernel when they differ.
    type: dict
    suboptions:
      file:
        description: The file, for example C(/etc/sysctl.d/90-halb.conf).
        type: path
      values:
        description: Setting name and value, for example C(net.ipv4.ip_nonlocal_bind=1).
        type: dict
  services:
    description: systemd units handled after the files, in this order.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The unit, for example C(haproxy.service).
        type: str
        required: true
      enabled:
        description: Enabled at boot (V(null) leaves it).
        type: bool
      state:
        description: V(started) starts it when it is not running, V(stopped) stops it; V(null) leaves it.
        type: str
        choices: [started, stopped]
      masked:
        description: V(true) masks, V(false) unmasks a masked unit, V(null) leaves it.
        type: bool
      restart_on:
        description: Files (O(files[].dest)) whose change in this call restarts the running unit.
        type: list
        elements: path
        default: []
      reload_on:
        description: Files whose change in this call reloads the running unit (when it is not restarted).
        type: list
        elements: path
        default: []
      no_block:
        description: Do not wait for the start, restart or reload to finish.
        type: bool
        default: false
      restart:
        description: Restart the running unit in any case (something outside this call changed).
        type: bool
        default: false
      reload:
        description: Reload the running unit in any case (something outside this call changed), unless it is restarted.
        type: bool
        default: false
      start_on:
        description:
          - Files whose change in this call starts the unit even when it is not running (a oneshot
            that does its work and ends, such as a flush of queued alerts), when it is not already
            started or restarted.
        type: list
        elements: path
        default: []
      state_file:
        description:
          - A file that says whether the unit runs (V(0)) or not (V(1)), which the unit itself keeps up
            to date at every start and stop (haproxy's down file, which keepalived tracks).
          - Written after the services were handled, only when it says otherwise.
        type: path
  secrets:
    description: Strings hidden everywhere in the result, diffs and messages (passwords that reach a file).
    type: list
    elements: str
    default: []
  warnings:
    description: Warnings the role computed on the controller, shown as the task's warnings.
    type: list
    elements: str
    default: []
  hostname:
    description: The host name the host must have (set with C(hostnamectl), else C(/etc/hostname) and C(hostname)), before the files are written.
    type: str
  commands:
    description: Commands (argument lists, the first an absolute path, no shell) run last, each reported as a change.
    type: list
    elements: list
    default: []
  require_files:
    description:
      - Files that must be regular files on the host, checked before anything changes (a CA file the
        configuration names, for example). A missing one fails the call with its O(require_files[].error).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file.
        type: path
        required: true
      error:
        description: The error when it is missing.
        type: str
        required: true
  require_nofile:
    description:
      - Refuse, before anything changes, when the unit may open fewer file descriptors than O(require_nofile.needed)
        (the lower of its C(LimitNOFILE) and systemd's own limit).
    type: dict
    suboptions:
      unit:
        description: The unit.
        type: str
        required: true
      needed:
        description: The file descriptors needed.
        type: int
        required: true
      error:
        description: The error; C({nofile}) is replaced by the limit found, C({most}) by (limit - 100) // 2.
        type: str
        required: true
seealso:
  - module: halb.cluster.haproxy_config
  - module: halb.cluster.keepalived_config
notes:
  - The roles of this collection call it once each; it is not meant to replace M(ansible.builtin.copy) in playbooks.
"""

EXAMPLES = r"""
- name: Write rsyslog's rule file (checked by rsyslogd -N1 first) and its logrotate file, restart rsyslog when the rules changed
  halb.cluster.role_apply:
    role: rsyslog
    packages: [rsyslog, logrotate]
    directories:
      - {path: /var/log/haproxy, owner: root, group: adm, mode: "0750"}
    files:
      - dest: /etc/rsyslog.d/49-haproxy.conf
        content: "{{ lookup('ansible.builtin.template', 'haproxy.conf.j2') }}"
        owner: root
        group: root
        mode: "0644"
        validate: rsyslog
      - dest: /etc/logrotate.d/halb-haproxy
        content: "{{ lookup('ansible.builtin.template', 'logrotate.j2') }}"
        mode: "0644"
    services:
      - name: rsyslog.service
        enabled: true
        state: started
        restart_on: [/etc/rsyslog.d/49-haproxy.conf]
"""

RETURN = r"""
changed_files:
  description: The files, directories and kernel settings that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/rsyslog.d/49-haproxy.conf]
services:
  description: What was done to each unit (C(systemd) holds the daemon-reload).
  returned: always
  type: dict
  sample: {systemd: [daemon-reload], rsyslog.service: [restart]}
packages_installed:
  description: The packages that were (or would be) installed.
  returned: always
  type: list
  elements: str
  sample: [rsyslog]
accounts:
  description: The groups and users created or fixed.
  returned: always
  type: list
  elements: str
  sample: [group halb-notify, user halb-notify]
backup_files:
  description: The backups of replaced files (O(files[].backup)).
  returned: when a file with backup was replaced
  type: list
  elements: str
  sample: [/etc/haproxy/haproxy.cfg.1234.2026-12-05@06:00:00~]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils._apply import (
    VALIDATORS,
    Apply,
    ApplyError,
    check_params,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy import (
    redact as haproxy_redact,
)
from ansible_collections.halb.cluster.plugins.module_utils._keepalived import (
    redact as keepalived_redact,
)

REDACTORS = {"haproxy": haproxy_redact, "keepalived": keepalived_redact}


def _paths_with(text):
    """A list of {path, <text>} entries, both required."""
    return {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "path": {"type": "path", "required": True},
            text: {"type": "str", "required": True},
        },
    }


def _argument_spec():
    entries = {"type": "list", "elements": "dict", "default": []}
    return {
        "role": {"type": "str", "required": True},
        "packages": {"type": "list", "elements": "str", "default": []},
        "update_cache_valid_time": {"type": "int", "default": 86400},
        "mask_before_install": {"type": "list", "elements": "str", "default": []},
        "groups": {
            **entries,
            "options": {
                "name": {"type": "str", "required": True},
                "system": {"type": "bool", "default": True},
            },
        },
        "users": {
            **entries,
            "options": {
                "name": {"type": "str", "required": True},
                "group": {"type": "str"},
                "system": {"type": "bool", "default": True},
                "shell": {"type": "str"},
                "home": {"type": "str"},
                "create_home": {"type": "bool", "default": False},
            },
        },
        "directories": {
            **entries,
            "options": {
                "path": {"type": "path", "required": True},
                "owner": {"type": "str"},
                "group": {"type": "str"},
                "mode": {"type": "raw"},
            },
        },
        "files": {
            **entries,
            "options": {
                "dest": {"type": "path", "required": True},
                "content": {"type": "str", "required": True},
                "owner": {"type": "str"},
                "group": {"type": "str"},
                "mode": {"type": "raw"},
                "force": {"type": "bool", "default": True},
                "backup": {"type": "bool", "default": False},
                "diff": {"type": "bool", "default": True},
                "redact": {
                    "type": "str",
                    "choices": ["none", *sorted(REDACTORS)],
                    "default": "none",
                },
                "validate": {
                    "type": "str",
                    "choices": ["none", *sorted(VALIDATORS)],
                    "default": "none",
                },
                "programs": _paths_with("variable"),
                "warn_missing": _paths_with("warning"),
            },
        },
        "absent": {"type": "list", "elements": "path", "default": []},
        "sysctl": {
            "type": "dict",
            "options": {"file": {"type": "path"}, "values": {"type": "dict"}},
        },
        "services": {
            **entries,
            "options": {
                "name": {"type": "str", "required": True},
                "enabled": {"type": "bool"},
                "state": {"type": "str", "choices": ["started", "stopped"]},
                "masked": {"type": "bool"},
                "restart_on": {"type": "list", "elements": "path", "default": []},
                "reload_on": {"type": "list", "elements": "path", "default": []},
                "no_block": {"type": "bool", "default": False},
                "restart": {"type": "bool", "default": False},
                "reload": {"type": "bool", "default": False},
                "state_file": {"type": "path"},
                "start_on": {"type": "list", "elements": "path", "default": []},
            },
        },
        "secrets": {"type": "list", "elements": "str", "default": [], "no_log": True},
        "warnings": {"type": "list", "elements": "str", "default": []},
        "hostname": {"type": "str"},
        "commands": {"type": "list", "elements": "list", "default": []},
        "require_files": _paths_with("error"),
        "require_nofile": {
            "type": "dict",
            "options": {
                "unit": {"type": "str", "required": True},
                "needed": {"type": "int", "required": True},
                "error": {"type": "str", "required": True},
            },
        },
    }


def main():
    module = AnsibleModule(argument_spec=_argument_spec(), supports_check_mode=True)
    role = module.params["role"]
    errors = check_params(module.params)
    if errors:
        module.fail_json(msg=f"{role}: " + "; ".join(errors), errors=errors)
    work = Apply(module, VALIDATORS, REDACTORS)
    try:
        result = work.apply()
    except ApplyError as exc:
        partial = work.result()
        partial.pop("diff", None)
        module.fail_json(msg=f"{role}: {exc}", **partial)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
