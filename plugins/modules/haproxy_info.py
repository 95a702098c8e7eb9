#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: haproxy_info
short_description: Read a running HAProxy's info, statistics and server states, and whether its logs are received
version_added: 0.1.0
description:
  - Sends C(show info), C(show stat) and C(show servers state) to HAProxy's
    runtime API (a unix socket or TCP) and returns them as structured data,
    plus a summary by backend and server that is easy to use in C(when) and
    C(until) conditions.
  - With C(logs) gathered (the default), also says whether HAProxy's logs
    reach anything. HAProxy sends syslog over UDP or to a unix datagram
    socket and never waits, so when rsyslog is stopped or the log directory
    is full every line is lost and HAProxy says nothing. The module reads the
    C(log) lines of O(config) (every section, and the C(chroot) of its
    global section), and for each target that is a loopback UDP address
    (such as C(127.0.0.1:514)) looks in C(/proc/net/udp) and
    C(/proc/net/udp6) for a socket bound to that port and address (or the
    wildcard); for a unix socket path (such as C(/dev/log), inside the
    chroot when there is one) it checks that the path is a socket and that
    a datagram C(connect) to it succeeds (nothing is sent). It also reads the
    free space and inodes of O(log_dir) (statvfs). Each problem is returned
    in RV(logs.problems) and shown as a warning.
  - Host names, remote addresses, rings, C(stdout) and C(fd@) targets are
    listed but not checked.
  - The C(logs) check reads files on the host the module runs on and does
    not need the runtime API; it runs even when HAProxy is stopped.
  - Changes nothing; runs the same in check mode.
author:
  - halb.cluster contributors (!UNKNOWN)
attributes:
  check_mode:
    support: full
    details: Reads only.
  diff_mode:
    support: none
    details: Changes nothing, so there is nothing to show.
  platform:
    platforms: posix
options:
  socket:
    description: HAProxy's runtime API, as an absolute unix socket path or C(tcp://HOST:PORT).
    type: str
    default: /run/haproxy/admin.sock
  gather:
    description:
      - Which answers to read. V(logs) is the check of HAProxy's log
        targets and log directory described above (no runtime API command).
      - Leave V(logs) out when the runtime API is that of another host
        (O(socket) on TCP), because the check looks at the host the module runs on.
    type: list
    elements: str
    choices: [info, stat, servers_state, logs]
    default: [info, stat, servers_state, logs]
  config:
    description:
      - The configuration file the running HAProxy was started with, whose
        C(log) lines and C(chroot) the V(logs) check reads. If it was changed
        since HAProxy last loaded it, its new targets are checked.
      - When it cannot be read, RV(logs.error) says why, RV(logs.ok) is
        false and the module warns; it does not fail.
    type: path
    default: /etc/haproxy/haproxy.cfg
  log_dir:
    description:
      - The directory rsyslog writes HAProxy's log files to
        (C(rsyslog_log_dir) of the halb.cluster.rsyslog role). Its file
        system's free space and inodes are checked against O(log_min_free).
        When it does not exist yet (rsyslog makes it with the first line),
        its nearest existing parent is checked.
    type: path
    default: /var/log/haproxy
  log_min_free:
    description:
      - Below how much free space in O(log_dir) the V(logs) check reports a
        problem, as a share of the file system (V(5%)) or a size with an
        optional binary unit (V(512M), V(2G), V(1048576) bytes). The free space is
        what C(df) shows as available (blocks root keeps in reserve do not
        count).
      - Free inodes are held to the same share, or to 1% when this is a
        size. A full file system (no block available) is always a problem.
    type: str
    default: 5%
notes:
  - The V(logs) check runs as the connecting user. Run it as root (C(become))
    or as HAProxy's user, because a unix socket only its owner group may use
    makes it report that it cannot tell.
  - A receiver that is bound but cannot keep up loses datagrams in the
    kernel; RV(logs.targets[].drops) counts them (since the socket was
    made). HAProxy counts in C(DroppedLogs) only the lines it could not hand
    to the kernel, never those sent to a port where nothing listens.
seealso:
  - module: halb.cluster.haproxy_server
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Read HAProxy's state
  halb.cluster.haproxy_info:
  register: haproxy

- name: Show web1's state in be_web
  ansible.builtin.debug:
    msg: "{{ haproxy.backends.be_web.servers.web1 }}"

- name: Fail when HAProxy's logs go nowhere (rsyslog stopped, log directory full)
  halb.cluster.haproxy_info:
    gather: [logs]
    log_min_free: 1G
  become: true
  register: haproxy
  failed_when: not haproxy.logs.ok

- name: Wait until no session is open on the frontend
  halb.cluster.haproxy_info:
    gather: [stat]
  register: haproxy
  until: haproxy.stat | selectattr('svname', 'eq', 'FRONTEND') | map(attribute='scur') | sum == 0
  retries: 30
  delay: 1
"""

RETURN = r"""
info:
  description: C(show info), key by key (numbers as numbers).
  returned: when info is gathered
  type: dict
  sample: {Version: 2.6.12-1+deb12u1, Uptime_sec: 42, CurrConns: 3}
stat:
  description: C(show stat), one dict per frontend, backend and server, keyed by the CSV header's names.
  returned: when stat is gathered
  type: list
  elements: dict
servers_state:
  description:
    - C(show servers state), one dict per server, plus C(admin_state) (ready,
      drain or maint), C(admin_flags) (why) and C(op_state).
  returned: when servers_state is gathered
  type: list
  elements: dict
backends:
  description: Backends by name, with status, sessions and their servers by name (status, weight, sessions, check_status, admin_state, address, port).
  returned: when stat is gathered
  type: dict
  sample:
    be_web:
      status: UP
      sessions: 0
      servers:
        web1: {status: UP, weight: 1, sessions: 0, check_status: L7OK, admin_state: ready, address: 10.0.0.21, port: 8000}
servers_up:
  description: C(backend/server) of every server that takes traffic now (status UP, or not checked).
  returned: when stat is gathered
  type: list
  elements: str
  sample: [be_web/web1, be_web/web2]
sessions:
  description: Sessions open on all frontends together (the stats page's own included).
  returned: when stat is gathered
  type: int
logs:
  description: Whether HAProxy's logs are received, target by target, and the log directory's free space.
  returned: when logs is gathered
  type: dict
  contains:
    ok:
      description: True when no problem was found (every checked target has a receiver, the log directory has room, the config was read).
      type: bool
      sample: false
    receiving:
      description: True when every checked target has a receiver, false when one has none, null when no target could be checked.
      type: bool
      sample: false
    problems:
      description: Each problem in a sentence (also shown as a warning).
      type: list
      elements: str
      sample:
        - "nothing receives HAProxy's logs at 127.0.0.1:514 (no UDP socket bound to 127.0.0.1 port 514): every line sent there is lost (is rsyslog running?)"
    config:
      description: The configuration file read (O(config)).
      type: str
      sample: /etc/haproxy/haproxy.cfg
    error:
      description: Why the configuration file could not be read.
      type: str
      returned: when it could not be read
    chroot:
      description: The C(chroot) of the global section (unix socket paths are checked inside it), or null.
      type: str
      sample: /var/lib/haproxy
    dropped_logs:
      description: HAProxy's C(DroppedLogs) from C(show info) (lines HAProxy could not hand to the kernel; not those sent where nothing listens).
      type: int
      returned: when info is gathered too
      sample: 0
    targets:
      description:
        - One entry per distinct log target of the configuration, in the order they first appear.
      type: list
      elements: dict
      contains:
        address:
          description: The target as written in the configuration.
          type: str
          sample: 127.0.0.1:514
        kind:
          description: V(udp), V(unix) or V(other) (a ring, stdout, fd@, TCP, abstract socket, an environment variable).
          type: str
          sample: udp
        sections:
          description: The sections whose C(log) lines name it.
          type: list
          elements: str
          sample: [global]
        facilities:
          description: The facilities its C(log) lines send.
          type: list
          elements: str
          sample: [local6, local5]
        host:
          description: The address (or host name) of a UDP target.
          type: str
          returned: when kind is udp
          sample: 127.0.0.1
        port:
          description: The port of a UDP target (514 when the configuration gives none).
          type: int
          returned: when kind is udp
          sample: 514
        family:
          description: 4 or 6, for a UDP target given as an IP address.
          type: int
          returned: when kind is udp and the host is an IP address
          sample: 4
        loopback:
          description: Whether a UDP target's address is a loopback address (only those are checked).
          type: bool
          returned: when kind is udp and the host is an IP address
          sample: true
        path:
          description: The socket path of a unix target, as written.
          type: str
          returned: when kind is unix
          sample: /dev/log
        checked_path:
          description: The path checked for a unix target (inside the chroot, if any).
          type: str
          returned: when kind is unix
          sample: /var/lib/haproxy/dev/log
        checked:
          description: Whether this kind of target is checked (loopback UDP addresses and unix sockets are).
          type: bool
          sample: true
        listening:
          description: True when something receives there, false when nothing does (every line sent there is lost), null when not checked or it cannot be told.
          type: bool
          sample: true
        reason:
          description: Why it is not checked, not listening, or cannot be told.
          type: str
          returned: when there is one
          sample: no UDP socket is bound to this address and port
        receivers:
          description: The UDP sockets that receive there (address, port, inode, rx_queue, drops).
          type: list
          elements: dict
          returned: when a UDP target was checked
          sample: [{address: 127.0.0.1, port: 514, inode: 2692211, rx_queue: 0, drops: 0}]
        drops:
          description: Datagrams the receivers' sockets dropped because their buffer was full, since they were made.
          type: int
          returned: when a UDP target was checked
          sample: 0
    log_dir:
      description: The log directory's file system.
      type: dict
      contains:
        path:
          description: O(log_dir).
          type: str
          sample: /var/log/haproxy
        checked_path:
          description: The directory measured (O(log_dir), or its nearest existing parent).
          type: str
          sample: /var/log/haproxy
        exists:
          description: Whether O(log_dir) exists.
          type: bool
        min_free:
          description: O(log_min_free).
          type: str
          sample: 5%
        free_bytes:
          description: Bytes available (to non-root users, as C(df) shows).
          type: int
          returned: when it could be measured
        free_percent:
          description: Share of the file system available.
          type: float
          returned: when it could be measured
        free_inodes_percent:
          description: Share of inodes available; null on file systems without an inode count.
          type: float
          returned: when it could be measured
        low:
          description: True when the free space is below O(log_min_free) (or none is left).
          type: bool
          returned: when it could be measured
        inodes_low:
          description: True when free inodes are below the share (see O(log_min_free)).
          type: bool
          returned: when it could be measured
        error:
          description: Why it could not be measured.
          type: str
          returned: when it could not be measured
"""

import errno
import os
import socket
import stat
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils import (
    _loglink as loglink,
    _runtime_api as api,
)
from ansible_collections.halb.cluster.plugins.module_utils._runtime_client import send

PROC_UDP = {4: "/proc/net/udp", 6: "/proc/net/udp6"}


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def udp_sockets():
    """The UDP sockets of both /proc files (a missing udp6: IPv6 is off), or
    None when /proc/net/udp cannot be read."""
    sockets = []
    for family, path in PROC_UDP.items():
        try:
            text = _read(path)
        except OSError:
            if family == 4:
                return None
            continue
        sockets.extend(loglink.parse_proc_udp(text, family, sys.byteorder))
    return sockets


def probe_unix(path):
    """(exists, is a socket, errno of a datagram connect: 0 when it succeeded)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False, False, None
    except OSError as exc:
        return True, True, exc.errno
    if not stat.S_ISSOCK(mode):
        return True, False, None
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(path)
        return True, True, 0
    except OSError as exc:
        return True, True, exc.errno or errno.ENAMETOOLONG
    finally:
        probe.close()


def log_dir_space(path, min_free_text, min_free):
    checked = path
    while not os.path.isdir(checked) and checked not in ("/", ""):
        checked = os.path.dirname(checked)
    out = {
        "path": path,
        "checked_path": checked,
        "exists": checked == path,
        "min_free": min_free_text,
    }
    try:
        vfs = os.statvfs(checked)
    except OSError as exc:
        out["error"] = f"statvfs {checked}: {exc.strerror}"
        return out
    space = loglink.disk_space(
        vfs.f_frsize, vfs.f_blocks, vfs.f_bavail, vfs.f_files, vfs.f_favail, min_free
    )
    out.update(space)
    return out


def gather_logs(params, min_free, dropped_logs=None):
    """The logs check: returns (logs, problems)."""
    config = params["config"]
    log_dir = log_dir_space(params["log_dir"], params["log_min_free"], min_free)
    try:
        parsed = loglink.log_targets(_read(config))
    except OSError as exc:
        problem = f"cannot read {config} ({exc.strerror}): HAProxy's log targets are not checked"
        parsed = {"chroot": None, "targets": []}
        logs, problems = loglink.report(parsed, [], {}, log_dir, dropped_logs)
        problems.insert(0, problem)
        logs.update(config=config, error=problem, ok=False)
        return logs, problems
    sockets, udp_error = None, None
    try:
        sockets = udp_sockets()
    except loglink.LogLinkError as exc:
        udp_error = f"/proc/net/udp: {exc}"
    probes = {}
    for target in parsed["targets"]:
        if target["kind"] == "unix":
            path = loglink.in_chroot(parsed["chroot"], target["path"])
            probes[path] = probe_unix(path)
    logs, problems = loglink.report(parsed, sockets, probes, log_dir, dropped_logs, udp_error)
    logs["config"] = config
    return logs, problems


def gather(address, parts):
    result = {}
    if "info" in parts:
        result["info"] = api.parse_info(send(address, "show info"))
    if "stat" in parts:
        result["stat"] = api.parse_stat(send(address, "show stat"))
    if "servers_state" in parts:
        result["servers_state"] = api.parse_servers_state(send(address, "show servers state"))
    if "stat" in result:
        result["backends"] = api.summarize(result["stat"], result.get("servers_state", []))
        result["servers_up"] = api.servers_up(result["stat"])
        result["sessions"] = api.frontend_sessions(result["stat"])
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "str", "default": "/run/haproxy/admin.sock"},
            "gather": {
                "type": "list",
                "elements": "str",
                "choices": ["info", "stat", "servers_state", "logs"],
                "default": ["info", "stat", "servers_state", "logs"],
            },
            "config": {"type": "path", "default": "/etc/haproxy/haproxy.cfg"},
            "log_dir": {"type": "path", "default": "/var/log/haproxy"},
            "log_min_free": {"type": "str", "default": "5%"},
        },
        supports_check_mode=True,
    )
    parts = module.params["gather"]
    min_free = None
    if "logs" in parts:
        try:
            min_free = loglink.parse_min_free(module.params["log_min_free"])
        except loglink.LogLinkError as exc:
            module.fail_json(msg=f"log_min_free: {exc}")
    result = {}
    try:
        if set(parts) - {"logs"}:
            result = gather(api.parse_socket(module.params["socket"]), parts)
    except api.RuntimeApiError as exc:
        failure = str(exc)
    else:
        failure = None
    if "logs" in parts:
        dropped = result.get("info", {}).get("DroppedLogs")
        result["logs"], problems = gather_logs(module.params, min_free, dropped)
        for problem in problems:
            module.warn(problem)
    if failure:
        module.fail_json(msg=failure, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
