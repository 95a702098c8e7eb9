# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side filters over the same code as the HAProxy config module."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils._haproxy import (
    HAProxyConfigError,
    render,
)
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def to_haproxy_cfg(config):
    """Render haproxy.cfg text from the structured configuration (checked first).

    ``config`` has the sections global, defaults, userlists, frontends,
    listens and backends; an error names the variable at fault, for example
    ``haproxy_backends[web].servers[web1].port``.
    """
    try:
        return render(_plain(config))
    except HAProxyConfigError as exc:
        raise AnsibleFilterError(f"to_haproxy_cfg: {exc}") from None


class FilterModule:
    """halb.cluster HAProxy filters."""

    def filters(self):
        return {"to_haproxy_cfg": to_haproxy_cfg}
