# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mailx_notify role's variables: checks, and what the role writes from them.

keepalived's notify hook runs halb-notify, which mails state changes through
an authenticated relay with s-nail. This module checks the role's variables
(every message starts with the variable it is about and says what is
allowed; none ever holds the relay password) and renders the two files the
program reads: the s-nail resource file (it holds the password) and the
program's own settings (JSON, no secret).

Pure functions, standard library only, no I/O.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

from ansible_collections.halb.cluster.plugins.module_utils import _typed
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    ConfigError,
    as_bool,
    as_choice,
    as_int,
    as_list,
    as_path,
    as_str,
    check_secret,
    is_email,
    is_hostname,
    only_config_errors,
    show,
)

__all__ = ["is_email", "is_hostname", "show"]  # re-exported: the grammar lives in _typed

SECURITIES = ("starttls", "tls", "none")
# The port each security setting uses unless mailx_notify_relay_port says otherwise.
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
# s-nail's URL scheme for each: SUBMISSION (then STARTTLS), SUBMISSIONS (TLS from the
# first byte, RFC 8314), plain SMTP.
_SCHEMES = {"starttls": "submission", "tls": "submissions", "none": "smtp"}

CONFIG_DIR = "/etc/halb"
MAILRC_PATH = CONFIG_DIR + "/notify.mailrc"
SETTINGS_PATH = CONFIG_DIR + "/notify.json"
CA_PATH = CONFIG_DIR + "/notify-ca.pem"

TIMEOUT_RANGE = (1, 300)
SPOOL_MAX_RANGE = (10, 100000)
FLUSH_INTERVAL_RANGE = (10, 86400)

_PATH_RE = re.compile(r"^/[A-Za-z0-9_./@+-]*$")
_PEM_CERT = "-----BEGIN CERTIFICATE-----"
_BASE64_RE = re.compile(r"^[A-Za-z0-9+/=]{1,76}$")
# A CA bundle is a few kB per certificate; the system's whole bundle is ~220 kB.
MAX_PEM = 512 * 1024
MAX_USER = 256
MAX_PASSWORD = 512

# Names that say nothing about which load balancer sent an alert: installer
# and image defaults, and container IDs.
MEANINGLESS_HOSTNAMES = frozenset(
    {
        "", "localhost", "localhost.localdomain", "localhost4", "localhost6",
        "localhost4.localdomain4", "localhost6.localdomain6", "localdomain", "(none)",
        "none", "unknown", "debian", "ubuntu", "fedora", "centos", "rhel", "rocky",
        "almalinux", "raspberrypi", "linux", "host", "server", "node", "default",
    }
)  # fmt: skip
_CONTAINER_ID_RE = re.compile(r"^[0-9a-f]{12}([0-9a-f]{52})?$")


class MailConfigError(ConfigError):
    """Invalid mailx_notify_* variables (the messages never hold the password)."""


_short = show  # the old name of show()


def meaningless_hostname(name):
    """True for a host name that would not tell the reader which host changed state."""
    if not isinstance(name, str):
        return True
    lowered = name.strip().lower().rstrip(".")
    return (
        lowered in MEANINGLESS_HOSTNAMES
        or lowered.startswith("localhost.")
        or bool(_CONTAINER_ID_RE.fullmatch(lowered))
    )


def _is_ip(value):
    """An IP address without a zone ID (s-nail's URL has no place for one)."""
    if not isinstance(value, str) or "%" in value or CONTROL_RE.search(value):
        return False
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return True


def _pem_ok(text):
    """PEM certificates only: base64 lines between BEGIN and END CERTIFICATE,
    no private key, no control character but line breaks and tabs."""
    if len(text) > MAX_PEM or "PRIVATE KEY" in text or "-----END CERTIFICATE-----" not in text:
        return False
    if CONTROL_RE.search(text.replace("\n", "").replace("\r", "").replace("\t", "")):
        return False
    inside = False
    for line in text.splitlines():
        line = line.strip()
        if line == _PEM_CERT:
            if inside:
                return False
            inside = True
        elif line == "-----END CERTIFICATE-----":
            if not inside:
                return False
            inside = False
        elif inside and not _BASE64_RE.fullmatch(line):
            return False
    return not inside


def ca_kind(value):
    """``None`` (system trust store), ``"path"`` (a file on the host),
    ``"pem"`` (certificates to install) or ``"invalid"``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return "invalid"
    text = value.strip()
    if text.startswith(_PEM_CERT):
        return "pem" if _pem_ok(text) else "invalid"
    if not as_path([], "ca", text) or CONTROL_RE.search(value):
        return "invalid"
    return "path"


def relay_host(values):
    """The relay as s-nail's URL writes it: an IP address canonically (IPv6
    in brackets), a host name as given."""
    host = str(values["mailx_notify_relay_host"]).strip()
    if _is_ip(host):
        host = str(ipaddress.ip_address(host))
    return f"[{host}]" if ":" in host else host


def relay_port(values):
    """The relay port: mailx_notify_relay_port, else the usual one of the security."""
    port = values.get("mailx_notify_relay_port")
    if port is None or port == "":
        return DEFAULT_PORTS.get(values.get("mailx_notify_relay_security") or "starttls", 587)
    return int(port)


def ca_file(values):
    """Where s-nail finds the CA certificates (None: the system's trust store)."""
    kind = ca_kind(values.get("mailx_notify_relay_ca_file"))
    if kind == "path":
        return values["mailx_notify_relay_ca_file"].strip()
    if kind == "pem":
        return CA_PATH
    return None


def _required_str(errs, var, value, what, max_len=254):
    if value is None or (isinstance(value, str) and not value.strip()):
        errs.append(f"{var}: required ({what})")
        return None
    if not isinstance(value, str):
        errs.append(f"{var}: {show(value)} is not a string ({what})")
        return None
    return as_str(errs, var, value, "value", max_len)


def _address(errs, where, value):
    if not is_email(value):
        errs.append(f"{where}: {show(value)} is not an e-mail address (like ops@example.com)")
        return None
    return value


def _path(errs, var, value):
    probe = []
    if not isinstance(value, str) or not as_path(probe, var, value, directory=True):
        errs.append(
            f"{var}: {show(value)} is not an absolute path of letters, digits, _ . - + @ "
            "and / (without ..)"
        )
        return False
    if value.rstrip("/") in ("", "/tmp", "/var/tmp", "/var", "/etc", "/usr"):
        errs.append(f"{var}: {value} is a system directory; use a directory of its own")
        return False
    return True


def _hostname_errors(errs, values, current_hostname):
    wanted = values.get("mailx_notify_hostname")
    if wanted is not None and wanted != "":
        if not is_hostname(wanted) or len(wanted) > 64:
            errs.append(
                f"mailx_notify_hostname: {show(wanted)} is not a valid host name (letters, "
                "digits and hyphens in dot-separated labels, at most 64 characters)"
            )
        elif meaningless_hostname(wanted):
            errs.append(
                f"mailx_notify_hostname: {wanted!r} does not say which load balancer sent an "
                "alert; use the host's real name (like lb1.example.com)"
            )
        return
    if current_hostname is not None and meaningless_hostname(current_hostname):
        errs.append(
            f"mailx_notify_hostname: not set, and this host's name {show(current_hostname)} "
            "does not say which load balancer sent an alert; set mailx_notify_hostname (like "
            "lb1.example.com) and the role names the host"
        )


def _relay_host(errs, values):
    host = _required_str(
        errs,
        "mailx_notify_relay_host",
        values.get("mailx_notify_relay_host"),
        "the relay's DNS name",
        253,
    )
    if host is not None and not (is_hostname(host.strip()) or _is_ip(host)):
        reason = ""
        if "%" in host:
            reason = "; a zone ID (%...) is not allowed (s-nail's URL has no place for one)"
        errs.append(
            f"mailx_notify_relay_host: {show(host)} is not a host name or IP address "
            f"(like smtp.example.com){reason}"
        )


def _credentials(errs, warns, values):
    user = values.get("mailx_notify_relay_user")
    password = values.get("mailx_notify_relay_password")
    has_user = user is not None and user != ""
    has_password = password is not None and password != ""
    if has_user:
        if not isinstance(user, str) or CONTROL_RE.search(user) or len(user) > MAX_USER:
            errs.append(
                f"mailx_notify_relay_user: {show(user)} is not a user name (a string of at "
                f"most {MAX_USER} characters, no control characters)"
            )
        if not has_password:
            errs.append(
                "mailx_notify_relay_password: required when mailx_notify_relay_user is set "
                "(keep it in Ansible Vault)"
            )
    if has_password:
        # Never show the value: it is a secret.
        if not isinstance(password, str):
            errs.append("mailx_notify_relay_password: must be a string (quote it in YAML)")
        elif CONTROL_RE.search(password):
            errs.append(
                "mailx_notify_relay_password: contains a line break or another control "
                "character (not allowed)"
            )
        elif len(password) > MAX_PASSWORD:
            errs.append(f"mailx_notify_relay_password: longer than {MAX_PASSWORD} characters")
        else:
            allow = as_bool(
                errs,
                "mailx_notify_allow_weak_secrets",
                values.get("mailx_notify_allow_weak_secrets", False),
            )
            weak = []
            check_secret(weak, warns, "mailx_notify_relay_password", password, bool(allow))
            errs += [
                e.replace(
                    "halb_allow_weak_secrets: true in a lab",
                    "mailx_notify_allow_weak_secrets (or halb_allow_weak_secrets): true in a lab",
                )
                for e in weak
            ]
        if not has_user:
            errs.append(
                "mailx_notify_relay_user: required when mailx_notify_relay_password is set "
                "(the relay needs both to authenticate)"
            )


def _recipients(errs, values):
    raw = values.get("mailx_notify_recipients")
    recipients = as_list(errs, "mailx_notify_recipients", raw)
    if raw is None or (isinstance(raw, (list, tuple)) and not recipients):
        errs.append("mailx_notify_recipients: is empty; give at least one e-mail address")
    if len(recipients) > 100:
        errs.append(f"mailx_notify_recipients: {len(recipients)} addresses; at most 100")
        return
    seen = set()
    for i, address in enumerate(recipients):
        if _address(errs, f"mailx_notify_recipients[{i}]", address) is None:
            continue
        if address.lower() in seen:
            errs.append(f"mailx_notify_recipients[{i}]: {address!r} is listed twice")
        seen.add(address.lower())


def _errors(values, current_hostname, warns):
    errs = []
    if not isinstance(values, dict):
        return ["mailx_notify: expected a mapping of mailx_notify_* variables"]
    security = as_choice(
        errs,
        "mailx_notify_relay_security",
        values.get("mailx_notify_relay_security", "starttls"),
        SECURITIES,
    )
    if values.get("mailx_notify_relay_security", "starttls") is None:
        errs.append(f"mailx_notify_relay_security: required (allowed: {', '.join(SECURITIES)})")
    plaintext = as_bool(
        errs,
        "mailx_notify_relay_allow_plaintext",
        values.get("mailx_notify_relay_allow_plaintext", False),
    )
    if security == "none" and not plaintext:
        errs.append(
            "mailx_notify_relay_security: none sends the alerts (and the relay password) "
            "unencrypted; use starttls (port 587) or tls (port 465), or set "
            "mailx_notify_relay_allow_plaintext: true if the relay really has no TLS"
        )
    as_bool(
        errs, "mailx_notify_relay_tls_verify", values.get("mailx_notify_relay_tls_verify", True)
    )
    _relay_host(errs, values)
    port = values.get("mailx_notify_relay_port")
    if port is not None and port != "":
        as_int(errs, "mailx_notify_relay_port", port, 1, 65535)
    _credentials(errs, warns, values)

    ca = values.get("mailx_notify_relay_ca_file")
    if ca_kind(ca) == "invalid":
        shown = "PEM text" if isinstance(ca, str) and "-----BEGIN" in ca else show(ca)
        errs.append(
            f"mailx_notify_relay_ca_file: {shown} is neither an absolute path of a file on the "
            "host nor PEM certificates (-----BEGIN CERTIFICATE----- ... base64 lines ...; never "
            f"a private key; at most {MAX_PEM // 1024} kB)"
        )

    sender = _required_str(
        errs, "mailx_notify_from", values.get("mailx_notify_from"), "the sender's e-mail address"
    )
    if sender is not None:
        _address(errs, "mailx_notify_from", sender)
    _recipients(errs, values)

    for var, default, (lo, hi) in (
        ("mailx_notify_timeout", 30, TIMEOUT_RANGE),
        ("mailx_notify_spool_max", 1000, SPOOL_MAX_RANGE),
        ("mailx_notify_flush_interval", 60, FLUSH_INTERVAL_RANGE),
    ):
        value = values.get(var, default)
        if value is None:
            errs.append(f"{var}: required ({lo}-{hi})")
        as_int(errs, var, value, lo, hi)

    user_name = values.get("mailx_notify_user", "keepalived_script")
    if not isinstance(user_name, str) or not _typed.USER_RE.fullmatch(user_name):
        errs.append(
            f"mailx_notify_user: {show(user_name)} is not a system user name (lower-case "
            "letters, digits, _ and -, starting with a letter or _, at most 32)"
        )
    elif user_name == "root":
        errs.append(
            "mailx_notify_user: root is not allowed; the alerts are sent by an unprivileged "
            "user (keepalived_script)"
        )
    _path(
        errs,
        "mailx_notify_spool_dir",
        values.get("mailx_notify_spool_dir", "/var/spool/halb-notify"),
    )
    _path(
        errs,
        "mailx_notify_program_dir",
        values.get("mailx_notify_program_dir", "/usr/local/libexec/halb"),
    )
    as_bool(errs, "mailx_notify_send_test", values.get("mailx_notify_send_test", False))
    _hostname_errors(errs, values, current_hostname)
    return errs


def check(values, current_hostname=None):
    """``(errors, warnings)`` of the role's variables; never raises. The
    warnings are the weak secrets accepted because weak secrets are allowed."""
    warns = []

    @only_config_errors(MailConfigError, "mailx_notify")
    def run():
        return _errors(values, current_hostname, warns)

    try:
        return run(), warns
    except MailConfigError as exc:
        return exc.errors, warns


def errors(values, current_hostname=None):
    """Every problem of the role's variables (a dict of mailx_notify_* values);
    ``current_hostname`` is the host's name now (checked when
    mailx_notify_hostname is not set). Messages never hold the password, and
    nothing but a list of messages ever comes out, whatever the values."""
    return check(values, current_hostname)[0]


def checked(values):
    """``values`` when they are valid, else MailConfigError (for the renderers)."""
    errs = errors(values)
    if errs:
        raise MailConfigError(errs)
    return values


def warnings(values):
    """Settings that work but weaken the alerts' security (for the role to show)."""
    if not isinstance(values, dict):
        return []
    warns = list(check(values)[1])
    security = values.get("mailx_notify_relay_security") or "starttls"
    if security == "none":
        has_password = values.get("mailx_notify_relay_password") not in (None, "")
        warns.append(
            "mailx_notify_relay_allow_plaintext: the relay is used WITHOUT TLS: alerts"
            + (" and the relay password" if has_password else "")
            + " cross the network unencrypted and the relay is not authenticated"
        )
        return warns
    verify = values.get("mailx_notify_relay_tls_verify", True)
    if verify is False or str(verify).lower() in ("false", "no", "off", "0"):
        warns.append(
            "mailx_notify_relay_tls_verify: false: the relay's certificate is NOT checked, so "
            "anyone on the path can pose as the relay and read the password; give its CA in "
            "mailx_notify_relay_ca_file instead"
        )
    elif _is_ip(values.get("mailx_notify_relay_host")):
        warns.append(
            f"mailx_notify_relay_host: {relay_host(values).strip('[]')} is an IP address; "
            "s-nail checks the relay's certificate against its DNS name, so use the name the "
            "certificate carries"
        )
    return warns


def quote(text):
    """One s-nail argument in shell-style quoting: single quotes, inside which
    nothing is special; a single quote is written as '\\'' (close, escaped
    quote, reopen), as in sh. A line break would end the command, so a
    control character never gets here (MailConfigError)."""
    text = str(text)
    if CONTROL_RE.search(text):
        raise MailConfigError(["mailx_notify: a control character reached the s-nail settings"])
    return "'" + text.replace("'", "'\\''") + "'"


def mta_url(values):
    """s-nail's ``mta`` URL: scheme, percent-encoded credentials, host and port."""
    security = values.get("mailx_notify_relay_security") or "starttls"
    host = relay_host(values)
    user = values.get("mailx_notify_relay_user")
    credentials = ""
    if user not in (None, ""):
        credentials = urllib.parse.quote(str(user), safe="")
        password = values.get("mailx_notify_relay_password")
        if password not in (None, ""):
            credentials += ":" + urllib.parse.quote(str(password), safe="")
        credentials += "@"
    return f"{_SCHEMES[security]}://{credentials}{host}:{relay_port(values)}"


def mailrc(values, hostname=None):
    """The s-nail resource file halb-notify sends with. It holds the password:
    the role writes it root:<script user> 0640, with no_log and no diff.
    ``hostname`` (the name alerts carry) is what s-nail greets the relay with,
    instead of looking the host's name up."""
    security = values.get("mailx_notify_relay_security") or "starttls"
    verify = values.get("mailx_notify_relay_tls_verify", True)
    verify = not (verify is False or str(verify).lower() in ("false", "no", "off", "0"))
    lines = [
        "# Managed by Ansible (halb.cluster.mailx_notify): how halb-notify sends alerts.",
        "# Holds the relay password: root and the script user's group only (0640).",
        "set v15-compat",
        f"set mta={quote(mta_url(values))}",
    ]
    if security == "starttls":
        lines.append("set smtp-use-starttls")
    if values.get("mailx_notify_relay_user") in (None, ""):
        lines.append("set smtp-auth=none")
    if security != "none":
        lines.append(f"set tls-verify={'strict' if verify else 'ignore'}")
        ca = ca_file(values)
        if ca:
            # Only the given CA: a certificate from any other CA is refused.
            lines += [f"set tls-ca-file={quote(ca)}", "set tls-ca-no-defaults"]
    timeout = int(values.get("mailx_notify_timeout", 30))
    lines += [
        f"set from={quote(values['mailx_notify_from'])}",
        *([f"set hostname={quote(hostname)}"] if hostname and is_hostname(hostname) else []),
        # Wait for the SMTP dialogue and report its result in the exit status.
        "set sendwait",
        # A failed message stays in halb-notify's spool, not in ~/dead.letter.
        "unset save",
        # Network addresses only: never a file, pipe or command.
        "set expandaddr=fail,-all,+addr",
        f"set socket-connect-timeout={timeout}",
    ]
    return "\n".join(lines) + "\n"


def flush_budget(timeout):
    """Seconds one flush may take before it leaves the rest for the next one."""
    return max(60, 4 * int(timeout))


def settings(values, mailer):
    """halb-notify's own settings (notify.json): no secret in here."""
    security = values.get("mailx_notify_relay_security") or "starttls"
    timeout = int(values.get("mailx_notify_timeout", 30))
    return {
        "hostname": values.get("mailx_notify_hostname") or "",
        "from": values["mailx_notify_from"],
        "recipients": list(values["mailx_notify_recipients"]),
        "relay": f"{relay_host(values)}:{relay_port(values)} ({security})",
        "mailer": mailer,
        "mailrc": MAILRC_PATH,
        "user": values.get("mailx_notify_user", "keepalived_script"),
        "spool_dir": values.get("mailx_notify_spool_dir", "/var/spool/halb-notify"),
        "spool_max": int(values.get("mailx_notify_spool_max", 1000)),
        "timeout": timeout,
        "flush_budget": flush_budget(timeout),
    }
