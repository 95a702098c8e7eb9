# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side checks of the rsyslog role's variables."""

from __future__ import annotations

from ansible_collections.halb.cluster.plugins.module_utils._rsyslog import errors
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def rsyslog_errors(values):
    """Every problem of the rsyslog role's variables (a mapping of rsyslog_*
    values), each message naming its variable; [] when all is well."""
    return errors(_plain(values))


class FilterModule:
    """halb.cluster rsyslog filters."""

    def filters(self):
        return {"rsyslog_errors": rsyslog_errors}
