#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: keepalived_info
short_description: Which VRRP instances this host is MASTER, BACKUP or FAULT for, and which VIPs it holds
version_added: 0.1.0
description:
  - Asks the running keepalived for its state (it writes C(/tmp/keepalived.json)
    on its JSON signal, or C(/tmp/keepalived.data) on SIGUSR1 when it was built
    without JSON support), and reads the host's addresses (C(ip -o addr show))
    to tell which virtual IPs the host really holds.
  - The VRRP password and the rest of keepalived's dump are not returned. A
    dump file that did not exist before the call is removed afterwards.
  - When keepalived is not running, returns C(running=false) and empty lists
    (not a failure), so that playbooks can wait for it.
  - Changes nothing on the host; runs the same in check mode.
author:
  - halb.cluster contributors (!UNKNOWN)
attributes:
  check_mode:
    support: full
    details: Reads only (the dump keepalived writes on the signal is removed again).
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  pid_file:
    description: keepalived's main process ID file.
    type: path
    default: /run/keepalived.pid
  timeout:
    description: Seconds to wait for keepalived to write its dump (1 to 60).
    type: int
    default: 5
seealso:
  - module: halb.cluster.keepalived_config
  - module: halb.cluster.haproxy_info
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Read this node's VRRP state
  halb.cluster.keepalived_info:
  register: vrrp

- name: Say which node holds the VIPs
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} holds {{ vrrp.vips_held }} (MASTER for {{ vrrp.master }})"
"""

RETURN = r"""
running:
  description: Whether keepalived runs (its PID file names a live process).
  returned: always
  type: bool
source:
  description: Which dump was read (C(json) or C(data)); empty when keepalived does not run.
  returned: always
  type: str
instances:
  description: One dict per VRRP instance.
  returned: always
  type: list
  elements: dict
  sample:
    - name: VI_WEB
      state: MASTER
      interface: eth0
      virtual_router_id: 51
      priority: 150
      effective_priority: 150
      vips: [192.0.2.100]
      vips_held: [192.0.2.100]
master:
  description: Names of the instances this host is MASTER for.
  returned: always
  type: list
  elements: str
backup:
  description: Names of the instances this host is BACKUP for.
  returned: always
  type: list
  elements: str
fault:
  description: Names of the instances in FAULT state.
  returned: always
  type: list
  elements: str
other:
  description: Names of the instances in any other state (INIT, STOP...), for example while keepalived starts.
  returned: always
  type: list
  elements: str
vips:
  description: Every virtual IP address of every instance (without prefix).
  returned: always
  type: list
  elements: str
vips_held:
  description: The virtual IP addresses this host carries right now.
  returned: always
  type: list
  elements: str
"""

import os
import signal
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils import _vrrp_state as vrrp

DUMPS = (
    ("json", "JSON", "/tmp/keepalived.json", vrrp.parse_json),
    ("data", "DATA", "/tmp/keepalived.data", vrrp.parse_data),
)


def keepalived_pid(pid_file):
    try:
        with open(pid_file) as handle:
            pid = int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def signal_number(module, name):
    """keepalived --signum=NAME (JSON is missing from builds without JSON support)."""
    binary = module.get_bin_path("keepalived", opt_dirs=["/usr/sbin", "/sbin"])
    if binary:
        rc, out, _err = module.run_command([binary, f"--signum={name}"])
        if rc == 0 and out.strip().isdigit():
            return int(out.strip())
    return int(signal.SIGUSR1) if name == "DATA" else None


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def read_dump(module, pid, timeout):
    """Signal keepalived and read the first dump it writes; return (source, instances).

    The JSON dump first; when keepalived has no JSON signal or did not write
    it in time, the data dump."""
    last_error = "keepalived wrote no state dump"
    for source, name, path, parse in DUMPS:
        number = signal_number(module, name)
        if number is None:
            continue
        existed = os.path.exists(path)
        before = _mtime(path)
        try:
            os.kill(pid, number)
        except OSError as exc:
            module.fail_json(msg=f"cannot signal keepalived (pid {pid}): {exc}; run as root")
        deadline = time.monotonic() + timeout
        last_error = f"keepalived did not write {path} within {timeout} s"
        try:
            # Bounded by the deadline; keepalived writes the file at once.
            while time.monotonic() < deadline:
                if _mtime(path) not in (None, before):
                    try:
                        with open(path) as handle:
                            return source, parse(handle.read())
                    except (OSError, vrrp.VrrpStateError) as exc:
                        last_error = str(exc)  # half written: read again
                time.sleep(0.05)
        finally:
            if not existed:
                try:
                    os.unlink(path)
                except OSError:
                    pass
    module.fail_json(msg=last_error)
    return None


def main():
    module = AnsibleModule(
        argument_spec={
            "pid_file": {"type": "path", "default": "/run/keepalived.pid"},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    timeout = module.params["timeout"]
    if not 1 <= timeout <= 60:
        module.fail_json(msg=f"timeout={timeout} must be 1-60 seconds")
    pid = keepalived_pid(module.params["pid_file"])
    if pid is None:
        module.exit_json(changed=False, running=False, source="", **vrrp.summary([], set()))
    source, instances = read_dump(module, pid, timeout)
    rc, out, err = module.run_command(["ip", "-o", "addr", "show"])
    if rc != 0:
        module.fail_json(msg=f"ip -o addr show failed: {err.strip()}")
    module.exit_json(
        changed=False,
        running=True,
        source=source,
        **vrrp.summary(instances, vrrp.local_addresses(out)),
    )


if __name__ == "__main__":
    main()
