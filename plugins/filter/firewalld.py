# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side checks and rules of the firewalld role."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils._firewalld import (
    errors,
    parse_zone_report,
    rules,
    stale,
    zone_errors,
)
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def firewalld_errors(values, zone_report=None):
    """Every problem of the firewalld role's variables (a mapping of
    firewalld_* values), each naming its variable; with ``zone_report`` (the
    host's zones, see firewalld_zone_report) also zones the host lacks."""
    values = _plain(values)
    errs = errors(values)
    if zone_report is not None and not errs:
        errs = zone_errors(values, _plain(zone_report))
    return errs


def firewalld_zone_report(text):
    """The host's default zone, zones and VRRP interface bindings, read from
    the role's report (lines ``default=``, ``zones=``, ``interface.<if>=``)."""
    return parse_zone_report(text)


def firewalld_rules(values, zone_report):
    """The zone entries (rich rules, ports, services) the variables stand for."""
    try:
        return rules(_plain(values), _plain(zone_report))
    except ValueError as exc:
        raise AnsibleFilterError(f"firewalld_rules: {exc}") from None


def firewalld_stale(previous, wanted):
    """Entries of an earlier run that are no longer wanted."""
    return stale(_plain(previous), _plain(wanted))


class FilterModule:
    """halb.cluster firewalld filters."""

    def filters(self):
        return {
            "firewalld_errors": firewalld_errors,
            "firewalld_zone_report": firewalld_zone_report,
            "firewalld_rules": firewalld_rules,
            "firewalld_stale": firewalld_stale,
        }
