# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side checks and files of the mailx_notify role."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils import _mail
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def mailx_notify_errors(values, current_hostname=None):
    """Every problem of the mailx_notify role's variables (a mapping of
    mailx_notify_* values), each message naming its variable and never the
    password; ``current_hostname`` is the host's name now (checked when
    mailx_notify_hostname is not set). [] when all is well."""
    return _mail.errors(_plain(values), None if current_hostname is None else str(current_hostname))


def mailx_notify_warnings(values):
    """Settings that work but weaken security (plaintext relay, no certificate check)."""
    return _mail.warnings(_plain(values))


def _render(what, func, values, *args):
    try:
        return func(_mail.checked(_plain(values)), *args)
    except _mail.MailConfigError as exc:
        # The messages never hold the password.
        raise AnsibleFilterError(f"{what}: " + "; ".join(exc.errors)) from None


def mailx_notify_mailrc(values, hostname=None):
    """The s-nail resource file halb-notify sends with (holds the relay password:
    write it with no_log and without a diff); ``hostname`` is the name the
    alerts carry."""
    hostname = None if hostname is None else str(hostname)
    return _render("mailx_notify_mailrc", _mail.mailrc, values, hostname)


def mailx_notify_settings(values, mailer):
    """halb-notify's settings (notify.json, no secret) as a mapping."""
    return _render("mailx_notify_settings", _mail.settings, values, str(mailer))


def mailx_notify_ca_file(values):
    """The CA file s-nail checks the relay against: the given path, the path the
    role installs PEM text to, or "" (the system's trust store)."""
    values = _plain(values)
    return (_mail.ca_file(values) if isinstance(values, dict) else None) or ""


class FilterModule:
    """halb.cluster mailx_notify filters."""

    def filters(self):
        return {
            "mailx_notify_errors": mailx_notify_errors,
            "mailx_notify_warnings": mailx_notify_warnings,
            "mailx_notify_mailrc": mailx_notify_mailrc,
            "mailx_notify_settings": mailx_notify_settings,
            "mailx_notify_ca_file": mailx_notify_ca_file,
        }
