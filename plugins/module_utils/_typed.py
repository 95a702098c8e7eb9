# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed readers for structured variables, shared by the config libraries.

Each reader takes ``errs`` (a list it appends to), ``where`` (the variable
path that starts every message, e.g. ``keepalived_instances[VI_1].priority``)
and the raw value; it returns the clean value or None and never raises, so
that one pass over the data reports every problem at once. Standard library
only, no I/O.
"""

from __future__ import annotations

import difflib
import functools
import math
import re

_TRUE = ("true", "yes", "on", "1")
_LABEL_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@+-]*")
_FALSE = ("false", "no", "off", "0")


class ConfigError(ValueError):
    """Invalid configuration data. ``errors`` lists every problem, each naming its variable."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def is_int(value):
    """A whole number that is not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(errs, where, value, lo, hi, unit=""):
    if value is None:
        return None
    # At most 30 digits: int() of thousands of digits raises (and is slow).
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,30}", value.strip()):
        value = int(value.strip())
    if not is_int(value):
        errs.append(f"{where}: {show(value)} is not a whole number (allowed: {lo}-{hi}{unit})")
        return None
    if not lo <= value <= hi:
        errs.append(f"{where}: {show(value)} is out of range {lo}-{hi}{unit}")
        return None
    return value


def as_number(errs, where, value, lo, hi):
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= 30:
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errs.append(f"{where}: {show(value)} is not a number (allowed: {lo}-{hi})")
        return None
    if (isinstance(value, float) and math.isnan(value)) or not lo <= value <= hi:
        errs.append(f"{where}: {show(value)} is out of range {lo}-{hi}")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value


def as_bool(errs, where, value):
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    if not isinstance(value, bool):
        errs.append(f"{where}: {show(value)} is not a boolean (allowed: true, false)")
        return None
    return value


def as_choice(errs, where, value, choices, upper=False):
    """One of ``choices`` (strings, or whole numbers)."""
    if value is None:
        return None
    if is_int(choices[0]):
        value = as_int(errs, where, value, min(choices), max(choices))
        if value is None:
            return None
        text = value
    else:
        text = str(value).upper() if upper else str(value)
    if text not in choices:
        errs.append(
            f"{where}: {show(value)} is not allowed (allowed: {', '.join(map(str, choices))})"
        )
        return None
    return text


def as_list(errs, where, value):
    if value is None:
        return []
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
        errs.append(f"{where}: expected a list, got {type(value).__name__}")
        return []
    return list(value)


def as_dict(errs, where, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errs.append(f"{where}: expected a mapping, got {type(value).__name__}")
        return None
    return value


def did_you_mean(word, candidates):
    """``"; did you mean 'x'?"`` for the closest candidate, or an empty string."""
    word = str(word)
    if len(word) > 64:  # a long word is no typo, and difflib is slow on it
        return ""
    hint = difflib.get_close_matches(word, [str(c) for c in candidates], n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


def unknown_sections(errs, what, data, sections):
    """Report top-level keys of ``data`` outside ``sections`` (named in ``what``)."""
    for key in data:
        if key not in sections:
            errs.append(f"{what}: unknown section {show(key)}{did_you_mean(key, sections)}")


def unknown_keys(errs, where, item, allowed, removed=None):
    """Report keys outside ``allowed``, with a did-you-mean; ``removed`` maps
    keys the daemon no longer knows to the message that names their successor."""
    for key in item:
        if key in allowed:
            continue
        if removed and key in removed:
            errs.append(f"{where}.{key}: {key} {removed[key]}")
            continue
        # Only a string can be a misspelt key (YAML reads `no:` as the key False).
        hint = did_you_mean(key, allowed) if isinstance(key, str) else ""
        errs.append(
            f"{where}: unknown key {show(key)}{hint} (allowed: {', '.join(sorted(allowed))})"
        )


def label(var, index, item, key="name"):
    """``var[name]`` for a list entry with a name, else ``var[index]``."""
    name = item.get(key) if isinstance(item, dict) else None
    # Only a name that could be valid labels the entry: a hostile one (a line
    # break, 100 kB) would otherwise be repeated into every message about it.
    if isinstance(name, str) and len(name) <= 64 and _LABEL_NAME_RE.fullmatch(name):
        return f"{var}[{name}]"
    return f"{var}[{index}]"


def entry(errs, where, item, allowed, seen, read_name, removed=None):
    """The common start of a named list entry: a mapping with known keys and a
    unique name read by ``read_name(errs, where, value)``. Returns
    (name or None, whether the entry can be read)."""
    if not isinstance(item, dict):
        errs.append(f"{where}: expected a mapping with at least a name")
        return None, False
    unknown_keys(errs, where, item, allowed, removed)
    if item.get("name") is None:
        errs.append(f"{where}.name: required")
    name = read_name(errs, f"{where}.name", item.get("name"))
    if name is not None and name in seen:
        errs.append(f"{where}.name: {show(name, _NAME_SHOW)} is defined twice")
    seen.add(name)
    return name, True


def mappings(errs, where, value, expected, allowed, label=None, removed=None):
    """The entries of the list ``value`` that are mappings, as ``(at, entry)``,
    each with its unknown keys reported (unknown_keys, ``removed`` as there);
    any other entry is reported as ``at: expected a mapping with <expected>``.
    ``at`` is ``where[index]``, or ``label(index, entry)``."""
    for index, item in enumerate(as_list(errs, where, value)):
        at = label(index, item) if label else f"{where}[{index}]"
        if not isinstance(item, dict):
            errs.append(f"{at}: expected a mapping with {expected}")
            continue
        unknown_keys(errs, at, item, allowed, removed)
        yield at, item


# --------------------------------------------------------------------------
# One grammar per kind of value. Every string that reaches a generated file
# (config, unit, script, rule) goes through one of these readers first: each
# refuses control characters (a line break would start a new directive), each
# names the variable and what it allows, and none repeats a long value in its
# message (show()). The renderers quote what may hold spaces or quotes with the
# daemon's own rules, so a value that slipped past a check still cannot start
# a new line or directive.
# --------------------------------------------------------------------------

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators
# (Python's splitlines() and some daemons' readers break lines there).
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Longest string any reader accepts unless it asks for less. keepalived cuts
# configuration lines at 1,023 bytes; HAProxy at 2,047 (MAX_LINE_LEN 2048).
MAX_TEXT = 1000
SHOW_LIMIT = 60
# A name a reader accepted (at most 64 characters) is shown whole, with its quotes.
_NAME_SHOW = 70

WORD_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@+-]*$")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
FILE_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,127}$")
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
IFACE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$")
_PATH_CHARS_RE = re.compile(r"^/[A-Za-z0-9_.@+/-]*$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_EMAIL_LOCAL_RE = re.compile(r"^[A-Za-z0-9_%+=-]+(\.[A-Za-z0-9_%+=-]+)*$")


def show(value, limit=SHOW_LIMIT):
    """repr() of a value for a message, cut to ``limit`` characters, so that a
    100 kB value is never repeated into a log."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ never reaches a message
        text = f"<{type(value).__name__}>"
    if len(text) <= limit:
        return text
    return f"{text[: limit - 3]}... ({len(text)} characters)"


def has_control(text):
    return bool(CONTROL_RE.search(text))


def as_str(errs, where, value, what="string", max_len=MAX_TEXT, numbers=False):
    """A non-empty string without control characters, at most ``max_len``
    characters. ``numbers`` accepts whole numbers (YAML's ``8404``) as text."""
    if value is None:
        return None
    if numbers and is_int(value):
        value = str(value)
    if not isinstance(value, str) or not value:
        errs.append(f"{where}: {show(value)} is not a non-empty string ({what})")
        return None
    if CONTROL_RE.search(value):
        errs.append(
            f"{where}: line breaks and other control characters are not allowed in this "
            f"{what} (found {show(CONTROL_RE.search(value).group())}); they would end the "
            "line in the generated file"
        )
        return None
    if len(value) > max_len:
        errs.append(
            f"{where}: {len(value)} characters is too long for a {what} (at most {max_len})"
        )
        return None
    return value


def as_text(errs, where, value, what="text", max_len=MAX_TEXT, numbers=False):
    """Free text for the few fields that must take it (a realm, a subject):
    any printable characters; the renderer quotes it by the daemon's rules."""
    text = as_str(errs, where, value, what, max_len, numbers)
    if text is not None and not text.strip():
        errs.append(f"{where}: {show(value)} is only white space ({what})")
        return None
    return text


def as_pattern(errs, where, value, pattern, what, allowed, max_len=255, numbers=False):
    """A string that must match ``pattern``; ``allowed`` says in words what
    it may hold (it is part of the message)."""
    text = as_str(errs, where, value, what, max_len, numbers)
    if text is None:
        return None
    if not pattern.fullmatch(text):
        errs.append(f"{where}: {show(value)} is not a valid {what} ({allowed})")
        return None
    return text


def as_word(errs, where, value, what="name", max_len=255):
    """A word written unquoted: letters, digits and _ . : @ + - (no white
    space, quotes, backslashes, # or braces in any daemon's grammar)."""
    return as_pattern(
        errs,
        where,
        value,
        WORD_RE,
        what,
        "letters, digits and _ . : @ + -, starting with a letter, digit or _",
        max_len,
        numbers=True,
    )


def as_unquoted(
    errs, where, value, unsafe, chars, file, pattern=None, what="name", max_len=255, numbers=False
):
    """A word a daemon's file holds unquoted: ``unsafe`` finds what the file
    cannot hold there (``chars`` says it in words, ``file`` names the file);
    ``pattern``, if given, must match the whole word."""
    text = as_str(errs, where, value, what, max_len, numbers)
    if text is None:
        return None
    if unsafe.search(text):
        errs.append(f"{where}: {show(text)} contains {chars}, which {file} cannot hold in a {what}")
        return None
    if pattern is not None and not pattern.fullmatch(text):
        errs.append(f"{where}: {show(text)} is not a valid {what}")
        return None
    return text


def as_name(errs, where, value, what="name"):
    """An identifier: letters, digits, _ . - (at most 64, not starting with . or -)."""
    return as_pattern(
        errs,
        where,
        value,
        NAME_RE,
        what,
        "letters, digits, _ . and -, at most 64 characters, not starting with . or -",
        numbers=True,
    )


def as_file_name(errs, where, value, what="file name"):
    """One path component: no /, no leading dot, nothing a shell or a unit
    reads specially."""
    return as_pattern(
        errs,
        where,
        value,
        FILE_NAME_RE,
        what,
        "letters, digits and _ . @ + -, at most 128 characters, not starting with . or -",
    )


def as_user(errs, where, value, what="user name"):
    """A POSIX user or group name as useradd accepts it by default."""
    return as_pattern(
        errs,
        where,
        value,
        USER_RE,
        what,
        "lower-case letters, digits, _ and -, starting with a letter or _, at most 32",
    )


def as_interface(errs, where, value, what="interface name"):
    """A Linux network interface name (at most 15 characters)."""
    return as_pattern(
        errs,
        where,
        value,
        IFACE_RE,
        what,
        "letters, digits and _ . : @ -, at most 15 characters",
    )


def as_path(errs, where, value, what="path", max_len=255, directory=False):
    """An absolute path of letters, digits and _ . @ + - /, without . or ..
    components, empty components or a trailing / (unless ``directory``)."""
    text = as_str(errs, where, value, what, max_len)
    if text is None:
        return None
    allowed = "an absolute path of letters, digits and _ . @ + - /, without . or .. components"
    if not _PATH_CHARS_RE.fullmatch(text):
        errs.append(f"{where}: {show(value)} is not a valid {what} ({allowed})")
        return None
    if directory and text == "/":
        return text
    parts = text.split("/")[1:]
    if directory and parts[-1] == "":
        parts = parts[:-1]
    if any(part in ("", ".", "..") for part in parts):
        errs.append(f"{where}: {show(value)} is not a valid {what} ({allowed})")
        return None
    return text.rstrip("/") if directory else text


def is_hostname(name):
    """A DNS host name (RFC 1123 labels, at most 253 characters, not all digits)."""
    if not isinstance(name, str) or not 0 < len(name) <= 253:
        return False
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    return all(_LABEL_RE.fullmatch(lab) for lab in labels) and not labels[-1].isdigit()


def as_hostname(errs, where, value, what="host name"):
    text = as_str(errs, where, value, what, 253)
    if text is None:
        return None
    if not is_hostname(text):
        errs.append(
            f"{where}: {show(value)} is not a valid {what} (letters, digits and - in "
            "dot-separated labels of at most 63, at most 253 in all)"
        )
        return None
    return text


def _ip(text, zone):
    """(ipaddress object or None, reason)."""
    import ipaddress

    if "%" in text:
        if not zone:
            return None, "a zone ID (%...) is not allowed here"
        address, _sep, scope = text.partition("%")
        if not IFACE_RE.fullmatch(scope):
            return None, "the zone ID after % must be an interface name"
        if ":" not in address:
            return None, "only IPv6 addresses take a zone ID"
    try:
        return ipaddress.ip_address(text), None
    except ValueError:
        return None, None


def as_ip(errs, where, value, what="IP address", zone=False, family=None):
    """An IPv4 or IPv6 address, re-emitted canonically (``str()`` of Python's
    address). A zone ID (``fe80::1%eth0``) only with ``zone`` and only as an
    interface name. ``family`` (4 or 6) restricts it."""
    text = as_str(errs, where, value, what, 64)
    if text is None:
        return None
    ip, reason = _ip(text.strip(), zone)
    if ip is None or (family and ip.version != family):
        want = f"an IPv{family} address" if family else "an IPv4 or IPv6 address"
        errs.append(f"{where}: {show(value)} is not {want}" + (f"; {reason}" if reason else ""))
        return None
    return str(ip)


def as_host(errs, where, value, what="address", zone=False):
    """An IP address (canonical) or a DNS host name."""
    text = as_str(errs, where, value, what, 253)
    if text is None:
        return None
    text = text.strip()
    ip, reason = _ip(text, zone)
    if ip is not None:
        return str(ip)
    if reason is None and is_hostname(text) and not re.fullmatch(r"[0-9.]+", text):
        return text
    errs.append(
        f"{where}: {show(value)} is not an IP address or a host name"
        + (f"; {reason}" if reason else "")
    )
    return None


def as_network(errs, where, value, what="network", strict=True):
    """An address or a network in CIDR notation, canonical; host bits set are
    refused with the network they probably meant (unless not ``strict``)."""
    import ipaddress

    text = as_str(errs, where, value, what, 64, numbers=False)
    if text is None:
        return None
    text = text.strip()
    if "%" in text:
        errs.append(f"{where}: {show(value)} is not a {what}; a zone ID (%...) is not allowed")
        return None
    try:
        return str(ipaddress.ip_network(text, strict=strict))
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        errs.append(
            f"{where}: {show(value)} is not an IP address or network in CIDR notation "
            "(for example 192.0.2.0/24 or 2001:db8::/64)"
        )
        return None
    errs.append(f"{where}: {text} has host bits set; did you mean {loose}?")
    return None


def as_port(errs, where, value, what="port"):
    return as_int(errs, where, value, 1, 65535, f" ({what})")


def is_email(address):
    """A plain address local@domain.example (no display name, no comments):
    the unreserved characters of a dot-atom, as s-nail would otherwise read
    | / ! as pipes, files or commands."""
    if not isinstance(address, str) or len(address) > 254 or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    if not local or len(local) > 64 or not _EMAIL_LOCAL_RE.fullmatch(local):
        return False
    return is_hostname(domain) and "." in domain.strip(".")


def as_email(errs, where, value, what="e-mail address"):
    text = as_str(errs, where, value, what, 254)
    if text is None:
        return None
    if not is_email(text):
        errs.append(f"{where}: {show(value)} is not an {what} (like ops@example.com)")
        return None
    return text


# --------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------

# What a first guess tries: the defaults of the original articles and of
# vendor appliances, and the most common passwords of public breach lists
# (compared case-insensitively). Small on purpose: the point is to stop the
# values people copy from a how-to, not to replace a password policy.
COMMON_SECRETS = frozenset(
    """
    123456 1234567 12345678 123456789 1234567890 0123456789 987654321 654321 123123
    123321 112233 121212 101010 123qwe qwe123 1q2w3e 1q2w3e4r 1q2w3e4r5t zaq12wsx
    qwerty qwertz azerty qwertyui qwertyuiop asdfgh asdfghjk asdfghjkl zxcvbn zxcvbnm
    password password1 password12 password123 passw0rd p@ssw0rd p@ssword pass1234
    passwd admin admin1 admin12 admin123 admin1234 administrator root toor root123
    changeme changeit change_me secret secret1 secret12 secret123 secrete default
    letmein welcome welcome1 monkey dragon master iloveyou sunshine princess football
    baseball trustno1 abc123 abcd1234 abcdefg abcdefgh test test1234 testtest guest
    user1234 login haproxy haproxy1 keepalived keepalive vrrp vrrppass stats
    stats123 loadbalancer mypassword yourpassword nopassword 00000000 88888888
    """.split()
)
MIN_SECRET = 8


def _sequence(text):
    """True for a run of consecutive characters (abcdef, 12345678, 87654321)."""
    if len(text) < 3:
        return False
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def weak_secret(text, min_len=MIN_SECRET):
    """Why a secret is too weak to use, or None."""
    if len(text) < min_len:
        return f"is shorter than {min_len} characters"
    if len(set(text)) == 1:
        return "is one character repeated"
    if text.lower() in COMMON_SECRETS:
        return "is on the list of common passwords"
    if _sequence(text.lower()):
        return "is a run of consecutive characters"
    return None


def check_secret(errs, warns, where, text, allow_weak=False, min_len=MIN_SECRET, advice=""):
    """Refuse (or, with ``allow_weak``, warn about) a weak secret; the message
    never holds it. ``advice`` is added to the message."""
    if not isinstance(text, str) or not text:
        return
    reason = weak_secret(text, min_len)
    if reason is None:
        return
    message = f"{where}: the password {reason}" + (f"; {advice}" if advice else "")
    if allow_weak:
        warns.append(f"{message} (accepted because weak secrets are allowed, for a lab)")
    else:
        errs.append(
            f"{message}. Use a long random one (from Ansible Vault), or set "
            "halb_allow_weak_secrets: true in a lab"
        )


# --------------------------------------------------------------------------
# Only our error class leaves a model
# --------------------------------------------------------------------------

INTERNAL_ERROR = "could not be read (internal error"


def only_config_errors(error_class, var):
    """Decorator: any exception other than a ConfigError becomes an
    ``error_class`` naming ``var``. A backstop only: the readers above report
    every problem they know; the property tests fail on INTERNAL_ERROR."""

    def wrap(func):
        import functools

        @functools.wraps(func)
        def inner(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except ConfigError:
                raise
            except Exception as exc:  # noqa: BLE001 - the point of the backstop
                raise error_class(
                    [f"{var}: {INTERNAL_ERROR}: {type(exc).__name__}); check its types"]
                ) from None

        return inner

    return wrap


# --------------------------------------------------------------------------
# Role variables that reach files outside the models (units, scripts, rules)
# --------------------------------------------------------------------------

KINDS = {
    "text": as_text,
    "word": as_word,
    "name": as_name,
    "file_name": as_file_name,
    "user": as_user,
    "interface": as_interface,
    "path": as_path,
    "directory": lambda e, w, v: as_path(e, w, v, "directory", directory=True),
    "hostname": as_hostname,
    "ip": as_ip,
    "host": as_host,
    "network": as_network,
    "port": as_port,
    "email": as_email,
}


# Kinds with bounds: the options of value_errors give "min" and "max".
RANGED_KINDS = {"int": as_int, "number": as_number}


def value_errors(spec):
    """Check role variables by kind before they reach a file.

    ``spec`` maps a variable name to ``[kind, value]`` or ``[kind, value,
    {"optional": true, "list": true}]``; the kinds are the keys of KINDS,
    and of RANGED_KINDS with ``{"min": lo, "max": hi}`` in the options.
    Returns every problem, each naming its variable (list entries as
    ``name[index]``)."""
    errs = []
    if not isinstance(spec, dict):
        return ["value_errors: expected a mapping of variable name to [kind, value]"]
    for var, item in spec.items():
        if not isinstance(item, (list, tuple)) or len(item) not in (2, 3):
            errs.append(f"{var}: internal: expected [kind, value] or [kind, value, options]")
            continue
        kind, value = item[0], item[1]
        opts = item[2] if len(item) == 3 and isinstance(item[2], dict) else {}
        reader = KINDS.get(kind)
        if kind in RANGED_KINDS:
            lo, hi = opts.get("min"), opts.get("max")
            if not all(is_int(b) or isinstance(b, float) for b in (lo, hi)):
                errs.append(f"{var}: internal: kind {kind} needs min and max")
                continue
            reader = functools.partial(RANGED_KINDS[kind], lo=lo, hi=hi)
        if reader is None:
            errs.append(f"{var}: internal: unknown kind {show(kind)}")
            continue
        if value is None or value == "":
            if not opts.get("optional"):
                errs.append(f"{var}: required")
            continue
        if opts.get("list"):
            for j, element in enumerate(as_list(errs, var, value)):
                if element is None:
                    errs.append(f"{var}[{j}]: required (null in a list)")
                else:
                    reader(errs, f"{var}[{j}]", element)
        else:
            reader(errs, var, value)
    return errs
