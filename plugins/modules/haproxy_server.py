#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: haproxy_server
short_description: Set HAProxy servers to ready, drain or maint, and their weight, through the runtime API
version_added: 0.1.0
description:
  - Changes the administrative state and/or the weight of one or several
    servers of a running HAProxy through its runtime API (the C(stats socket)
    the M(halb.cluster.haproxy_config) module and the C(halb.cluster.haproxy)
    role set up), over a unix socket or TCP. Nothing is reloaded or restarted.
  - C(drain) sends no new requests to the server while its open sessions
    finish; C(maint) takes it out at once (its open sessions go on unless
    O(shutdown_sessions) is set); C(ready) puts it back.
  - Idempotent by the server's administrative state as HAProxy reports it in
    C(show servers state), not by session counts. A server already in the
    asked state is left alone and the task reports C(changed=false).
  - With O(wait), the task waits (at most O(wait_timeout) seconds) until every
    server named has no session left (C(drain), C(maint)) or is UP again
    (C(ready)). A server that is already UP, or that has no session, ends the
    wait at once; a server whose health check fails after it was set ready is
    reported as DOWN at once instead of waited for.
  - The state set here lasts until HAProxy restarts, or across reloads when
    the role's C(server-state-file) is saved first (the role does that).
author:
  - halb.cluster contributors (!UNKNOWN)
attributes:
  check_mode:
    support: full
    details: Reads the current state and reports what would change; sends no C(set) command and does not wait.
  diff_mode:
    support: full
    details: One line per server with its state and weight, before and after.
  platform:
    platforms: posix
options:
  name:
    description:
      - The servers, each as C(server) (that server in every backend that has
        it, or in O(backend) when given) or C(backend/server).
    type: list
    elements: str
    required: true
    aliases: [server, servers]
  backend:
    description: The backend of the servers given without one.
    type: str
  state:
    description: The administrative state to set. At least one of O(state) and O(weight) is required.
    type: str
    choices: [ready, drain, maint]
  weight:
    description: The weight to set (0 to 256; 0 sends no new requests, like C(drain)).
    type: int
  shutdown_sessions:
    description:
      - With O(state=maint), also close the server's open sessions at once
        (C(shutdown sessions server)). For a server that is broken now.
    type: bool
    default: false
  socket:
    description:
      - HAProxy's runtime API, as an absolute unix socket path or
        C(tcp://HOST:PORT). The socket must allow the C(admin) level.
    type: str
    default: /run/haproxy/admin.sock
  wait:
    description: Wait until drained or maintained servers have no session left, or ready servers are UP.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait at most (1 to 3600); then the task fails and names what was still open.
    type: int
    default: 60
  wait_interval:
    description: Seconds between two looks at the servers while waiting (0.05 to 10).
    type: float
    default: 0.5
notes:
  - Run it on every HAProxy of the pair (the C(halb.cluster.server_state)
    playbook does); each HAProxy has its own runtime state.
seealso:
  - module: halb.cluster.haproxy_info
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Drain web1 for a release and wait until its sessions are gone
  halb.cluster.haproxy_server:
    name: web1
    state: drain
    wait: true
    wait_timeout: 300

- name: Pull a broken server out at once
  halb.cluster.haproxy_server:
    name: be_web/web2
    state: maint
    shutdown_sessions: true

- name: Put both back and wait until they pass their health checks
  halb.cluster.haproxy_server:
    name: [web1, web2]
    backend: be_web
    state: ready
    wait: true

- name: Send half the usual share to web2
  halb.cluster.haproxy_server:
    name: be_web/web2
    weight: 50
"""

RETURN = r"""
servers:
  description: Every server the task acted on, with its state and weight before and after.
  returned: always
  type: list
  elements: dict
  sample:
    - backend: be_web
      server: web1
      before: {state: ready, weight: 1}
      after: {state: drain, weight: 1}
      status: DRAIN
      sessions: 0
commands:
  description: The runtime API commands sent (or, in check mode, that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["set server be_web/web1 state drain"]
waited:
  description: Seconds spent waiting (0 without O(wait)).
  returned: always
  type: float
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils import _runtime_api as api
from ansible_collections.halb.cluster.plugins.module_utils._runtime_client import send


def _goal(state):
    return "up" if state == "ready" else "sessions"


def wait_for(address, targets, goal, timeout, interval, baseline):
    """Poll ``show stat`` until every target meets the goal; return (seconds, rows).

    ``baseline``: the ``show stat`` rows read before the state was set (a
    health check failed since then means DOWN for real). Raises
    RuntimeApiError on a failure verdict or at the timeout.
    """
    start = time.monotonic()
    start_rows = {t: api.stat_row(baseline, *t) for t in targets}
    rows = api.parse_stat(send(address, "show stat"))
    # Bounded by time and by a count (timeout / interval, plus slack).
    for _attempt in range(int(timeout / interval) + 2):
        pending = []
        for target in targets:
            row = api.stat_row(rows, *target)
            verdict, reason = api.wait_verdict(goal, row, start_rows[target])
            if verdict == "fail":
                raise api.RuntimeApiError(f"{target[0]}/{target[1]}: {reason}")
            if verdict == "wait":
                pending.append(f"{target[0]}/{target[1]} ({reason})")
        elapsed = time.monotonic() - start
        if not pending:
            return round(elapsed, 3), rows
        if elapsed >= timeout:
            break
        time.sleep(min(interval, max(timeout - elapsed, 0)))
        rows = api.parse_stat(send(address, "show stat"))
    what = "no session left" if goal == "sessions" else "UP"
    raise api.RuntimeApiError(
        f"wait_timeout={timeout} s reached before every server was {what}: still {', '.join(pending)}"
    )


def run(module):
    p = module.params
    address = api.parse_socket(p["socket"])
    parsed = api.check_request(p["name"], p["backend"], p["state"], p["weight"])
    if p["shutdown_sessions"] and p["state"] != "maint":
        raise api.RuntimeApiError("shutdown_sessions=true only goes with state=maint")
    if not 1 <= p["wait_timeout"] <= 3600:
        raise api.RuntimeApiError(f"wait_timeout={p['wait_timeout']} must be 1-3600 seconds")
    if not 0.05 <= p["wait_interval"] <= 10:
        raise api.RuntimeApiError(f"wait_interval={p['wait_interval']} must be 0.05-10 seconds")

    rows = api.parse_servers_state(send(address, "show servers state"))
    targets = api.resolve(parsed, rows)
    changes = api.plan(targets, rows, p["state"], p["weight"])
    stats = api.parse_stat(send(address, "show stat"))
    commands = [c for change in changes for c in change["commands"]]
    if p["shutdown_sessions"]:
        for be, sv in targets:
            if (api.stat_row(stats, be, sv).get("scur") or 0) > 0:
                commands.append(f"shutdown sessions server {be}/{sv}")
    result = {"changed": bool(commands), "commands": commands, "waited": 0.0}
    if module._diff:
        result["diff"] = api.diff_lines(changes)

    if not module.check_mode:
        for command in commands:
            api.check_set_answer(command, send(address, command))
        if commands:
            rows = api.parse_servers_state(send(address, "show servers state"))
        if p["wait"] and p["state"] is not None:
            try:
                result["waited"], stats = wait_for(
                    address,
                    targets,
                    _goal(p["state"]),
                    p["wait_timeout"],
                    p["wait_interval"],
                    stats,
                )
            except api.RuntimeApiError as exc:
                # The state was set: say so, and why the wait failed.
                module.fail_json(msg=str(exc), changed=bool(commands), commands=commands)
        elif commands:
            stats = api.parse_stat(send(address, "show stat"))

    servers = []
    for change in changes:
        be, sv = change["backend"], change["server"]
        stat = api.stat_row(stats, be, sv)
        after = change["after"]
        if not module.check_mode:  # what HAProxy says now (rows read again after a change)
            row = api.current(rows, be, sv)
            after = {"state": row.get("admin_state"), "weight": row.get("srv_uweight")}
        servers.append(
            {
                "backend": be,
                "server": sv,
                "before": change["before"],
                "after": after,
                "status": stat.get("status"),
                "sessions": stat.get("scur"),
            }
        )
    result["servers"] = servers
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {
                "type": "list",
                "elements": "str",
                "required": True,
                "aliases": ["server", "servers"],
            },
            "backend": {"type": "str"},
            "state": {"type": "str", "choices": list(api.STATES)},
            "weight": {"type": "int"},
            "shutdown_sessions": {"type": "bool", "default": False},
            "socket": {"type": "str", "default": "/run/haproxy/admin.sock"},
            "wait": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 60},
            "wait_interval": {"type": "float", "default": 0.5},
        },
        required_one_of=[["state", "weight"]],
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except api.RuntimeApiError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
