# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side checks and files of the rsyslog role."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils import _rsyslog
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def rsyslog_errors(values):
    """Every problem of the rsyslog role's variables (a mapping of rsyslog_*
    values), each message naming its variable; [] when all is well."""
    return _rsyslog.errors(_plain(values))


def _render(func, values):
    try:
        return func(_plain(values))
    except _rsyslog.RsyslogConfigError as exc:
        raise AnsibleFilterError(f"{func.__name__}: " + "; ".join(exc.errors)) from None


def rsyslog_config(values):
    """The rsyslog drop-in (imudp input and its ruleset), from checked values."""
    return _render(_rsyslog.config, values)


def rsyslog_logrotate(values):
    """The logrotate stanza of the log files, from checked values."""
    return _render(_rsyslog.logrotate, values)


class FilterModule:
    """halb.cluster rsyslog filters."""

    def filters(self):
        return {
            "rsyslog_errors": rsyslog_errors,
            "rsyslog_config": rsyslog_config,
            "rsyslog_logrotate": rsyslog_logrotate,
        }
