# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed keepalived configuration: checks and rendering of keepalived.conf.

Pure functions over plain dicts, standard library only, no I/O, so that the
``keepalived_config`` module (on the target) and the ``to_keepalived_conf``
filter (on the controller) share one implementation and can never disagree.

The data model (every key optional unless marked *required*)::

    global_defs:  router_id, script_user, enable_script_security,
                  vrrp_skip_check_adv_addr, vrrp_strict, vrrp_garp_interval,
                  vrrp_gna_interval, vrrp_garp_master_refresh,
                  vrrp_garp_master_refresh_repeat, vrrp_garp_lower_prio_repeat,
                  max_auto_priority, extra
    scripts:      [{name*, script*, interval, timeout, weight, fall, rise, user, extra}]
    track_files:  [{name*, file* (absolute path), weight (default 0 = FAULT),
                    init_file: value | {value, overwrite}}]
    instances:    [{name*, interface*, virtual_router_id*, priority*, state*,
                    advert_int, version, nopreempt, preempt_delay,
                    authentication: {type*, password*},
                    virtual_ipaddresses*: [{address*, prefix, dev, label, scope}],
                    track_scripts: [name | {name*, weight}],
                    track_files: [name | {name*, weight}],
                    track_interfaces: [name | {name*, weight}],
                    unicast_src_ip, unicast_peers: [address],
                    notify, notify_master, notify_backup, notify_fault,
                    notify_stop: script | {script*, user}, extra}]
    sync_groups:  [{name*, group*: [instance name], notify..., extra}]

``extra`` (global_defs, each script, instance and sync group) is a list of
keepalived statements the model has no key for, each one line without
braces (``garp_master_delay 5``, ``use_vmac``), written at the end of its
block in order. A line that starts with a keyword the model has a key for
is refused with the key to use; so are ``include``, braces, control
characters, an unbalanced double quote, a backslash and a comment character
outside quotes. config_import puts what it cannot map there.

Every problem found is reported at once in a :class:`KeepalivedConfigError`
whose messages each start with the variable they are about, for example
``keepalived_instances[VI_1].virtual_router_id: 256 is out of range 1-255``.
"""

from __future__ import annotations

import decimal
import ipaddress
import re

from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    ConfigError,
    as_bool as _typed_bool,
    as_choice as _typed_choice,
    as_dict as _as_dict,
    as_file_name,
    as_int as _typed_int,
    as_ip as _typed_ip,
    as_list as _as_list,
    as_number as _typed_number,
    as_str as _as_str,
    as_unquoted,
    entry as _named_entry,
    label as _label,
    mappings,
    only_config_errors,
    show,
    unknown_keys as _unknown_keys,
    unknown_sections,
    weak_secret,
)

__all__ = [
    "KeepalivedConfigError",
    "normalize",
    "render",
    "redact",
    "derive_host_config",
    "warnings",
    "script_file_errors",
    "vrrp_firewall_rules",
    "VAR_NAMES",
]

# The public variable behind each section: messages name these.
VAR_NAMES = {
    "global_defs": "keepalived_global_defs",
    "scripts": "keepalived_scripts",
    "track_files": "keepalived_track_files",
    "instances": "keepalived_instances",
    "sync_groups": "keepalived_sync_groups",
}

HEADER = "# Managed by Ansible (halb.cluster). Local changes will be overwritten.\n"
REDACTED = "********"

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_IFACE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$")
_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\$?$")
_UNSAFE_IN_QUOTES = re.compile(r'["\\]')
_UNSAFE_TOKEN = re.compile(r'[\s"#!{}\x00]')
_SCOPES = ("global", "site", "link", "host", "nowhere")
_STATES = ("MASTER", "BACKUP")

# Fail-over profiles (keepalived_profile): what every instance gets unless it
# sets the key itself. "fast" is VRRPv3 with 0.1 s adverts: a backup takes
# over 3 x 0.1 s + skew after the master's last advert instead of
# 3 x 1 s + skew, at the price of a false fail-over when keepalived is not
# scheduled for 0.3 s (docs/keepalived.md, docs/performance.md).
PROFILES = {
    "default": {},
    "fast": {"version": 3, "advert_int": 0.1},
}
_AUTH_TYPES = ("PASS", "AH")
# Priority 255 makes a node the "address owner" (RFC 3768/5798): keepalived
# starts it as MASTER, always preempts, and ties several rules to it.
_OWNER = 255
_NOTIFY_KEYS = ("notify", "notify_master", "notify_backup", "notify_fault", "notify_stop")
_MAX_PASS = 8
# The shortest VRRP PASS password accepted without keepalived_allow_weak_secrets:
# 8, the whole of what the protocol carries. PASS is sent in clear text, so its
# only job is to keep a second pair or a stray router on the segment out by
# mistake; a shorter one only throws away part of an already small space.
_MIN_PASS = 8
_PASS_RE = re.compile(r"^[\x21-\x7e]+$")
_PASS_ADVICE = (
    "VRRP PASS authentication travels in clear text and keepalived uses only its first "
    "8 characters: the real protection is AH (type: AH) or unicast peers with the "
    "firewall letting VRRP in only from them"
)
# keepalived cuts configuration lines at 1,023 bytes: a command line or a
# path must leave room for the indent, the keyword, the quotes and a user.
_MAX_COMMAND = 960
_MAX_TOKEN = 255
# keepalived 2.2.7 and 2.3.3 accept track_file weights and init values of -254..254.
_TRACK_FILE_WEIGHT = (-254, 254)
_UNSAFE_PATH = re.compile(r'[\s"#!{}\\\x00]')
# The multicast groups of VRRP (RFC 5798 section 5.1.1.2 and 5.1.2.2).
VRRP_GROUPS = {4: "224.0.0.18", 6: "ff02::12"}


class KeepalivedConfigError(ConfigError):
    """Invalid keepalived data. ``errors`` lists every problem, each naming its variable."""


# --------------------------------------------------------------------------
# Small typed readers. Each appends to ``errs`` and returns the clean value or
# None; they never raise, so one pass reports every problem.
# --------------------------------------------------------------------------


# The shared readers repeat a value in a message only through show().
_as_int, _as_bool, _as_choice = _typed_int, _typed_bool, _typed_choice


_as_number = _typed_number


def _as_token(errs, where, value, pattern=None, what="name"):
    """A word written unquoted into keepalived.conf."""
    return as_unquoted(
        errs,
        where,
        value,
        _UNSAFE_TOKEN,
        'white space or one of " # ! { }',
        "keepalived.conf",
        pattern,
        what,
        _MAX_TOKEN,
    )


def _fits_line(errs, where, text, what):
    """Whether ``text`` fits a keepalived.conf line (keepalived cuts lines at
    1,023 bytes and would run or watch the cut value)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > _MAX_COMMAND:
        errs.append(
            f"{where}: {size} bytes is too long for a {what} (at most {_MAX_COMMAND}): "
            "keepalived cuts configuration lines at 1,023 bytes"
        )
        return False
    return True


def _as_command(errs, where, value):
    """A command line written in double quotes (vrrp_script, notify)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        errs.append(f"{where}: {show(value)} is not a non-empty command line")
        return None
    value = _as_str(errs, where, value.strip(), "command line", 4 * _MAX_COMMAND)
    if value is None or not _fits_line(errs, where, value, "command line"):
        return None
    if _UNSAFE_IN_QUOTES.search(value):
        errs.append(
            f"{where}: a command may not contain double quotes or backslashes (keepalived.conf "
            "writes it in double quotes and reads a backslash as an escape)"
        )
        return None
    if value.count("'") % 2:
        errs.append(
            f"{where}: a command may not hold an unbalanced single quote (keepalived splits "
            "the command line at quotes)"
        )
        return None
    if not value.startswith("/"):
        errs.append(
            f"{where}: {show(value.split()[0])} is not an absolute path; keepalived with "
            "enable_script_security needs the full path of the program"
        )
        return None
    return value


def _as_ip(errs, where, value, zone=False):
    """An address as an ipaddress object; a zone ID (fe80::1%eth0) only with
    ``zone`` and only as an interface name (the shared grammar of _typed)."""
    text = _typed_ip(errs, where, value, zone=zone)
    return None if text is None else ipaddress.ip_address(text)


def _entry(errs, where, item, allowed, seen, what):
    return _named_entry(
        errs, where, item, allowed, seen, lambda e, w, v: _as_token(e, w, v, _NAME_RE, what)
    )


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------

_GLOBAL_KEYS = (
    "router_id",
    "script_user",
    "enable_script_security",
    "vrrp_skip_check_adv_addr",
    "vrrp_strict",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_repeat",
    "max_auto_priority",
    "extra",
)

# The keywords each block writes from its own keys (keyword -> the key to use
# instead): an ``extra`` line may not start with one of them.
_OWN_KEYWORDS = {
    "global_defs": {key: key for key in _GLOBAL_KEYS if key != "extra"},
    "scripts": {
        key: key for key in ("script", "interval", "timeout", "weight", "fall", "rise", "user")
    },
    "instances": {
        **{
            key: key
            for key in (
                "state",
                "interface",
                "virtual_router_id",
                "priority",
                "advert_int",
                "version",
                "nopreempt",
                "preempt_delay",
                "authentication",
                "unicast_src_ip",
            )
            + _NOTIFY_KEYS
        },
        "auth_type": "authentication",
        "auth_pass": "authentication",
        "virtual_ipaddress": "virtual_ipaddresses",
        "unicast_peer": "unicast_peers",
        "track_script": "track_scripts",
        "track_file": "track_files",
        "track_interface": "track_interfaces",
    },
    "sync_groups": {"group": "group", **{key: key for key in _NOTIFY_KEYS}},
}
_KEYWORD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _extra(errs, where, value, section):
    """``extra``: keepalived statements the model has no key for, one line each."""
    out = []
    own = _OWN_KEYWORDS[section]
    for j, line in enumerate(_as_list(errs, where, value)):
        at = f"{where}[{j}]"
        text = _as_str(errs, at, line, "keepalived.conf line", 4 * _MAX_COMMAND)
        if text is None:
            continue
        text = text.strip()
        if not text:
            errs.append(f"{at}: is only white space; give a keepalived statement")
            continue
        if not _fits_line(errs, at, text, "keepalived.conf line"):
            continue
        keyword = text.split()[0]
        problem = None
        if not _KEYWORD_RE.fullmatch(keyword):
            problem = f"{show(keyword)} is not a keepalived keyword"
        elif keyword == "include":
            problem = "include is not allowed here; put the included statements in the variables"
        elif keyword in own:
            problem = (
                f"{keyword} has its own key: set {where.rsplit('.', 1)[0]}.{own[keyword]} "
                "instead of writing it in extra"
            )
        elif "{" in text or "}" in text:
            problem = "a block ({ }) cannot be written as an extra line"
        elif text.count('"') % 2:
            problem = "has an unbalanced double quote"
        elif "\\" in text:
            problem = "may not contain a backslash (keepalived reads it as an escape)"
        elif any(c in part for part in text.split('"')[::2] for c in "#!"):
            problem = "# or ! outside double quotes would start a comment"
        if problem:
            errs.append(f"{at}: {problem}")
            continue
        out.append(text)
    return out


def _warn_root(warns, where, user):
    if user == "root":
        warns.append(
            f"{where}: scripts run as root; a check or hook that only reads state should run "
            "as an unprivileged user (the role creates keepalived_script_user for that)"
        )


def _garp_interval(errs, where, value):
    """vrrp_garp_interval / vrrp_gna_interval: seconds between gratuitous ARPs
    (NAs) of one burst. keepalived (2.2.7, 2.3.3) reads 0.000001 and more with
    at most six decimals and refuses 0, the value of its own sample file."""
    number = _as_number(errs, where, value, 0, 3600)
    if number is None:
        return None
    if number < 0.000001:
        errs.append(
            f"{where}: {number} is refused by keepalived, which reads 0.000001-3600 seconds; "
            "leave the key out for keepalived's default (no delay)"
        )
        return None
    if isinstance(number, float) and abs(round(number, 6) - number) > 1e-12:
        errs.append(
            f"{where}: {number} has more than six decimals (keepalived counts microseconds)"
        )
        return None
    return number


def _global_defs(errs, warns, data):
    var = VAR_NAMES["global_defs"]
    data = _as_dict(errs, var, data)
    if data is None:
        return {}
    _unknown_keys(errs, var, data, _GLOBAL_KEYS)
    out = {
        "router_id": _as_token(
            errs, f"{var}.router_id", data.get("router_id"), _NAME_RE, "router_id"
        ),
        "script_user": _as_token(
            errs, f"{var}.script_user", data.get("script_user"), _USER_RE, "user name"
        ),
        "enable_script_security": _as_bool(
            errs, f"{var}.enable_script_security", data.get("enable_script_security")
        ),
        "vrrp_skip_check_adv_addr": _as_bool(
            errs, f"{var}.vrrp_skip_check_adv_addr", data.get("vrrp_skip_check_adv_addr")
        ),
        "vrrp_strict": _as_bool(errs, f"{var}.vrrp_strict", data.get("vrrp_strict")),
        "vrrp_garp_interval": _garp_interval(
            errs, f"{var}.vrrp_garp_interval", data.get("vrrp_garp_interval")
        ),
        "vrrp_gna_interval": _garp_interval(
            errs, f"{var}.vrrp_gna_interval", data.get("vrrp_gna_interval")
        ),
        # Periodic gratuitous ARPs while MASTER (0 = off) and the size of each
        # burst; after a healed split brain they shorten the time neighbours
        # keep the losing node's MAC for the VIP.
        "vrrp_garp_master_refresh": _as_int(
            errs,
            f"{var}.vrrp_garp_master_refresh",
            data.get("vrrp_garp_master_refresh"),
            0,
            86400,
            " seconds (0 = off)",
        ),
        "vrrp_garp_master_refresh_repeat": _as_int(
            errs,
            f"{var}.vrrp_garp_master_refresh_repeat",
            data.get("vrrp_garp_master_refresh_repeat"),
            1,
            255,
            " messages per refresh",
        ),
        "vrrp_garp_lower_prio_repeat": _as_int(
            errs,
            f"{var}.vrrp_garp_lower_prio_repeat",
            data.get("vrrp_garp_lower_prio_repeat"),
            0,
            255,
            " messages per lower-priority advert",
        ),
        "max_auto_priority": _as_int(
            errs, f"{var}.max_auto_priority", data.get("max_auto_priority"), 1, 99
        ),
        "extra": _extra(errs, f"{var}.extra", data.get("extra"), "global_defs") or None,
    }
    _warn_root(warns, f"{var}.script_user", out["script_user"])
    return {k: v for k, v in out.items() if v is not None}


_SCRIPT_KEYS = (
    "name",
    "script",
    "interval",
    "timeout",
    "weight",
    "fall",
    "rise",
    "user",
    "extra",
)


def _scripts(errs, warns, data):
    var = VAR_NAMES["scripts"]
    out = []
    seen = set()
    for i, item in enumerate(_as_list(errs, var, data)):
        where = _label(var, i, item)
        name, readable = _entry(errs, where, item, _SCRIPT_KEYS, seen, "script name")
        if not readable:
            continue
        if item.get("script") is None:
            errs.append(
                f"{where}.script: required (the absolute path of the check and its arguments)"
            )
        script = {
            "name": name,
            "script": _as_command(errs, f"{where}.script", item.get("script")),
            "interval": _as_int(
                errs, f"{where}.interval", item.get("interval"), 1, 3600, " seconds"
            ),
            "timeout": _as_int(errs, f"{where}.timeout", item.get("timeout"), 1, 3600, " seconds"),
            "weight": _as_int(errs, f"{where}.weight", item.get("weight"), -253, 253),
            "fall": _as_int(errs, f"{where}.fall", item.get("fall"), 1, 255),
            "rise": _as_int(errs, f"{where}.rise", item.get("rise"), 1, 255),
            "user": _as_token(errs, f"{where}.user", item.get("user"), _USER_RE, "user name"),
            "extra": _extra(errs, f"{where}.extra", item.get("extra"), "scripts") or None,
        }
        _warn_root(warns, f"{where}.user", script["user"])
        out.append({k: v for k, v in script.items() if v is not None})
    return out


_TRACK_FILE_KEYS = ("name", "file", "weight", "init_file")


def _as_path(errs, where, value):
    """An absolute file path written in double quotes (track_file file)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        errs.append(f"{where}: {show(value)} is not a non-empty path")
        return None
    value = _as_str(errs, where, value, "path", 4 * _MAX_COMMAND)
    if value is None or not _fits_line(errs, where, value, "path"):
        return None
    if not value.startswith("/"):
        errs.append(f"{where}: {show(value)} is not an absolute path (it must start with /)")
        return None
    if value.endswith("/"):
        errs.append(f"{where}: {show(value)} names a directory; give the path of the file")
        return None
    if _UNSAFE_PATH.search(value):
        errs.append(
            f'{where}: {show(value)} contains white space or one of " # ! {{ }} \\, '
            "which keepalived.conf cannot hold in a path"
        )
        return None
    if any(part in ("", ".", "..") for part in value.split("/")[1:]):
        errs.append(
            f"{where}: {show(value)} has an empty, . or .. component; give the plain "
            "absolute path of the file"
        )
        return None
    return value


def _init_file(errs, where, value):
    """init_file: a value, or {value, overwrite}. Returns {value, overwrite} or None."""
    if value is None:
        return None
    if isinstance(value, dict):
        _unknown_keys(errs, where, value, ("value", "overwrite"))
        number = value.get("value", 0)
        overwrite = _as_bool(errs, f"{where}.overwrite", value.get("overwrite", False))
        at = f"{where}.value"
    else:
        number, overwrite, at = value, False, where
    lo, hi = _TRACK_FILE_WEIGHT
    number = _as_int(
        errs, at, number, lo, hi, " (the number written into the file when keepalived starts)"
    )
    if number is None or overwrite is None:
        return None
    return {"value": number, "overwrite": overwrite}


def _track_files(errs, data):
    var = VAR_NAMES["track_files"]
    out = []
    seen = set()
    paths = {}
    for i, item in enumerate(_as_list(errs, var, data)):
        where = _label(var, i, item)
        name, readable = _entry(errs, where, item, _TRACK_FILE_KEYS, seen, "track file name")
        if not readable:
            continue
        if item.get("file") is None:
            errs.append(
                f"{where}.file: required (the absolute path of the file keepalived watches, "
                "for example /run/halb/haproxy-down)"
            )
        path = _as_path(errs, f"{where}.file", item.get("file"))
        if path is not None:
            if path in paths:
                errs.append(f"{where}.file: {path} is already the file of {paths[path]!r}")
            paths.setdefault(path, name)
        lo, hi = _TRACK_FILE_WEIGHT
        entry = {
            "name": name,
            "file": path,
            "weight": _as_int(errs, f"{where}.weight", item.get("weight", 0), lo, hi),
            "init_file": _init_file(errs, f"{where}.init_file", item.get("init_file")),
        }
        out.append({k: v for k, v in entry.items() if v is not None})
    return out


def _notify(errs, where, value):
    """A notify hook: a command line or {script, user}."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"script": value}
    if not isinstance(value, dict):
        errs.append(f"{where}: expected a command line or a mapping with script and user")
        return None
    _unknown_keys(errs, where, value, ("script", "user"))
    if value.get("script") is None:
        errs.append(
            f"{where}.script: required (the absolute path of the program and its arguments); "
            "leave the hook out to run nothing"
        )
        return None
    script = _as_command(errs, f"{where}.script" if "user" in value else where, value.get("script"))
    user = _as_token(errs, f"{where}.user", value.get("user"), _USER_RE, "user name")
    if script is None:
        return None
    return {"script": script, "user": user} if user else {"script": script}


def _tracked(errs, where, value, what, weights=(-253, 253)):
    out = []
    seen = set()
    for j, entry in enumerate(_as_list(errs, where, value)):
        at = f"{where}[{j}]"
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict):
            errs.append(f"{at}: expected a {what} name or a mapping with name and weight")
            continue
        _unknown_keys(errs, at, entry, ("name", "weight"))
        pattern = _IFACE_RE if what == "interface" else _NAME_RE
        name = _as_token(errs, f"{at}.name", entry.get("name"), pattern, f"{what} name")
        if entry.get("name") is None:
            errs.append(f"{at}.name: required")
        if name is not None and name in seen:
            errs.append(f"{at}.name: {name!r} is listed twice")
        seen.add(name)
        weight = _as_int(errs, f"{at}.weight", entry.get("weight"), *weights)
        if name is not None:
            out.append({"name": name, "weight": weight} if weight is not None else {"name": name})
    return out


def _vip(errs, where, item, interface):
    if isinstance(item, str):
        item = {"address": item}
    if not isinstance(item, dict):
        errs.append(f"{where}: expected a mapping with at least address")
        return None
    _unknown_keys(errs, where, item, ("address", "prefix", "dev", "label", "scope"))
    raw = item.get("address")
    if raw is None:
        errs.append(f"{where}.address: required")
        return None
    text = _as_str(errs, f"{where}.address", raw, "IP address", 64)
    if text is None:
        return None
    text = text.strip()
    prefix = item.get("prefix")
    if "/" in text:
        address, _sep, bits = text.partition("/")
        addr = _as_ip(errs, f"{where}.address", address)
        if addr is None:
            return None
        try:
            cidr = ipaddress.ip_interface(f"{addr}/{bits}").network.prefixlen
        except ValueError:
            errs.append(f"{where}.address: {show(raw)} is not an IPv4 or IPv6 address")
            return None
        if prefix is not None and str(prefix) != str(cidr):
            errs.append(
                f"{where}.prefix: {show(prefix)} contradicts the /{cidr} in address {show(raw)}"
            )
            return None
        prefix = cidr
    else:
        if any(c.isspace() for c in text):
            errs.append(
                f"{where}.address: {show(raw)} is not an address; write dev, label and scope "
                "as their own keys"
            )
            return None
        addr = _as_ip(errs, f"{where}.address", text)
        if addr is None:
            return None
    max_prefix = 32 if addr.version == 4 else 128
    prefix = _as_int(errs, f"{where}.prefix", prefix, 0, max_prefix)
    if prefix is None:
        prefix = max_prefix
    dev = _as_token(errs, f"{where}.dev", item.get("dev"), _IFACE_RE, "interface name")
    label = _as_token(errs, f"{where}.label", item.get("label"), _IFACE_RE, "label")
    if label is not None:
        if addr.version == 6:
            errs.append(f"{where}.label: labels exist for IPv4 addresses only")
        owner = dev or interface
        if owner and not label.startswith(owner + ":"):
            errs.append(
                f"{where}.label: {label!r} must start with the interface name and a colon, "
                f"for example {owner + ':vip'!r}"
            )
    scope = _as_choice(errs, f"{where}.scope", item.get("scope"), _SCOPES)
    vip = {"address": str(addr), "prefix": prefix, "dev": dev, "label": label, "scope": scope}
    return {k: v for k, v in vip.items() if v is not None}


_INSTANCE_KEYS = (
    "name",
    "interface",
    "virtual_router_id",
    "priority",
    "state",
    "advert_int",
    "version",
    "nopreempt",
    "preempt_delay",
    "authentication",
    "virtual_ipaddresses",
    "track_scripts",
    "track_files",
    "track_interfaces",
    "unicast_src_ip",
    "unicast_peers",
    "extra",
) + _NOTIFY_KEYS


def _advert_int(errs, where, value, version):
    if value is None:
        return None
    number = _as_number(errs, where, value, 0.01, 255)
    if number is None:
        return None
    if version == 3:
        if number > 40.95:
            errs.append(f"{where}: {number} is out of range 0.01-40.95 seconds for VRRP version 3")
            return None
        if round(number * 100) != number * 100 and abs(round(number * 100) - number * 100) > 1e-6:
            errs.append(
                f"{where}: {number} has more than two decimals (VRRPv3 counts centiseconds)"
            )
            return None
    elif not isinstance(number, int):
        errs.append(
            f"{where}: {number} is fractional; VRRP version 2 counts whole seconds "
            "(1-255): set version: 3 for sub-second adverts"
        )
        return None
    return number


def _authentication(errs, warns, where, value, version, strict, allow_weak):
    if value is None:
        return None
    value = _as_dict(errs, where, value)
    if value is None:
        return None
    if not value:
        errs.append(
            f"{where}: is an empty mapping; give type and password, or leave authentication out"
        )
        return None
    _unknown_keys(errs, where, value, ("type", "password"))
    kind = _as_choice(errs, f"{where}.type", value.get("type", "PASS"), _AUTH_TYPES, upper=True)
    password = value.get("password")
    if password is None or password == "":
        errs.append(
            f"{where}.password: required when authentication is set (1-{_MAX_PASS} characters)"
        )
    elif not isinstance(password, str):
        errs.append(f"{where}.password: must be a string of 1-{_MAX_PASS} characters")
        password = None
    elif not _PASS_RE.fullmatch(password):
        errs.append(
            f"{where}.password: may hold only printable ASCII characters without white space "
            "(keepalived compares its first 8 bytes)"
        )
        password = None
    elif len(password) > _MAX_PASS:
        errs.append(
            f"{where}.password: is {len(password)} characters long; keepalived uses only the "
            f"first {_MAX_PASS}, so nodes whose passwords differ after that would still agree: "
            f"use at most {_MAX_PASS}"
        )
        password = None
    elif _UNSAFE_TOKEN.search(password):
        errs.append(f'{where}.password: may not contain white space or " # ! {{ }}')
        password = None
    else:
        reason = weak_secret(password, _MIN_PASS)
        if reason and allow_weak:
            warns.append(
                f"{where}.password: the password {reason}; accepted because "
                f"keepalived_allow_weak_secrets is true (a lab only). {_PASS_ADVICE}"
            )
        elif reason:
            errs.append(
                f"{where}.password: the password {reason}; use {_MIN_PASS} random printable "
                "characters (from Ansible Vault), or set keepalived_allow_weak_secrets (or "
                f"halb_allow_weak_secrets): true in a lab. {_PASS_ADVICE}"
            )
            password = None
    if version == 3:
        errs.append(
            f"{where}: VRRP version 3 has no authentication (RFC 5798); remove it or use version 2"
        )
    if strict:
        errs.append(
            f"{where}: vrrp_strict (keepalived_global_defs.vrrp_strict) forbids authentication; "
            "remove one of them"
        )
    if kind is None or password is None:
        return None
    return {"type": kind, "password": password}


def _instances(errs, warns, data, strict, allow_weak=False):
    var = VAR_NAMES["instances"]
    out = []
    names = set()
    items = _as_list(errs, var, data)
    if isinstance(data, (list, tuple)) and not items:
        errs.append(f"{var}: is empty; define at least one VRRP instance")
    for i, item in enumerate(items):
        where = _label(var, i, item)
        name, readable = _entry(errs, where, item, _INSTANCE_KEYS, names, "instance name")
        if not readable:
            continue
        for key in ("interface", "virtual_router_id", "priority", "state"):
            if item.get(key) is None:
                errs.append(f"{where}.{key}: required")
        raw_iface = item.get("interface")
        if isinstance(raw_iface, str) and (len(raw_iface.split()) > 1 or "," in raw_iface):
            errs.append(
                f"{where}.interface: {show(raw_iface)} names more than one interface; an instance "
                "runs VRRP on exactly one: put VIPs on other interfaces with "
                "virtual_ipaddresses[].dev, or add an instance"
            )
            interface = None
        else:
            interface = _as_token(
                errs, f"{where}.interface", raw_iface, _IFACE_RE, "interface name"
            )
        version = _as_int(errs, f"{where}.version", item.get("version"), 2, 3)
        # Virtual addresses
        vips = []
        raw_vips = _as_list(errs, f"{where}.virtual_ipaddresses", item.get("virtual_ipaddresses"))
        if not raw_vips:
            errs.append(f"{where}.virtual_ipaddresses: required: at least one virtual IP address")
        seen_vips = set()
        for j, raw in enumerate(raw_vips):
            vip = _vip(errs, f"{where}.virtual_ipaddresses[{j}]", raw, interface)
            if vip is None:
                continue
            if vip["address"] in seen_vips:
                errs.append(
                    f"{where}.virtual_ipaddresses[{j}].address: {vip['address']} is listed twice"
                )
            seen_vips.add(vip["address"])
            vips.append(vip)
        families = {ipaddress.ip_address(v["address"]).version for v in vips}
        if len(families) > 1:
            errs.append(
                f"{where}.virtual_ipaddresses: mixes IPv4 and IPv6; an instance carries one "
                "family: use one instance per family"
            )
        if 6 in families and version == 2:
            errs.append(
                f"{where}.version: IPv6 virtual addresses need VRRP version 3 (set version: 3)"
            )
        # keepalived runs IPv6 instances as VRRPv3 when no version is given.
        effective_version = version or (3 if families == {6} else 2)
        inst = {
            "name": name,
            "interface": interface,
            "virtual_router_id": _as_int(
                errs, f"{where}.virtual_router_id", item.get("virtual_router_id"), 1, 255
            ),
            "priority": _as_int(errs, f"{where}.priority", item.get("priority"), 1, 255),
            "state": _as_choice(errs, f"{where}.state", item.get("state"), _STATES, upper=True),
            "version": version,
            "advert_int": _advert_int(
                errs, f"{where}.advert_int", item.get("advert_int"), effective_version
            ),
            "nopreempt": _as_bool(errs, f"{where}.nopreempt", item.get("nopreempt")),
            "preempt_delay": _as_int(
                errs, f"{where}.preempt_delay", item.get("preempt_delay"), 0, 1000, " seconds"
            ),
            "virtual_ipaddresses": vips,
        }
        if inst["nopreempt"] and inst["state"] == "MASTER":
            errs.append(
                f"{where}.nopreempt: keepalived honours nopreempt only with state BACKUP "
                "(state is MASTER); set state: BACKUP on every node"
            )
        owner = inst["priority"] == _OWNER
        # keepalived 2.2.7 and 2.3.3 (vrrp.c, vrrp_complete_instance) report
        # each of these as a configuration error: --config-test exits 5.
        if inst["nopreempt"] and owner and inst["state"] != "MASTER":
            errs.append(
                f"{where}.nopreempt: priority 255 makes this node the address owner, which "
                'always takes the VIP, and keepalived refuses nopreempt with it ("nopreempt '
                'is incompatible with priority 255"); give every node a priority of 254 or '
                "less, or remove nopreempt"
            )
        if strict and inst["state"] is not None and inst["priority"] is not None:
            if inst["state"] == "MASTER" and not owner:
                errs.append(
                    f"{where}.state: MASTER with priority {inst['priority']}: with vrrp_strict "
                    "(keepalived_global_defs.vrrp_strict) keepalived starts only the address "
                    'owner (priority 255) as MASTER and refuses this ("State MASTER must match '
                    'being address owner"); use state: BACKUP (the role derives it when neither '
                    "state nor keepalived_state is set; the highest priority still becomes "
                    "master), or remove vrrp_strict"
                )
            elif inst["state"] == "BACKUP" and owner:
                errs.append(
                    f"{where}.state: BACKUP with priority 255: with vrrp_strict "
                    "(keepalived_global_defs.vrrp_strict) priority 255 makes this node the "
                    'address owner, which keepalived requires to start as MASTER ("State '
                    'MASTER must match being address owner"); use a priority of 254 or less'
                )
        if inst["nopreempt"] and inst["preempt_delay"]:
            errs.append(f"{where}.preempt_delay: has no effect together with nopreempt")
        elif inst["preempt_delay"] and inst["state"] == "MASTER":
            errs.append(
                f"{where}.preempt_delay: keepalived ignores it with state MASTER; "
                "set state: BACKUP on every node (the highest priority still wins)"
            )
        auth = _authentication(
            errs,
            warns,
            f"{where}.authentication",
            item.get("authentication"),
            effective_version,
            strict,
            allow_weak,
        )
        if auth:
            inst["authentication"] = auth
        if (
            auth
            and auth["type"] == "AH"
            and inst["state"] == "MASTER"
            and inst["priority"] is not None
            and not owner
            and not strict
            and effective_version == 2
        ):
            # A node must hear an advert to learn the AH sequence number
            # before it may take over (vrrp.c, vrrp_complete_instance).
            errs.append(
                f"{where}.state: MASTER with AH authentication and priority {inst['priority']}: "
                "a node must hear an advert to learn the AH sequence number before it takes "
                'over, and keepalived refuses this ("Initial state master is incompatible with '
                'AH authentication"); use state: BACKUP on every node (the role derives it '
                "with AH when neither state nor keepalived_state is set; the highest priority "
                "becomes master after 3 advert intervals)"
            )
        inst["track_scripts"] = _tracked(
            errs, f"{where}.track_scripts", item.get("track_scripts"), "script"
        )
        inst["track_files"] = _tracked(
            errs,
            f"{where}.track_files",
            item.get("track_files"),
            "track file",
            _TRACK_FILE_WEIGHT,
        )
        inst["track_interfaces"] = _tracked(
            errs, f"{where}.track_interfaces", item.get("track_interfaces"), "interface"
        )
        for j, tracked in enumerate(inst["track_interfaces"]):
            if interface and tracked["name"] == interface:
                errs.append(
                    f"{where}.track_interfaces[{j}].name: {interface} is the instance's own "
                    "interface, which keepalived always tracks (FAULT when it goes down) and "
                    "ignores here; remove it"
                )
        # Unicast
        src = _as_ip(errs, f"{where}.unicast_src_ip", item.get("unicast_src_ip"), zone=True)
        peers = []
        refused = 0
        for j, raw in enumerate(
            _as_list(errs, f"{where}.unicast_peers", item.get("unicast_peers"))
        ):
            if raw is None:
                errs.append(f"{where}.unicast_peers[{j}]: required (null in the list)")
                refused += 1
                continue
            peer = _as_ip(errs, f"{where}.unicast_peers[{j}]", raw, zone=True)
            if peer is None:
                refused += 1
                continue
            if peer in peers:
                errs.append(f"{where}.unicast_peers[{j}]: {peer} is listed twice")
                continue
            if src is not None and peer == src:
                errs.append(
                    f"{where}.unicast_peers[{j}]: {peer} is this node's own unicast_src_ip; "
                    "list only the other nodes"
                )
                continue
            peers.append(peer)
        if src is not None and not peers and not refused:
            errs.append(f"{where}.unicast_peers: required with unicast_src_ip (the other nodes)")
        for j, peer in enumerate(peers):
            if src is not None and peer.version != src.version:
                errs.append(
                    f"{where}.unicast_peers[{j}]: {peer} is not of the family of unicast_src_ip"
                )
        if peers and strict:
            errs.append(
                f"{where}.unicast_peers: vrrp_strict (keepalived_global_defs.vrrp_strict) "
                "forbids unicast peers"
            )
        if src is not None:
            inst["unicast_src_ip"] = str(src)
        if peers:
            inst["unicast_peers"] = [str(p) for p in peers]
        for key in _NOTIFY_KEYS:
            hook = _notify(errs, f"{where}.{key}", item.get(key))
            if hook:
                inst[key] = hook
                _warn_root(warns, f"{where}.{key}.user", hook.get("user"))
        extra = _extra(errs, f"{where}.extra", item.get("extra"), "instances")
        if extra:
            inst["extra"] = extra
        out.append({k: v for k, v in inst.items() if v is not None})
    return out


def _sync_groups(errs, warns, data, instance_names):
    var = VAR_NAMES["sync_groups"]
    out = []
    names = set()
    member_of = {}
    for i, item in enumerate(_as_list(errs, var, data)):
        where = _label(var, i, item)
        allowed = ("name", "group", "extra") + _NOTIFY_KEYS
        name, readable = _entry(errs, where, item, allowed, names, "sync group name")
        if not readable:
            continue
        members = []
        raw_members = _as_list(errs, f"{where}.group", item.get("group"))
        if not raw_members:
            errs.append(f"{where}.group: required: the names of the instances to keep together")
        for j, member in enumerate(raw_members):
            at = f"{where}.group[{j}]"
            if not isinstance(member, str):
                errs.append(
                    f"{at}: {show(member)} is not an instance name (a sync group lists the "
                    "names of keepalived_instances)"
                )
                continue
            if member not in instance_names:
                known = ", ".join(sorted(instance_names)) or "none"
                errs.append(
                    f"{at}: {show(member)} is not an instance of keepalived_instances ({known})"
                )
                continue
            if member in member_of:
                errs.append(f"{at}: {member!r} is already in sync group {member_of[member]!r}")
                continue
            member_of[member] = name
            members.append(member)
        if len(raw_members) == 1 and members:
            errs.append(
                f"{where}.group: lists one instance ({members[0]}); keepalived refuses a sync "
                'group of one ("Sync group has only 1 virtual router(s)"): a sync group keeps '
                "two or more instances in the same state; list at least two instances, or "
                "remove the sync group and put its notify hooks on the instance"
            )
        group = {"name": name, "group": members}
        for key in _NOTIFY_KEYS:
            hook = _notify(errs, f"{where}.{key}", item.get(key))
            if hook:
                group[key] = hook
                _warn_root(warns, f"{where}.{key}.user", hook.get("user"))
        extra = _extra(errs, f"{where}.extra", item.get("extra"), "sync_groups")
        if extra:
            group["extra"] = extra
        out.append(group)
    return out


# The instance key of each kind of tracked object, and the section that defines them.
TRACKED_SECTIONS = {"track_scripts": "scripts", "track_files": "track_files"}


def effective_weight(config, tracked, key="track_scripts"):
    """The weight a track_scripts (or, with ``key``, track_files) entry
    applies: its own, else its script's or file's (0 = FAULT)."""
    if "weight" in tracked:
        return tracked["weight"]
    for defined in config.get(TRACKED_SECTIONS[key], []):
        if defined.get("name") == tracked["name"]:
            return defined.get("weight", 0)
    return 0


def family(instance):
    """6 for an instance whose virtual addresses are IPv6, else 4."""
    vips = instance.get("virtual_ipaddresses") or []
    return 6 if vips and all(":" in str(v.get("address", "")) for v in vips) else 4


def _cross_checks(errs, config):
    """Checks across sections of one host's configuration."""
    var = VAR_NAMES["instances"]
    defined = {
        key: {d["name"] for d in config[section] if d.get("name")}
        for key, section in TRACKED_SECTIONS.items()
    }
    what = {"track_scripts": "a script", "track_files": "a track file"}
    vrids = {}
    for inst in config["instances"]:
        where = f"{var}[{inst.get('name')}]"
        for key, section in TRACKED_SECTIONS.items():
            for j, tracked in enumerate(inst.get(key, [])):
                if tracked["name"] not in defined[key]:
                    known = ", ".join(sorted(defined[key])) or "none defined"
                    errs.append(
                        f"{where}.{key}[{j}]: {tracked['name']!r} is not {what[key]} of "
                        f"{VAR_NAMES[section]} ({known})"
                    )
        key = (inst.get("interface"), inst.get("virtual_router_id"), family(inst))
        if None not in key:
            if key in vrids:
                errs.append(
                    f"{where}.virtual_router_id: {key[1]} is already used by instance "
                    f"{vrids[key]!r} on interface {key[0]}; VRIDs must be unique per interface"
                )
            else:
                vrids[key] = inst.get("name")
    if config["global_defs"].get("vrrp_strict"):
        for inst in config["instances"]:
            vips = inst.get("virtual_ipaddresses") or []
            if family(inst) == 6 and not ipaddress.ip_address(vips[0]["address"]).is_link_local:
                errs.append(
                    f"{var}[{inst.get('name')}].virtual_ipaddresses[0].address: with vrrp_strict "
                    "the first IPv6 virtual address must be link-local (fe80::/10, RFC 5798)"
                )
    for group in config["sync_groups"]:
        # keepalived (vrrp_sync.c, vrrp_sync_set_group) walks the members in
        # order: a BACKUP after members that are all address owners (MASTER
        # with priority 255) is a configuration error.
        owners_only = None
        for member in group.get("group", []):
            inst = next((i for i in config["instances"] if i.get("name") == member), None)
            if inst is None:
                continue
            if owners_only and inst.get("state") == "BACKUP":
                errs.append(
                    f"{VAR_NAMES['sync_groups']}[{group['name']}].group: {member} starts as "
                    "BACKUP after instances that are all address owners (state MASTER, priority "
                    '255); keepalived refuses the mix ("some member(s) as address owner and '
                    'some not"): give the members of a sync group the same role'
                )
            if owners_only is not False:
                owners_only = inst.get("state") == "MASTER" and inst.get("priority") == _OWNER
            for key in TRACKED_SECTIONS:
                for j, tracked in enumerate(inst.get(key, [])):
                    weight = effective_weight(config, tracked, key)
                    if weight:
                        errs.append(
                            f"{var}[{member}].{key}[{j}]: {tracked['name']!r} has weight "
                            f"{weight}, but {member} is in sync group {group['name']!r}, where "
                            "keepalived ignores weighted checks; use weight 0 (FAULT) for it"
                        )
            for j, tracked in enumerate(inst.get("track_interfaces", [])):
                if tracked.get("weight"):
                    errs.append(
                        f"{var}[{member}].track_interfaces[{j}].weight: {member} is in sync group "
                        f"{group['name']!r}, where keepalived ignores weights; use 0 (FAULT)"
                    )


@only_config_errors(KeepalivedConfigError, "keepalived configuration")
def normalize(data, allow_weak_secrets=False, warnings=None):
    """Check ``data`` and return the clean configuration (a new dict).

    Raises :class:`KeepalivedConfigError` listing every problem. A weak VRRP
    password is refused, unless ``allow_weak_secrets`` (a lab), which makes
    it a warning. Warnings (each naming its variable) are appended to the
    list ``warnings`` when one is given.
    """
    errs = []
    warns = []
    if not isinstance(data, dict):
        raise KeepalivedConfigError(
            [f"keepalived configuration: expected a mapping, got {type(data).__name__}"]
        )
    allow_weak = bool(_as_bool(errs, "keepalived_allow_weak_secrets", allow_weak_secrets))
    unknown_sections(errs, "keepalived configuration", data, VAR_NAMES)
    global_defs = _global_defs(errs, warns, data.get("global_defs"))
    config = {
        "global_defs": global_defs,
        "scripts": _scripts(errs, warns, data.get("scripts")),
        "track_files": _track_files(errs, data.get("track_files")),
        "instances": _instances(
            errs,
            warns,
            data.get("instances", []),
            global_defs.get("vrrp_strict"),
            allow_weak,
        ),
    }
    config["sync_groups"] = _sync_groups(
        errs,
        warns,
        data.get("sync_groups"),
        {i["name"] for i in config["instances"] if isinstance(i.get("name"), str)},
    )
    _cross_checks(errs, config)
    if errs:
        raise KeepalivedConfigError(errs)
    if warnings is not None:
        warnings.extend(w for w in warns if w not in warnings)
    return config


def warnings(data, allow_weak_secrets=False):
    """The warnings of a configuration (each naming its variable), or the
    errors raised as :class:`KeepalivedConfigError`."""
    found = []
    normalize(data, allow_weak_secrets, found)
    return found


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------


def _fmt(value):
    """A number as keepalived reads it: a float in plain decimal notation, its
    shortest exact form (0.000001, never 1e-06, which keepalived refuses, nor
    0.123457 for 0.1234567)."""
    if isinstance(value, float):
        return format(decimal.Decimal(repr(value)), "f")
    return str(value)


def _notify_lines(obj, indent):
    lines = []
    for key in _NOTIFY_KEYS:
        hook = obj.get(key)
        if hook:
            user = f" {hook['user']}" if hook.get("user") else ""
            lines.append(f'{indent}{key} "{hook["script"]}"{user}')
    return lines


def _block(lines, indent, title, body):
    lines.append(f"{indent}{title} {{")
    lines.extend(body)
    lines.append(f"{indent}}}")


@only_config_errors(KeepalivedConfigError, "keepalived configuration")
def render(data, normalized=False, allow_weak_secrets=False):
    """Return keepalived.conf text for ``data`` (checked first unless ``normalized``)."""
    config = data if normalized else normalize(data, allow_weak_secrets)
    ind, ind2 = "    ", "        "
    lines = [HEADER.rstrip("\n"), ""]
    gd = config["global_defs"]
    body = []
    for key in ("router_id", "script_user"):
        if gd.get(key):
            body.append(f"{ind}{key} {gd[key]}")
    for key in ("enable_script_security", "vrrp_skip_check_adv_addr", "vrrp_strict"):
        if gd.get(key):
            body.append(f"{ind}{key}")
    for key in (
        "vrrp_garp_interval",
        "vrrp_gna_interval",
        "vrrp_garp_master_refresh",
        "vrrp_garp_master_refresh_repeat",
        "vrrp_garp_lower_prio_repeat",
        "max_auto_priority",
    ):
        if gd.get(key) is not None:
            body.append(f"{ind}{key} {_fmt(gd[key])}")
    body += [f"{ind}{line}" for line in gd.get("extra", [])]
    _block(lines, "", "global_defs", body)

    for script in config["scripts"]:
        body = [f'{ind}script "{script["script"]}"']
        for key in ("interval", "timeout", "weight", "fall", "rise"):
            if script.get(key) is not None:
                body.append(f"{ind}{key} {script[key]}")
        if script.get("user"):
            body.append(f"{ind}user {script['user']}")
        body += [f"{ind}{line}" for line in script.get("extra", [])]
        lines.append("")
        _block(lines, "", f"vrrp_script {script['name']}", body)

    # `track_file NAME` is the block's name since keepalived 2.1 (`vrrp_track_file`
    # is its deprecated synonym). The weight is always written: keepalived's own
    # default is 1, this model's 0 (FAULT), like vrrp_script.
    for tfile in config.get("track_files", []):
        body = [f'{ind}file "{tfile["file"]}"', f"{ind}weight {tfile.get('weight', 0)}"]
        init = tfile.get("init_file")
        if init is not None:
            body.append(
                f"{ind}init_file {init['value']}" + (" overwrite" if init["overwrite"] else "")
            )
        lines.append("")
        _block(lines, "", f"track_file {tfile['name']}", body)

    for group in config["sync_groups"]:
        body = [f"{ind}group {{"] + [f"{ind2}{m}" for m in group["group"]] + [f"{ind}}}"]
        body += _notify_lines(group, ind)
        body += [f"{ind}{line}" for line in group.get("extra", [])]
        lines.append("")
        _block(lines, "", f"vrrp_sync_group {group['name']}", body)

    for inst in config["instances"]:
        body = [
            f"{ind}state {inst['state']}",
            f"{ind}interface {inst['interface']}",
            f"{ind}virtual_router_id {inst['virtual_router_id']}",
            f"{ind}priority {inst['priority']}",
        ]
        if inst.get("version"):
            body.append(f"{ind}version {inst['version']}")
        if inst.get("advert_int") is not None:
            body.append(f"{ind}advert_int {_fmt(inst['advert_int'])}")
        if inst.get("nopreempt"):
            body.append(f"{ind}nopreempt")
        if inst.get("preempt_delay") is not None:
            body.append(f"{ind}preempt_delay {inst['preempt_delay']}")
        auth = inst.get("authentication")
        if auth:
            _block(
                body,
                ind,
                "authentication",
                [f"{ind2}auth_type {auth['type']}", f"{ind2}auth_pass {auth['password']}"],
            )
        if inst.get("unicast_src_ip"):
            body.append(f"{ind}unicast_src_ip {inst['unicast_src_ip']}")
        if inst.get("unicast_peers"):
            _block(body, ind, "unicast_peer", [f"{ind2}{p}" for p in inst["unicast_peers"]])
        vip_lines = []
        for vip in inst["virtual_ipaddresses"]:
            text = f"{ind2}{vip['address']}/{vip['prefix']}"
            for key in ("dev", "label", "scope"):
                if vip.get(key):
                    text += f" {key} {vip[key]}"
            vip_lines.append(text)
        _block(body, ind, "virtual_ipaddress", vip_lines)
        for key, title in (
            ("track_scripts", "track_script"),
            ("track_files", "track_file"),
            ("track_interfaces", "track_interface"),
        ):
            if inst.get(key):
                entries = [
                    f"{ind2}{t['name']}" + (f" weight {t['weight']}" if "weight" in t else "")
                    for t in inst[key]
                ]
                _block(body, ind, title, entries)
        body += _notify_lines(inst, ind)
        body += [f"{ind}{line}" for line in inst.get("extra", [])]
        lines.append("")
        _block(lines, "", f"vrrp_instance {inst['name']}", body)
    return "\n".join(lines) + "\n"


_AUTH_PASS_RE = re.compile(r"^(\s*auth_pass\s+)\S+", re.MULTILINE)


def redact(text):
    """Hide authentication passwords in keepalived.conf text (for diffs and messages)."""
    if not text:
        return text
    return _AUTH_PASS_RE.sub(lambda m: m.group(1) + REDACTED, text)


def secrets(config):
    """The secret strings of a configuration, for no_log handling."""
    found = []
    for inst in (config or {}).get("instances") or []:
        auth = inst.get("authentication") if isinstance(inst, dict) else None
        if isinstance(auth, dict) and isinstance(auth.get("password"), str) and auth["password"]:
            found.append(auth["password"])
    return found


def script_paths(config):
    """(variable, program path) of every script the configuration runs."""
    out = []
    for script in config.get("scripts", []):
        out.append(
            (f"{VAR_NAMES['scripts']}[{script['name']}].script", script["script"].split()[0])
        )
    for section in ("instances", "sync_groups"):
        for obj in config.get(section, []):
            for key in _NOTIFY_KEYS:
                hook = obj.get(key)
                if hook:
                    where = f"{VAR_NAMES[section]}[{obj['name']}].{key}"
                    out.append((where, hook["script"].split()[0]))
    return out


def users(config):
    """(variable, user name) of every user the configuration runs scripts as."""
    out = []
    gd = config.get("global_defs", {})
    if gd.get("script_user"):
        out.append((f"{VAR_NAMES['global_defs']}.script_user", gd["script_user"]))
    for script in config.get("scripts", []):
        if script.get("user"):
            out.append((f"{VAR_NAMES['scripts']}[{script['name']}].user", script["user"]))
    for section in ("instances", "sync_groups"):
        for obj in config.get(section, []):
            for key in _NOTIFY_KEYS:
                hook = obj.get(key)
                if hook and hook.get("user"):
                    out.append((f"{VAR_NAMES[section]}[{obj['name']}].{key}.user", hook["user"]))
    return out


# --------------------------------------------------------------------------
# Inventory-derived defaults
# --------------------------------------------------------------------------


def _fact_key(interface):
    return re.sub(r"[^A-Za-z0-9_]", "_", interface)


def _items(value):
    """The entries of a list from facts or track, or none for anything else."""
    if isinstance(value, dict):
        return [value]
    return list(value) if isinstance(value, (list, tuple)) else []


def host_addresses(facts, interface=None):
    """Addresses (strings) of a host from its Ansible facts, on one interface or on all.

    Facts of an unexpected shape count as no addresses: the checks that use
    them report what is missing."""
    facts = facts if isinstance(facts, dict) else {}
    if interface:
        names = [interface]
    else:
        names = [n for n in _items(facts.get("interfaces")) if isinstance(n, str)]
    found = []
    for name in names:
        if not isinstance(name, str):
            continue
        data = facts.get(_fact_key(name)) or facts.get(name) or {}
        if not isinstance(data, dict):
            continue
        entries = _items(data.get("ipv4")) + _items(data.get("ipv4_secondaries"))
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("address"), str):
                found.append(entry["address"])
        for entry in _items(data.get("ipv6")):
            if isinstance(entry, dict) and isinstance(entry.get("address"), str):
                found.append(entry["address"].split("%")[0])
    out = []
    for address in found:
        try:
            out.append(str(ipaddress.ip_address(address.strip())))
        except ValueError:
            continue  # not an address: ignored like any other unknown fact
    return out


def _primary_address(facts, interface, family, exclude=()):
    """The host's first global address of ``family`` on ``interface``, skipping
    ``exclude`` (the instance's VIPs: on the node that holds them they are in
    its facts too, and Linux lists the newest IPv6 address first)."""
    for address in host_addresses(facts, interface):
        ip = ipaddress.ip_address(address)
        if ip.version == family and not ip.is_link_local and str(ip) not in exclude:
            return address
    return None


def _flag(value):
    """A boolean as the derivation reads it before normalize() checks it:
    true, yes, on, 1 (any case) and True; everything else is false."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return value is True or (isinstance(value, int) and value == 1)


def _starts_as_backup(data, inst):
    """Whether keepalived refuses state MASTER for this instance of the
    first host: with vrrp_strict or AH authentication, MASTER is only for
    the address owner (priority 255). Every node then starts as BACKUP and
    the highest priority becomes master after the master-down interval."""
    priority = inst.get("priority")
    if isinstance(priority, str) and priority.strip().isdigit():
        priority = int(priority.strip())
    if priority == _OWNER and not isinstance(priority, bool):
        return False
    global_defs = data.get("global_defs")
    if isinstance(global_defs, dict) and _flag(global_defs.get("vrrp_strict")):
        return True
    auth = inst.get("authentication")
    kind = auth.get("type") if isinstance(auth, dict) else None
    return isinstance(kind, str) and kind.strip().upper() == "AH"


def _names(refs):
    """The names a list of references (names or {name, ...}) holds."""
    out = set()
    for ref in refs:
        name = ref.get("name") if isinstance(ref, dict) else ref
        if isinstance(name, str):
            out.add(name)
    return out


def _added_tracking(data, track):
    """Add the checks of ``track`` to ``data`` (unless defined there under the
    same name); return [(instance key, check)] for every check to reference."""
    if not isinstance(track, dict):
        return []
    wanted = []
    for section, key in (("scripts", "track_scripts"), ("track_files", "track_files")):
        checks = [
            c
            for c in _items(track.get(section))
            if isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"]
        ]
        own = data.get(section)
        if not checks or (own is not None and not isinstance(own, list)):
            continue  # a section that is not a list is reported by normalize()
        own = list(own or [])
        names = _names(own)
        data[section] = own + [dict(c) for c in checks if c["name"] not in names]
        wanted += [(key, c) for c in checks]
    return wanted


def _listed(names):
    """Host names for a message: joined when short and printable, else show()."""
    text = ", ".join(names)
    if len(text) <= 200 and not CONTROL_RE.search(text):
        return text or "empty"
    return show(names)


@only_config_errors(KeepalivedConfigError, "keepalived host configuration")
def derive_host_config(
    data,
    host,
    members,
    facts=None,
    unicast=False,
    priority_base=150,
    priority_step=10,
    priority=None,
    state=None,
    notify=None,
    track=None,
    profile="default",
    allow_weak_secrets=False,
    warnings=None,
):
    """Fill in what the inventory implies, then check and return the host's configuration.

    ``members`` is the ordered list of the pair's hosts (the inventory group):
    the first is MASTER with ``priority_base``, the next ones BACKUP with
    ``priority_step`` less each; with ``vrrp_strict`` or AH authentication,
    which keepalived allows to start as MASTER only the address owner
    (priority 255), every node starts as BACKUP unless its priority is 255.
    ``priority``/``state`` override that for this host. With ``unicast`` (or ``unicast: true`` on an instance), the source
    address is the host's own address on the VRRP interface and the peers are
    the other members' addresses there, taken from ``facts`` (host -> Ansible
    facts). ``notify`` (a command line or ``{script, user}``, e.g. the
    mailx_notify role's program) becomes the ``notify`` hook of every instance
    that has none of its own. ``track`` (``{"scripts": [...], "track_files":
    [...]}``, e.g. how the haproxy role says HAProxy can be tracked) adds those
    checks, unless a check of the same name is defined, and makes every
    instance track them, unless it already does; an instance in a sync group
    tracks a weighted check with weight 0 (FAULT), as keepalived ignores
    weights there, except the checks ``track["weighted_only"]`` names, which
    only make sense as a priority change (HAProxy's backends: both nodes in
    FAULT when both lose their servers would leave the VIP nowhere); those
    are left out of sync-grouped instances. ``profile`` (a key of PROFILES) sets ``version`` and
    ``advert_int`` of every instance that sets neither. Values set
    explicitly always win. ``allow_weak_secrets`` and ``warnings`` are
    those of normalize().
    """
    errs = []
    profile = _as_choice(errs, "keepalived_profile", profile or "default", tuple(PROFILES))
    profile_keys = PROFILES.get(profile, {})
    if not isinstance(members, (list, tuple)) or not all(
        isinstance(m, str) and 0 < len(m) <= 253 and not CONTROL_RE.search(m) for m in members
    ):
        raise KeepalivedConfigError(
            [
                f"keepalived_cluster_group: the members of the pair must be a list of host "
                f"names, got {show(members)}"
            ]
        )
    members = list(members)
    if not isinstance(host, str) or host not in members:
        raise KeepalivedConfigError(
            [
                f"keepalived_cluster_group: host {show(host)} is not a member of the group "
                f"({_listed(members)}); put it in the group or set "
                "keepalived_cluster_group to the group of this pair"
            ]
        )
    index = members.index(host)
    facts = facts if isinstance(facts, dict) else {}
    unicast = bool(_as_bool(errs, "keepalived_unicast", unicast))
    allow_weak = bool(_as_bool(errs, "keepalived_allow_weak_secrets", allow_weak_secrets))
    priority_base = _as_int(errs, "keepalived_priority_base", priority_base, 1, 255) or 150
    priority_step = _as_int(errs, "keepalived_priority_step", priority_step, 0, 254) or 0
    priority = None if priority == "" else priority
    state = None if state == "" else state
    if priority is not None:
        priority = _as_int(errs, "keepalived_priority", priority, 1, 255)
    if state is not None:
        state = _as_choice(errs, "keepalived_state", state, _STATES, upper=True)
    if data is not None and not isinstance(data, dict):
        raise KeepalivedConfigError(
            [f"keepalived configuration: expected a mapping, got {type(data).__name__}"]
        )
    data = dict(data or {})
    tracked = _added_tracking(data, track)
    weighted_only = (
        {n for n in _items(track.get("weighted_only")) if isinstance(n, str)}
        if isinstance(track, dict)
        else set()
    )
    synced = {
        name
        for group in _items(data.get("sync_groups"))
        if isinstance(group, dict) and isinstance(group.get("group"), list)
        for name in group["group"]
        if isinstance(name, str)
    }
    instances = []
    for i, inst in enumerate(_as_list(errs, VAR_NAMES["instances"], data.get("instances"))):
        if not isinstance(inst, dict):
            instances.append(inst)
            continue
        inst = dict(inst)
        where = _label(VAR_NAMES["instances"], i, inst)
        wants_unicast = _as_bool(errs, f"{where}.unicast", inst.pop("unicast", None))
        wants_unicast = unicast if wants_unicast is None else wants_unicast
        if profile_keys and all(inst.get(key) is None for key in profile_keys):
            if inst.get("authentication") is not None:
                errs.append(
                    f"{where}.authentication: keepalived_profile {profile} runs VRRP version "
                    f"{profile_keys['version']}, which has no authentication (RFC 5798); remove "
                    "it, or set version: 2 and a whole-second advert_int on this instance"
                )
            inst.update(profile_keys)
        if inst.get("priority") is None:
            if priority is not None:
                inst["priority"] = priority
            else:
                value = priority_base - index * priority_step
                if value < 1:
                    errs.append(
                        f"keepalived_priority_step: {priority_step} gives {host} priority {value} "
                        f"for {where}; lower the step or set priority"
                    )
                inst["priority"] = value
        if notify not in (None, "") and not any(inst.get(key) is not None for key in _NOTIFY_KEYS):
            inst["notify"] = notify
        for key, check in tracked:
            refs = [] if inst.get(key) is None else inst[key]
            if not isinstance(refs, list):
                continue  # normalize() reports it
            if check["name"] not in _names(refs):
                weighted = check.get("weight") not in (None, 0)
                synced_weight = weighted and inst.get("name") in synced
                if synced_weight and check["name"] in weighted_only:
                    continue  # FAULT would be wrong for it: left out of sync groups
                inst[key] = [
                    *refs,
                    {"name": check["name"], "weight": 0} if synced_weight else check["name"],
                ]
        if inst.get("state") is None:
            if state is not None:
                inst["state"] = state
            elif _flag(inst.get("nopreempt")):
                inst["state"] = "BACKUP"
            elif index == 0 and not _starts_as_backup(data, inst):
                inst["state"] = "MASTER"
            else:
                inst["state"] = "BACKUP"
        iface = inst.get("interface")
        if wants_unicast and isinstance(iface, str) and _IFACE_RE.fullmatch(iface):
            # The VIPs as written: their family is the instance's, and the
            # addresses themselves are never this host's or a peer's own.
            written = [
                v.get("address") if isinstance(v, dict) else v
                for v in _items(inst.get("virtual_ipaddresses"))
            ]
            written = [text for text in written if isinstance(text, str)]
            family = 6 if any(":" in text for text in written) else 4
            vips = set()
            for text in written:
                try:
                    vips.add(str(ipaddress.ip_address(text.split("/")[0].strip())))
                except ValueError:
                    pass  # reported by normalize()
            if inst.get("unicast_src_ip") is None:
                own = _primary_address(facts.get(host), iface, family, vips)
                if own is None:
                    errs.append(
                        f"{where}.unicast_src_ip: {host} has no IPv{family} address on "
                        f"{iface} in its facts; set unicast_src_ip or fix the interface"
                    )
                inst["unicast_src_ip"] = own
            if inst.get("unicast_peers") is None:
                peers = []
                for other in members:
                    if other == host:
                        continue
                    address = _primary_address(facts.get(other), iface, family, vips)
                    if address is None:
                        errs.append(
                            f"{where}.unicast_peers: no IPv{family} address of {other} on "
                            f"{iface} is known (were its facts gathered?); set unicast_peers"
                        )
                    else:
                        peers.append(address)
                inst["unicast_peers"] = peers
        instances.append(inst)
    data["instances"] = instances
    try:
        config = normalize(data, allow_weak, warnings)
    except KeepalivedConfigError as exc:
        errs.extend(exc.errors)
    if errs:
        raise KeepalivedConfigError(errs)
    return config


def vrrp_firewall_rules(config):
    """What a firewall must let in for this host's VRRP, from a normalized config.

    One entry per interface and address family, sorted::

        {"interface": "eth0", "family": 4, "protocols": ["vrrp", "ah"],
         "destination": "224.0.0.18", "sources": [], "instances": ["VI_1"]}

    Multicast instances need adverts to the VRRP group (``destination``);
    unicast ones need adverts from each peer (``sources``, no destination).
    ``ah`` is there when an instance authenticates with AH (IP protocol 51).
    """
    entries = {}
    for inst in config.get("instances", []):
        fam = family(inst)
        peers = list(inst.get("unicast_peers") or [])
        mode = "unicast" if peers else "multicast"
        entry = entries.setdefault(
            (inst["interface"], fam, mode),
            {
                "interface": inst["interface"],
                "family": fam,
                "protocols": ["vrrp"],
                "destination": None if peers else VRRP_GROUPS[fam],
                "sources": [],
                "instances": [],
            },
        )
        entry["instances"].append(inst["name"])
        for peer in peers:
            if peer not in entry["sources"]:
                entry["sources"].append(peer)
        auth = inst.get("authentication") or {}
        if auth.get("type") == "AH" and "ah" not in entry["protocols"]:
            entry["protocols"].append("ah")
    return [entries[key] for key in sorted(entries)]


def script_file_errors(entries, var="keepalived_script_files"):
    """Problems of the role's keepalived_script_files (programs installed into
    keepalived_scripts_dir): each a mapping with a file ``name`` (one path
    component: never ``../``) and exactly one of ``content`` (text) or ``src``
    (a file on the controller). Never raises."""
    errs = []
    seen = set()
    try:
        for where, item in mappings(
            errs,
            var,
            entries,
            "name and content or src",
            ("name", "content", "src"),
            lambda i, item: _label(var, i, item),
        ):
            if item.get("name") is None:
                errs.append(f"{where}.name: required (the file name in keepalived_scripts_dir)")
            name = as_file_name(errs, f"{where}.name", item.get("name"), "script file name")
            if name is not None and name in seen:
                errs.append(f"{where}.name: {name!r} is defined twice")
            seen.add(name)
            content, src = item.get("content"), item.get("src")
            if (content is None) == (src is None):
                errs.append(f"{where}: give exactly one of content and src")
            if content is not None and not isinstance(content, str):
                errs.append(f"{where}.content: {show(content)} is not text")
            if src is not None:
                _as_str(errs, f"{where}.src", src, "file on the controller", 4096)
    except Exception as exc:  # noqa: BLE001 - the backstop of a check that never raises
        errs.append(f"{var}: could not be read ({type(exc).__name__}); check its types")
    return errs
