#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: haproxy_info
short_description: Read a running HAProxy's info, statistics and server states through the runtime API
version_added: 0.1.0
description:
  - Sends C(show info), C(show stat) and C(show servers state) to HAProxy's
    runtime API (a unix socket or TCP) and returns them as structured data,
    plus a summary by backend and server that is easy to use in C(when) and
    C(until) conditions.
  - Changes nothing; runs the same in check mode.
author:
  - halb.cluster contributors
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
options:
  socket:
    description: HAProxy's runtime API, as an absolute unix socket path or C(tcp://HOST:PORT).
    type: str
    default: /run/haproxy/admin.sock
  gather:
    description: Which answers to read.
    type: list
    elements: str
    choices: [info, stat, servers_state]
    default: [info, stat, servers_state]
seealso:
  - module: halb.cluster.haproxy_server
"""

EXAMPLES = r"""
- name: Read HAProxy's state
  halb.cluster.haproxy_info:
  register: haproxy

- name: Show web1's state in be_web
  ansible.builtin.debug:
    msg: "{{ haproxy.backends.be_web.servers.web1 }}"

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
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils import _runtime_api as api
from ansible_collections.halb.cluster.plugins.module_utils._runtime_client import send


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
                "choices": ["info", "stat", "servers_state"],
                "default": ["info", "stat", "servers_state"],
            },
        },
        supports_check_mode=True,
    )
    try:
        result = gather(api.parse_socket(module.params["socket"]), module.params["gather"])
    except api.RuntimeApiError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
