#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: keepalived_config
short_description: Write keepalived.conf from structured data, checked twice before it replaces anything
version_added: 0.1.0
description:
  - Renders C(keepalived.conf) from typed data with the same code as the
    P(halb.cluster.to_keepalived_conf#filter) filter.
  - Checks the data first (every problem is reported at once, each naming its
    variable), then checks that every script the configuration runs exists and
    is executable, then writes a temporary file beside O(dest), runs
    C(keepalived --config-test) on it, and only if that passes backs up the old
    file and moves the new one into place atomically.
  - A bad configuration therefore never replaces a running good one.
  - Authentication passwords are hidden in diffs, messages and logs.
author:
  - halb.cluster contributors (!UNKNOWN)
options:
  config:
    description:
      - The configuration, with the sections C(global_defs), C(scripts),
        C(track_files), C(instances) and C(sync_groups). See the keepalived role's
        C(meta/argument_specs.yml) and C(docs/keepalived.md) for every key.
    type: dict
    required: true
    suboptions:
      global_defs:
        description: router_id, script_user, enable_script_security, vrrp_skip_check_adv_addr,
          vrrp_strict, vrrp_garp_interval, vrrp_gna_interval, vrrp_garp_master_refresh,
          vrrp_garp_master_refresh_repeat, vrrp_garp_lower_prio_repeat, max_auto_priority, extra (lines
          the model has no key for).
        type: dict
      scripts:
        description: vrrp_script entries (name, script, interval, timeout, weight, fall, rise, user, extra).
        type: list
        elements: dict
      track_files:
        description:
          - C(track_file) entries (name, file, weight, init_file) that instances list in
            their C(track_files). keepalived watches each file with inotify and reads the
            number in it at once when it changes.
          - The C(weight) of an entry defaults to 0 (a non-zero value in the file puts
            the instance in FAULT), and is always written, since keepalived's own default is 1.
        type: list
        elements: dict
      instances:
        description:
          - C(vrrp_instance) entries, at least one. O(config.instances[].authentication.password)
            is treated as a secret.
          - The sub-options are of type C(raw) because the module checks and converts every value
            itself, so that an error names the variable it comes from; the expected type of each is
            given in its description.
        type: list
        elements: dict
        suboptions:
          name:
            description: Name of the instance (letters, digits, C(_ . -)); unique. Required.
            type: raw
          interface:
            description:
              - The one interface VRRP runs on and sends its adverts from. Required.
              - A single interface name; VIPs on other interfaces take C(dev) in
                O(config.instances[].virtual_ipaddresses).
            type: raw
          virtual_router_id:
            description:
              - VRID, an integer from 1 to 255. Required. Equal on every node of the pair and unique
                on the network segment.
            type: raw
          priority:
            description: Integer from 1 to 255; the highest priority becomes MASTER. Required.
            type: raw
          state:
            description:
              - Initial state, V(MASTER) or V(BACKUP) (case-insensitive). Required.
              - With O(config.instances[].nopreempt) or O(config.instances[].preempt_delay) it must
                be V(BACKUP).
            type: raw
          advert_int:
            description:
              - Seconds between adverts. VRRP version 2 takes whole seconds from 1 to 255; version 3
                takes 0.01 to 40.95 with at most two decimals.
            type: raw
          version:
            description:
              - VRRP version, V(2) or V(3). IPv6 addresses need 3, which keepalived also uses for
                IPv6 instances when this is not set.
            type: raw
          nopreempt:
            description: Boolean; a higher-priority node coming back does not take the VIP back. Needs state BACKUP.
            type: raw
          preempt_delay:
            description: Seconds (0 to 1000) a returning higher-priority node waits before it takes the VIP back.
            type: raw
          authentication:
            description:
              - VRRP authentication (version 2 only; refused with C(vrrp_strict)).
              - PASS travels in clear text; it keeps a second pair or a stray router on the
                segment out by mistake, not an attacker.
            type: dict
            suboptions:
              type:
                description: V(PASS) (the default when the mapping is given) or V(AH), case-insensitive.
                type: str
              password:
                description:
                  - The password, printable ASCII without white space, at most 8 characters
                    (keepalived uses only the first 8, so a longer one is refused). Required with
                    O(config.instances[].authentication).
                  - A shorter or weak one is refused unless O(allow_weak_secrets=true).
                type: str
          virtual_ipaddresses:
            description:
              - The virtual IP addresses, at least one, all of one family (IPv4 or IPv6).
              - Each is an address (V(192.0.2.10) or V(192.0.2.10/24)) or a mapping with C(address),
                C(prefix) (integer), C(dev) (another interface), C(label) (IPv4 only, starting with
                the interface name and a colon, for example V(eth0:vip)) and C(scope).
              - Without a prefix the address is a host address (/32 or /128).
            type: raw
          track_scripts:
            description:
              - Names of O(config.scripts) entries whose failure lowers the priority or puts the
                instance in FAULT. Each is a name or a mapping with C(name) and C(weight)
                (-253 to 253).
            type: raw
          track_files:
            description:
              - Names of O(config.track_files) entries. Each is a name or a mapping with C(name) and
                C(weight).
            type: raw
          track_interfaces:
            description:
              - Other interfaces whose link state moves the instance to FAULT (or changes the
                priority by C(weight)). Each is a name or a mapping with C(name) and C(weight). The
                instance's own interface is always tracked and may not be listed.
            type: raw
          unicast_src_ip:
            description:
              - This node's address for unicast VRRP (instead of multicast to 224.0.0.18). Needs
                O(config.instances[].unicast_peers).
            type: raw
          unicast_peers:
            description:
              - The addresses of the other nodes for unicast VRRP, of the family of
                O(config.instances[].unicast_src_ip); not this node's own. Refused with C(vrrp_strict).
            type: raw
          notify:
            description:
              - Program run on every state change; the program gets the type, name, new state and priority as arguments.
              - A command line (absolute path of the program, then its arguments) or a mapping with
                C(script) (that command line) and C(user) (the user it runs as).
            type: raw
          notify_master:
            description:
              - Program run on the change to MASTER.
              - A command line (absolute path of the program, then its arguments) or a mapping with
                C(script) (that command line) and C(user) (the user it runs as).
            type: raw
          notify_backup:
            description:
              - Program run on the change to BACKUP.
              - A command line (absolute path of the program, then its arguments) or a mapping with
                C(script) (that command line) and C(user) (the user it runs as).
            type: raw
          notify_fault:
            description:
              - Program run on the change to FAULT.
              - A command line (absolute path of the program, then its arguments) or a mapping with
                C(script) (that command line) and C(user) (the user it runs as).
            type: raw
          notify_stop:
            description:
              - Program run on the stop of the instance.
              - A command line (absolute path of the program, then its arguments) or a mapping with
                C(script) (that command line) and C(user) (the user it runs as).
            type: raw
          extra:
            description:
              - Statements the model has no key for, one line each (for example V(garp_master_delay 1)),
                written at the end of the block in order. A line may not start with a keyword that has
                a key of its own, nor hold braces, an C(include), control characters or an open quote.
            type: raw
      sync_groups:
        description: vrrp_sync_group entries (name, group, notify hooks, extra lines).
        type: list
        elements: dict
  dest:
    description: Path of the configuration file.
    type: path
    default: /etc/keepalived/keepalived.conf
  validate:
    description:
      - Run C(keepalived --config-test) on the new file before it is put in place.
      - In check mode, or when keepalived is not installed yet in check mode,
        the binary check is skipped with a warning.
    type: bool
    default: true
  allow_weak_secrets:
    description:
      - Accept a weak VRRP C(PASS) password (shorter than 8 characters, one character
        repeated, a run such as C(12345678), or a common one such as C(11111111)) with a
        warning instead of failing. For a lab only; the keepalived role passes
        C(keepalived_allow_weak_secrets).
      - PASS travels in clear text either way; AH, or unicast peers with a firewall that lets
        VRRP in only from them, is the real protection.
    type: bool
    default: false
  check_scripts:
    description:
      - Fail when a program named by a C(vrrp_script) or a notify hook does not
        exist or is not executable (a warning in check mode, where the role may
        not have installed it yet).
    type: bool
    default: true
  keepalived_bin:
    description: The keepalived binary used for the check.
    type: str
    default: keepalived
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - halb.cluster.config_file
"""

EXAMPLES = r"""
- name: Write keepalived.conf for a pair
  halb.cluster.keepalived_config:
    config:
      global_defs:
        router_id: lb1
        script_user: keepalived_script
        enable_script_security: true
      scripts:
        - name: chk_haproxy
          script: /usr/bin/systemctl is-active --quiet haproxy.service
          interval: 2
          weight: -30
          fall: 2
          rise: 2
      instances:
        - name: VI_1
          interface: eth0
          virtual_router_id: 51
          priority: 150
          state: MASTER
          authentication:
            type: PASS
            password: "{{ vault_vrrp_password }}"
          virtual_ipaddresses:
            - address: 192.0.2.10
              prefix: 24
          track_scripts:
            - chk_haproxy
  notify: Reload keepalived
"""

RETURN = r"""
dest:
  description: Path of the configuration file.
  returned: always
  type: str
backup_file:
  description: The copy of the previous file, when one was made.
  returned: changed and a file existed
  type: str
instances:
  description: The VRRP instances in the file, with their state, priority and VRID.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the instance.
      type: str
    state:
      description: Initial state written, V(MASTER) or V(BACKUP).
      type: str
    priority:
      description: Priority written.
      type: int
    virtual_router_id:
      description: The VRID.
      type: int
    interface:
      description: The interface VRRP runs on.
      type: str
  sample:
    - {name: VI_1, state: MASTER, priority: 150, virtual_router_id: 51, interface: eth0}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils._apply import (
    keepalived_test_passed as config_test_passed,
    missing_programs,
)
from ansible_collections.halb.cluster.plugins.module_utils._configfile import (
    checker_binary,
    command_validator,
    ensure_config,
    file_options,
    strip_none,
)
from ansible_collections.halb.cluster.plugins.module_utils._keepalived import (
    _INSTANCE_KEYS,
    KeepalivedConfigError,
    normalize,
    redact,
    render,
    script_paths,
    secrets,
)


def _argument_spec():
    instance_options = {key: {"type": "raw"} for key in _INSTANCE_KEYS}
    instance_options["authentication"] = {
        "type": "dict",
        "options": {"type": {"type": "str"}, "password": {"type": "str", "no_log": True}},
    }
    return {
        "config": {
            "type": "dict",
            "required": True,
            "options": {
                "global_defs": {"type": "dict"},
                "scripts": {"type": "list", "elements": "dict"},
                "track_files": {"type": "list", "elements": "dict"},
                "instances": {"type": "list", "elements": "dict", "options": instance_options},
                "sync_groups": {"type": "list", "elements": "dict"},
            },
        },
        "check_scripts": {"type": "bool", "default": True},
        "allow_weak_secrets": {"type": "bool", "default": False},
        **file_options("/etc/keepalived/keepalived.conf", "keepalived_bin", "keepalived"),
    }


def main():
    module = AnsibleModule(argument_spec=_argument_spec(), supports_check_mode=True)
    params = module.params
    data = strip_none(params["config"])

    warnings = []
    try:
        config = normalize(data, params["allow_weak_secrets"], warnings)
    except KeepalivedConfigError as exc:
        module.fail_json(msg="Invalid keepalived configuration:\n" + str(exc), errors=exc.errors)
    for line in warnings:
        module.warn(line)
    text = render(config, normalized=True)

    if params["check_scripts"]:
        missing = missing_programs(script_paths(config))
        if missing and module.check_mode:
            for line in missing:
                module.warn(line + " (ignored in check mode)")
        elif missing:
            module.fail_json(msg="\n".join(missing), errors=missing)

    # keepalived watches a track file's directory; when the directory is
    # missing at start or reload it drops the track file (and only logs it).
    for tfile in config.get("track_files", []):
        directory = os.path.dirname(tfile["file"])
        if not os.path.isdir(directory):
            module.warn(
                f"keepalived_track_files[{tfile['name']}].file: the directory {directory} does not "
                "exist on this host; keepalived ignores the track file until it exists when "
                "keepalived starts or reloads (the haproxy role creates the one of "
                "haproxy_down_file)"
            )

    binary = checker_binary(
        module, "keepalived_bin", params["keepalived_bin"], params["validate"], "keepalived"
    )

    instances = [
        {
            "name": i["name"],
            "state": i["state"],
            "priority": i["priority"],
            "virtual_router_id": i["virtual_router_id"],
            "interface": i["interface"],
        }
        for i in config["instances"]
    ]
    ensure_config(
        module,
        text,
        redact,
        validator=command_validator(
            module,
            [binary, "--config-test", "-f"],
            "keepalived --config-test",
            secrets(config),
            redact,
            passed=config_test_passed,
        ),
        result={"instances": instances},
    )


if __name__ == "__main__":
    main()
