# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lint rules for a hand-built keepalived.conf / haproxy.cfg being adopted.

The input is what the import parsers (``_keepalived_import.parse``,
``_haproxy_import.parse``) put into ``variables``: the MODEL input of
``_keepalived`` / ``_haproxy``, NOT normalized, so any value may be one the
model refuses. Nothing here raises: every function returns a list of
findings::

    {"rule": "<id>", "severity": "error" | "warning",
     "variable": "<variable path, as the models' messages name it>",
     "message": "<what, why it matters, what to do>",
     "origin": "<file>:<line>"}          # only when ``origins`` knows it

``lint_keepalived(variables, files=None, origins=None, sysctl=None)``
    one host's keepalived variables. ``files`` maps every path the
    configuration runs to what the host says of it: ``{"exists": bool,
    "content": text or None, "mode": "0755", "owner": "root"}`` (rules
    script-missing, check-script-repairs in the script's text, script-as-root
    for writable scripts); without it those parts are skipped. ``sysctl``
    maps kernel settings to their values (rule ip-forward).
``lint_haproxy(variables, origins=None)``
    one host's HAProxy variables.
``lint_pair({host: keepalived variables}, origins_by_host=None)``
    what only the two nodes together show: equal-priorities, pair-mismatch,
    weight-cannot-move.

What one host's file cannot show: the peer's priority, so
``weight-cannot-move`` reports only weights keepalived ignores (instances in
a sync group) from ``lint_keepalived``; the priority gap is ``lint_pair``'s.

Besides the rules, every error and warning of the models' own checks is a
finding (``model-error`` / ``model-warning``, normalized with weak secrets
allowed so that weak passwords are the ``weak-password`` rule's), except
where a rule above already reports the same thing about the same variable.

A check that *repairs* (rule ``check-script-repairs``) is a command that
starts, restarts or reloads a service: ``systemctl start|restart|reload|
try-restart|reload-or-restart|force-reload|condrestart|enable --now``,
``service NAME ACTION``, ``/etc/init.d/NAME ACTION``, ``invoke-rc.d``,
``rc-service``, ``start-stop-daemon --start``, ``supervisorctl``,
``docker|podman start|restart``, ``haproxy``/``keepalived`` launched
(``-f``, ``-D``, ``-W``, ``-Ws``, ``-sf``, ``-st``; not ``-c``/``-v``), and
``kill``/``killall``/``pkill`` with SIGHUP or SIGUSR2 (the reload signals of
keepalived, HAProxy's master and most daemons). ``killall -0``, ``pidof``,
``systemctl is-active``, ``curl`` ... only read and never fire. Commands are
found after ``;``, ``&&``, ``||``, ``|``, ``$(``, in ``sh -c '...'`` and after
wrappers (``sudo``, ``timeout 3``, ``nice``, ``env X=1`` ...), on the
vrrp_script's command line and in the text of the programs it runs (from
``files``), and of the programs those run in turn, at most 3 levels.

``paths_to_read(variables, files=None)`` says which paths those rules would
read and ``files`` lacks yet (the programs and interpreted scripts the
checks and hooks run, then the programs a known check script runs): a
caller reads them and asks again until it answers ``[]``.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy import (
    REDACTED,
    VAR_NAMES as _HA_VAR_NAMES,
    normalize as _ha_normalize,
    secrets as _ha_secrets,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    _REMOVED,
    _label as _ha_label,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._directives import (
    _ADMIN_TRUE_WARNING,
    _HTTPCLOSE_WARNING,
    _REMOVED_OPTIONS,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._grammar import _scan
from ansible_collections.halb.cluster.plugins.module_utils._keepalived import (
    VAR_NAMES as _KA_VAR_NAMES,
    normalize as _ka_normalize,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    ConfigError,
    label as _ka_label,
    show,
    weak_secret,
)
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_cluster import cluster_errors

__all__ = ["RULES", "lint_keepalived", "lint_haproxy", "lint_pair", "paths_to_read"]

RULES = (
    "check-script-repairs",
    "script-missing",
    "script-as-root",
    "equal-priorities",
    "weight-cannot-move",
    "pair-mismatch",
    "vip-without-dev",
    "interface-list",
    "removed-directive",
    "option-httpclose",
    "verify-none",
    "weak-password",
    "unused-backend",
    "stats-admin-true",
    "ip-forward",
    "model-error",
    "model-warning",
)
SEVERITIES = ("error", "warning")

_NOTIFY_KEYS = ("notify", "notify_master", "notify_backup", "notify_fault", "notify_stop")
_MAX_MESSAGE = 600
_MAX_CONTENT = 65536
_MAX_DEPTH = 3

# Set by the tests: a rule that raises then fails the test instead of being skipped.
_STRICT = False


# --------------------------------------------------------------------------
# Small tolerant readers: the variables are unchecked, so each returns a safe
# default for anything unexpected.
# --------------------------------------------------------------------------


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return list(value) if isinstance(value, (list, tuple)) else []


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**9 else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 10**9:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,9}", value.strip()):
        return int(value.strip())
    return None


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if abs(value) < 10**9 else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,6})?", value.strip()):
        return float(value.strip())
    return None


def _flag(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1", "")
    return False


_SAFE_RE = re.compile(r"^[A-Za-z0-9_/][A-Za-z0-9_.:@+/-]{0,127}$")


def _name(value):
    """A value for a message: as is when it is a plain short word, else show()."""
    if isinstance(value, str) and _SAFE_RE.fullmatch(value):
        return value
    return show(value, 40)


def _hosts(hosts):
    return ", ".join(_name(h) for h in hosts)


def _finding(rule, severity, variable, message, covers=None):
    found = {"rule": rule, "severity": severity, "variable": variable, "message": message}
    if covers:
        found["_covers"] = covers
    return found


def _clean_text(text, limit=_MAX_MESSAGE):
    text = CONTROL_RE.sub(" ", str(text))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _origin(origins, variable):
    """The origin of the longest key of ``origins`` that ``variable`` starts with."""
    if not isinstance(origins, dict):
        return None
    best = None
    for key, value in origins.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key:
            continue
        if variable == key or (
            variable.startswith(key) and variable[len(key) : len(key) + 1] in (".", "[")
        ):
            if best is None or len(key) > len(best[0]):
                best = (key, value)
    return None if best is None else _clean_text(best[1], 300)


def _finish(findings, origins):
    """Well-formed findings: cleaned texts, the origin when known, no duplicates."""
    out = []
    seen = set()
    for found in findings:
        item = {
            "rule": found["rule"],
            "severity": found["severity"],
            "variable": _clean_text(found["variable"], 300) or "configuration",
            "message": _clean_text(found["message"]),
        }
        origin = _origin(origins, item["variable"])
        if origin:
            item["origin"] = origin
        key = (item["rule"], item["variable"], item["message"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _guard(func, *args):
    """Run one rule; a rule that breaks on some odd value reports nothing
    rather than taking the whole lint down (the tests run strict)."""
    try:
        return list(func(*args))
    except Exception:  # noqa: BLE001 - a lint never raises
        if _STRICT:
            raise
        return []


# --------------------------------------------------------------------------
# Model findings
# --------------------------------------------------------------------------


def _split_message(message, default):
    """(variable, message) of a model message ``variable: text``; the
    variable is the part before the first ': ' outside brackets."""
    depth = 0
    for i, char in enumerate(message):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == ":" and depth == 0 and message[i + 1 : i + 2] == " ":
            head = message[:i]
            if head and " " not in head.split("[")[0]:
                return head, message
            return default, message
    return default, message


def _model(messages, severity, default):
    rule = "model-error" if severity == "error" else "model-warning"
    out = []
    for message in messages:
        if not isinstance(message, str):
            continue
        variable, text = _split_message(message, default)
        out.append(_finding(rule, severity, variable, text))
    return out


_RANK = {"error": 2, "warning": 1}


def _merge(specific, model):
    """The rules' findings, then the model's not already said by a rule about
    the same variable with at least the same severity."""
    out = list(specific)
    for found in model:
        covered = any(
            s["variable"] == found["variable"]
            and _RANK[s["severity"]] >= _RANK[found["severity"]]
            and any(marker in found["message"] for marker in s.get("_covers", ()))
            for s in specific
        )
        if not covered:
            out.append(found)
    return out


def _scrub(findings, secrets):
    """The model's messages with any password of the input hidden (a
    safety net: the models' messages are not meant to hold one)."""
    secrets = sorted({x for x in secrets if isinstance(x, str) and len(x) >= 4}, key=len)
    for found in findings:
        for secret in reversed(secrets):
            if secret in found["message"]:
                found["message"] = found["message"].replace(secret, REDACTED)
    return findings


def _keepalived_secrets(variables):
    found = [_auth_password(inst) for _where, inst in _entries(variables, "instances")]
    # An auth_pass line kept verbatim (in an extra list) holds one too.
    data = _dict(variables)
    blocks = [_dict(data.get("global_defs"))] + [
        item
        for section in ("scripts", "instances", "sync_groups")
        for _w, item in _entries(data, section)
    ]
    for block in blocks:
        for line in _list(block.get("extra")):
            words = line.split() if isinstance(line, str) else []
            found.extend(words[k + 1] for k, w in enumerate(words[:-1]) if w == "auth_pass")
    return found


def _haproxy_secrets(variables):
    found = list(_ha_secrets(variables))
    for _var, words in _extra_lines(variables):
        lowered = [w.lower() for w in words]
        if lowered[:2] == ["stats", "auth"] and len(words) > 2:
            found.append(words[2].partition(":")[2])
        for k, word in enumerate(lowered[:-1]):
            if word in ("password", "insecure-password"):
                found.append(words[k + 1])
    return found


def _keepalived_model(variables):
    warns = []
    try:
        _ka_normalize(variables, allow_weak_secrets=True, warnings=warns)
    except ConfigError as exc:
        return _model(list(exc.errors), "error", "keepalived configuration")
    return _model(warns, "warning", "keepalived configuration")


def _haproxy_model(variables):
    try:
        _config, warns = _ha_normalize(variables, allow_weak_secrets=True)
    except ConfigError as exc:
        return _model(list(exc.errors), "error", "haproxy configuration")
    return _model(warns, "warning", "haproxy configuration")


# --------------------------------------------------------------------------
# Commands that repair instead of reporting
# --------------------------------------------------------------------------

_SEPARATORS = re.compile(r"\|\||&&|\$\(|[;&|\n()`{}]")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_KEYWORDS = frozenset(
    ("if", "then", "else", "elif", "do", "while", "until", "!", "fi", "done", "esac", "in")
)
# Programs that run the command after them, with their options that take a value
# and how many positional arguments come before the command.
_WRAPPERS = {
    "sudo": ({"-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t", "-D", "-R", "-T"}, 0),
    "doas": ({"-u", "-C"}, 0),
    "runuser": ({"-u", "-g", "-G"}, 0),
    "env": ({"-u", "-C", "-S", "--unset", "--chdir"}, 0),
    "nice": ({"-n", "--adjustment"}, 0),
    "ionice": ({"-c", "-n", "-p", "--class", "--classdata"}, 0),
    "timeout": ({"-s", "-k", "--signal", "--kill-after"}, 1),
    "stdbuf": ({"-i", "-o", "-e"}, 0),
    "chrt": (set(), 1),
    "taskset": (set(), 1),
    "flock": ({"-w", "-E", "--timeout", "--conflict-exit-code"}, 1),
    "nohup": (set(), 0),
    "exec": (set(), 0),
    "command": (set(), 0),
    "builtin": (set(), 0),
    "time": (set(), 0),
    "setsid": (set(), 0),
    "xargs": ({"-n", "-I", "-P", "-L", "-d", "-s", "-E"}, 0),
}
_SHELLS = frozenset(("sh", "bash", "dash", "ash", "zsh", "ksh", "busybox", "su"))
_SYSTEMCTL_VALUE_OPTIONS = frozenset(
    ("-p", "--property", "-t", "--type", "-s", "--signal", "-H", "--host", "-M", "--machine")
    + ("-n", "--lines", "-o", "--output", "--state", "--kill-whom", "--job-mode", "--root")
    + ("--what", "--timestamp", "--boot-loader-entry", "--reboot-argument")
)
_SYSTEMCTL_REPAIRS = frozenset(
    (
        "start",
        "restart",
        "reload",
        "try-restart",
        "reload-or-restart",
        "try-reload-or-restart",
        "reload-or-try-restart",
        "force-reload",
        "condrestart",
    )
)
_INIT_ACTIONS = frozenset(
    ("start", "restart", "reload", "force-reload", "try-restart", "condrestart")
    + ("reload-or-restart", "force-restart")
)
_RELOAD_SIGNALS = frozenset(("HUP", "SIGHUP", "USR2", "SIGUSR2", "1", "12"))
_DAEMON_CHECK_OPTIONS = frozenset(
    ("-c", "-v", "-vv", "-V", "--version", "-t", "--config-test", "-h", "--help")
)
_DAEMON_LAUNCH_OPTIONS = frozenset(
    ("-f", "-D", "-W", "-Ws", "-sf", "-st", "-x", "--use-file", "--dont-fork")
)
_WORD_RE = re.compile(r"[^A-Za-z0-9_.@:/+-]")


def _word(text):
    """A word of a command for a message: only harmless characters, short."""
    return _WORD_RE.sub("", text)[:60]


def _strip_wrappers(words):
    i = 0
    while i < len(words):
        word = words[i]
        base = posixpath.basename(word)
        if word in _KEYWORDS or _ASSIGN.match(word):
            i += 1
            continue
        if base in _WRAPPERS:
            options, positional = _WRAPPERS[base]
            i += 1
            while i < len(words):
                arg = words[i]
                if arg == "--":
                    i += 1
                    break
                if arg.startswith("-") and len(arg) > 1:
                    i += 2 if arg in options else 1
                    continue
                if _ASSIGN.match(arg) and base in ("env", "sudo"):
                    i += 1
                    continue
                if positional:
                    positional -= 1
                    i += 1
                    continue
                break
            continue
        return words[i:]
    return []


def _plain_args(args, value_options=frozenset()):
    out = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-") and len(arg) > 1:
            skip = arg in value_options
            continue
        out.append(arg)
    return out


def _signals_of(args):
    """The signals a kill, killall or pkill command line names."""
    out = []
    for k, arg in enumerate(args):
        if arg in ("-s", "--signal", "-n") and k + 1 < len(args):
            out.append(args[k + 1].upper())
        elif arg.startswith("--signal="):
            out.append(arg.split("=", 1)[1].upper())
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            # kill -9 -1: a number after the first argument is a process (group).
            if k == 0 or not arg[1:].isdigit():
                out.append(arg[1:].upper())
    return out


def _repair(words, depth):
    """What the command ``words`` does that repairs, as a short text, or None."""
    cmd = _strip_wrappers(words)
    if not cmd:
        return None
    prog, args = cmd[0], cmd[1:]
    base = posixpath.basename(prog)
    plain = _plain_args(args)
    if base in _SHELLS:
        for k, arg in enumerate(args):
            if re.fullmatch(r"-[a-z]*c[a-z]*", arg) and depth < _MAX_DEPTH:
                found = _scan_commands(" ".join(args[k + 1 :]), depth + 1)
                return found[0][1] if found else None
        return None
    if base == "systemctl":
        verbs = _plain_args(args, _SYSTEMCTL_VALUE_OPTIONS)
        if verbs and (verbs[0] in _SYSTEMCTL_REPAIRS or (verbs[0] == "enable" and "--now" in args)):
            unit = f" {_word(verbs[1])}" if len(verbs) > 1 else ""
            return f"systemctl {verbs[0]}{unit}"
        return None
    if base in ("service", "rc-service", "invoke-rc.d"):
        if len(plain) >= 2 and plain[1] in _INIT_ACTIONS:
            return f"{base} {_word(plain[0])} {plain[1]}"
        return None
    if prog.startswith(("/etc/init.d/", "/etc/rc.d/")) and plain and plain[0] in _INIT_ACTIONS:
        return f"{_word(prog)} {plain[0]}"
    if base == "start-stop-daemon" and ("--start" in args or "-S" in args):
        return "start-stop-daemon --start"
    if base == "supervisorctl" and plain and plain[0] in ("start", "restart", "reload", "update"):
        return f"supervisorctl {plain[0]}"
    if base in ("docker", "podman") and plain and plain[0] in ("start", "restart"):
        return f"{base} {plain[0]}"
    if base in ("haproxy", "keepalived"):
        if any(a in _DAEMON_CHECK_OPTIONS for a in args):
            return None
        if base == "keepalived" or any(a in _DAEMON_LAUNCH_OPTIONS for a in args):
            return f"{base} " + " ".join(_word(a) for a in args[:3]) if args else base
        return None
    if base in ("kill", "killall", "pkill"):
        signal = next((s for s in _signals_of(args) if s in _RELOAD_SIGNALS), None)
        if signal:
            target = f" {_word(plain[0])}" if plain else ""
            return f"{base} -{signal}{target} (a reload signal)"
    return None


def _logical_lines(text):
    """(line number, text) of a shell text, comments cut and continued lines joined."""
    out = []
    pending, start = "", 0
    for number, line in enumerate(text.split("\n"), 1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        line = re.sub(r"(^|\s)#.*$", "", line)
        if line.strip():
            out.append((start, line))
    if pending.strip():
        out.append((start, pending))
    return out


def _scan_commands(text, depth=0):
    """[(line number, what)] for every repairing command of a shell text."""
    found = []
    for number, line in _logical_lines(text):
        for part in _SEPARATORS.split(line):
            words = _words(part)
            if not words:
                continue
            what = _repair(words, depth)
            if what:
                found.append((number, what))
    return found


def _file(files, path):
    entry = files.get(path) if isinstance(files, dict) else None
    return entry if isinstance(entry, dict) else None


_NOT_WORDS = re.compile(r"[\"',\[\]]")


def _words(part):
    """The words of a command: quotes, commas and brackets are spaces (so a
    Python check's ["systemctl", "restart", "haproxy"] reads as a command),
    redirections are left out."""
    return [w for w in _NOT_WORDS.sub(" ", part).split() if not re.match(r"^[0-9]*[<>]", w)]


def _is_interpreter(base):
    return base in _SHELLS or base.startswith(("python", "perl", "ruby", "php"))


def _named_programs(text, depth=0):
    """The absolute paths a shell text runs: each command's program (after
    wrappers such as sudo or timeout) and the script an interpreter runs
    (``/bin/bash /etc/keepalived/check.sh``, ``sh -c '/usr/local/bin/x'``)."""
    out = []
    for _number, line in _logical_lines(text):
        for part in _SEPARATORS.split(line):
            words = _words(part)
            if words and words[0].startswith("/"):
                out.append(words[0])  # a wrapper too: keepalived runs it
            cmd = _strip_wrappers(words)
            if not cmd:
                continue
            if cmd[0].startswith("/"):
                out.append(cmd[0])
            if not _is_interpreter(posixpath.basename(cmd[0])):
                continue
            for k, arg in enumerate(cmd[1:], 1):
                if re.fullmatch(r"-[a-z]*c[a-z]*", arg):
                    if depth < _MAX_DEPTH:
                        out.extend(_named_programs(" ".join(cmd[k + 1 :]), depth + 1))
                    break
                if arg.startswith("-"):
                    continue
                if arg.startswith("/"):
                    out.append(arg)
                break
    return list(dict.fromkeys(out))


def _script_texts(command, files, depth=0, seen=None):
    """(path, text, level) of the scripts a command runs whose text the host
    gave, and of the programs those run in turn (levels 0 to _MAX_DEPTH - 1)."""
    seen = set() if seen is None else seen
    out = []
    for path in _named_programs(command)[:16]:
        entry = _file(files, path)
        content = entry.get("content") if entry else None
        if path in seen or not isinstance(content, str):
            continue
        content = content[:_MAX_CONTENT]
        if "\x00" in content:
            continue  # a binary program: nothing to read
        seen.add(path)
        out.append((path, content, depth))
        if depth + 1 < _MAX_DEPTH:
            out.extend(_script_texts(content, files, depth + 1, seen))
    return out


_MAX_WANTED = 64


def paths_to_read(variables, files=None):
    """The absolute paths whose facts the rules would use and ``files`` does
    not hold yet: every program (and interpreted script) the checks and hooks
    run and, through the texts already in ``files``, the programs a check's
    script runs in turn. A caller reads them ({exists, content, mode, owner})
    and asks again, until the answer is empty (at most _MAX_DEPTH rounds)."""
    files = files if isinstance(files, dict) else {}
    wanted = []
    try:
        for _var, command, _user, kind, _at in _runners(variables):
            wanted.extend(_named_programs(command)[:4])
            if kind == "check":
                for _path, text, level in _script_texts(command, files):
                    if level + 1 < _MAX_DEPTH:
                        wanted.extend(_named_programs(text)[:16])
    except Exception:  # noqa: BLE001 - a lint never raises
        if _STRICT:
            raise
    return [p for p in dict.fromkeys(wanted) if p not in files][:_MAX_WANTED]


# --------------------------------------------------------------------------
# keepalived rules
# --------------------------------------------------------------------------

_KA = _KA_VAR_NAMES


def _entries(variables, section):
    """(label, entry) of the mappings of a keepalived list section."""
    out = []
    for i, item in enumerate(_list(_dict(variables).get(section))):
        if isinstance(item, dict):
            out.append((_ka_label(_KA[section], i, item), item))
    return out


def _command_of(value):
    if isinstance(value, dict):
        value = value.get("script")
    return value if isinstance(value, str) else None


def _rule_repairs(variables, files):
    for where, script in _entries(variables, "scripts"):
        command = _command_of(script.get("script"))
        if not command:
            continue
        var = f"{where}.script"
        found = _scan_commands(command)
        if found:
            yield _finding(
                "check-script-repairs",
                "error",
                var,
                f"{var}: the check runs {found[0][1]}, so it repairs instead of reporting: "
                "a dead HAProxy is started again by the check, the check passes and the VIP "
                "never moves (and a HAProxy that keeps dying flaps on the MASTER); make the "
                "check only test (killall -0 haproxy, or systemctl is-active --quiet haproxy) "
                "and let its weight or FAULT move the VIP, and leave restarts to systemd",
            )
            continue
        for path, text, _level in _script_texts(command, files):
            found = _scan_commands(text)
            if found:
                line, what = found[0]
                yield _finding(
                    "check-script-repairs",
                    "error",
                    var,
                    f"{var}: the script it runs, {_name(path)}, runs {what} (line {line}), so "
                    "the check repairs instead of reporting: a dead HAProxy is started again, "
                    "the check passes and the VIP never moves; make the script only test "
                    "(exit non-zero when HAProxy is down) and leave restarts to systemd",
                )
                break


def _runners(variables):
    """(variable, command, own user, kind) of every vrrp_script and notify hook."""
    out = []
    for where, script in _entries(variables, "scripts"):
        command = _command_of(script.get("script"))
        if command:
            out.append((f"{where}.script", command, script.get("user"), "check", where))
    for section in ("instances", "sync_groups"):
        for where, obj in _entries(variables, section):
            for key in _NOTIFY_KEYS:
                hook = obj.get(key)
                command = _command_of(hook)
                if command:
                    user = hook.get("user") if isinstance(hook, dict) else None
                    out.append((f"{where}.{key}", command, user, "hook", f"{where}.{key}"))
    return out


def _rule_missing(variables, files):
    if not isinstance(files, dict):
        return
    for var, command, _user, kind, _at in _runners(variables):
        for path in _named_programs(command)[:4]:
            entry = _file(files, path)
            if entry is None or entry.get("exists") is not False:
                continue
            if kind == "check":
                why = (
                    "keepalived disables a check it cannot find (it logs 'Disabling track "
                    "script ... since not found'), so the VIP never moves when what it "
                    "checks dies"
                )
            else:
                why = "keepalived cannot run the hook, so the state change it should report goes unnoticed"
            yield _finding(
                "script-missing",
                "error",
                var,
                f"{var}: {_name(path)} does not exist on this host; {why}: install it "
                "there or fix the path",
            )
            break


def _is_root(user):
    return user is None or user == "root"


def _rule_root(variables, files):
    gdefs = _dict(_dict(variables).get("global_defs"))
    runners = _runners(variables)
    if not runners:
        return
    gvar = _KA["global_defs"]
    if not ("enable_script_security" in gdefs and _flag(gdefs["enable_script_security"])):
        yield _finding(
            "script-as-root",
            "warning",
            f"{gvar}.enable_script_security",
            f"{gvar}.enable_script_security: not set, so keepalived runs checks and hooks "
            "even when a user other than root can change them or a directory on their path, "
            "which gives that user root; set enable_script_security and keep the scripts "
            "owned by root and not writable by others",
        )
    global_user = gdefs.get("script_user") if isinstance(gdefs.get("script_user"), str) else None
    global_user = (global_user.split() or [None])[0] if global_user else None
    as_root = []
    for _var, _command, user, _kind, at in runners:
        if isinstance(user, str) and user.strip() == "root":
            yield _finding(
                "script-as-root",
                "warning",
                f"{at}.user",
                f"{at}.user: root, so this check or hook runs as root although it only needs "
                "to read state; run it as an unprivileged user (script_user in global_defs, "
                "the role creates keepalived_script)",
                ("scripts run as root",),
            )
        elif not (isinstance(user, str) and user.strip()) and _is_root(global_user):
            as_root.append(at)
    if as_root:
        listed = ", ".join(as_root[:3]) + (
            f" and {len(as_root) - 3} more" if len(as_root) > 3 else ""
        )
        how = "is root" if global_user == "root" else "is not set"
        yield _finding(
            "script-as-root",
            "warning",
            f"{gvar}.script_user",
            f"{gvar}.script_user: {how}, so {listed} run as root (unless a user "
            "keepalived_script exists on the host); a check that reads HAProxy's state "
            "needs no root: set script_user to an unprivileged user",
            ("scripts run as root",),
        )
    if isinstance(files, dict):
        for var, command, _user, _kind, _at in runners:
            for path in _named_programs(command)[:4]:
                entry = _file(files, path)
                if not entry or entry.get("exists") is False:
                    continue
                owner, mode = entry.get("owner"), entry.get("mode")
                try:
                    writable = int(str(mode), 8) & 0o022 if mode is not None else 0
                except ValueError:
                    writable = 0
                if (isinstance(owner, str) and owner != "root") or writable:
                    who = (
                        f"owned by {_name(owner)}"
                        if isinstance(owner, str) and owner != "root"
                        else "writable by group or others"
                    )
                    yield _finding(
                        "script-as-root",
                        "error",
                        var,
                        f"{var}: {_name(path)} is {who}, and keepalived runs it (as root unless "
                        "script_user says otherwise): whoever can change it runs commands as "
                        "root, and with enable_script_security keepalived refuses it; chown "
                        "root and chmod go-w it",
                    )
                    break


def _vips(inst):
    return _list(inst.get("virtual_ipaddresses"))


def _rule_vip_dev(variables):
    for where, inst in _entries(variables, "instances"):
        for j, vip in enumerate(_vips(inst)):
            at = f"{where}.virtual_ipaddresses[{j}]"
            if isinstance(vip, dict):
                has_dev = isinstance(vip.get("dev"), str) and vip.get("dev").strip()
            elif isinstance(vip, str):
                has_dev = " dev " in f" {vip} "
            else:
                continue
            if has_dev:
                continue
            iface = inst.get("interface")
            on = f"the instance's interface {_name(iface)}" if iface else "the instance's interface"
            yield _finding(
                "vip-without-dev",
                "warning",
                f"{at}.dev",
                f"{at}.dev: not set, so keepalived puts the address on {on}, which is easy "
                "to get wrong when the VIP belongs to another network (a public and an "
                "internal VIP); write dev so the file says where the address lives",
            )


def _rule_interface_list(variables):
    for where, inst in _entries(variables, "instances"):
        iface = inst.get("interface")
        if isinstance(iface, str) and (len(iface.split()) > 1 or "," in iface):
            yield _finding(
                "interface-list",
                "error",
                f"{where}.interface",
                f"{where}.interface: {show(iface, 40)} names more than one interface; "
                "keepalived reads only the first word and runs VRRP there, so the second is "
                "silently ignored: keep one interface and put VIPs of other networks on "
                "their dev, or add an instance",
                ("names more than one interface",),
            )


def _tracked(inst, key):
    """(index, name, own weight or None) of an instance's tracked entries."""
    out = []
    for j, entry in enumerate(_list(inst.get(key))):
        if isinstance(entry, str):
            out.append((j, entry, None))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            out.append((j, entry["name"], _int(entry.get("weight"))))
    return out


_DEFINED = {"track_scripts": "scripts", "track_files": "track_files"}


def _weight(variables, key, name, own):
    """The weight a tracked entry applies and the variable that sets it."""
    if own is not None:
        return own, None
    if key == "track_interfaces":
        return 0, None
    for where, defined in _entries(variables, _DEFINED[key]):
        if defined.get("name") == name:
            weight = _int(defined.get("weight"))
            return (0 if weight is None else weight), f"{where}.weight"
    return 0, None


def _weights(variables, inst, where):
    """(variable, tracked name, weight, kind) of every tracked entry of an instance."""
    out = []
    for key in ("track_scripts", "track_files", "track_interfaces"):
        for j, name, own in _tracked(inst, key):
            weight, source = _weight(variables, key, name, own)
            var = f"{where}.{key}[{j}].weight" if source is None else source
            out.append((var, name, weight, key, j))
    return out


def _sync_members(variables):
    """instance name -> (group label, whether the group honours weights)."""
    out = {}
    for where, group in _entries(variables, "sync_groups"):
        honours = any(
            isinstance(line, str) and line.split()[:1] == ["sync_group_tracking_weight"]
            for line in _list(group.get("extra"))
        )
        for member in _list(group.get("group")):
            if isinstance(member, str):
                out.setdefault(member, (where, _name(group.get("name")), honours))
    return out


def _rule_sync_weights(variables):
    members = _sync_members(variables)
    for where, inst in _entries(variables, "instances"):
        name = inst.get("name")
        group = members.get(name) if isinstance(name, str) else None
        if group is None or group[2]:
            continue
        for source, tracked, weight, key, j in _weights(variables, inst, where):
            if not weight:
                continue
            what = "interface" if key == "track_interfaces" else "check"
            # The variable the model's own message names.
            var = source if key == "track_interfaces" else f"{where}.{key}[{j}]"
            yield _finding(
                "weight-cannot-move",
                "error",
                var,
                f"{var}: the {what} {_name(tracked)} has weight {weight} ({source}), but "
                f"{_name(inst.get('name'))} is in sync group {group[1]}, where keepalived "
                "ignores weighted tracking (it logs 'ignoring tracked script ... with weights "
                "due to SYNC group'), so its failure never moves the VIP: use weight 0 "
                "(FAULT, which moves the whole group)",
                ("ignores weighted checks", "ignores weights"),
            )


def _rule_ip_forward(sysctl):
    if not isinstance(sysctl, dict):
        return
    for key in ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"):
        value = sysctl.get(key, sysctl.get(key.replace(".", "/")))
        if _int(value) == 1 or value is True:
            yield _finding(
                "ip-forward",
                "warning",
                key,
                f"{key}: 1, but a proxy does not route packets, and with forwarding on the "
                "node keeps answering for the VIP's clients after a partition heals (measured: "
                "their stale ARP entries stay alive); set it to 0 unless this host also routes "
                "(HAProxy on the backup needs only net.ipv4.ip_nonlocal_bind=1)",
            )


def _auth_password(inst):
    auth = inst.get("authentication")
    return auth.get("password") if isinstance(auth, dict) else None


def _rule_ka_weak(variables):
    for where, inst in _entries(variables, "instances"):
        password = _auth_password(inst)
        if not isinstance(password, str) or not password:
            continue
        reason = weak_secret(password[:8], 8)
        if reason:
            var = f"{where}.authentication.password"
            yield _finding(
                "weak-password",
                "error",
                var,
                f"{var}: the VRRP password {reason} (keepalived uses only its first 8 "
                "characters), and our roles refuse it unless weak secrets are allowed; use 8 "
                "random printable characters from Ansible Vault, and remember PASS travels in "
                "clear text (AH or unicast peers behind the firewall protect better)",
                ("accepted because",),
            )


def lint_keepalived(variables, files=None, origins=None, sysctl=None):
    """The findings of one host's keepalived ``variables`` (see the module doc)."""
    specific = []
    for rule, args in (
        (_rule_repairs, (variables, files)),
        (_rule_missing, (variables, files)),
        (_rule_root, (variables, files)),
        (_rule_vip_dev, (variables,)),
        (_rule_interface_list, (variables,)),
        (_rule_sync_weights, (variables,)),
        (_rule_ka_weak, (variables,)),
        (_rule_ip_forward, (sysctl,)),
    ):
        specific.extend(_guard(rule, *args))
    model = _scrub(_guard(_keepalived_model, variables), _guard(_keepalived_secrets, variables))
    return _finish(_merge(specific, model), origins)


# --------------------------------------------------------------------------
# The pair
# --------------------------------------------------------------------------


def _instances_by_name(variables):
    out = {}
    for where, inst in _entries(variables, "instances"):
        name = inst.get("name")
        if isinstance(name, str) and where.endswith(f"[{name}]"):
            out.setdefault(name, inst)
    return out


def _vip_key(vip):
    if isinstance(vip, str):
        vip = {"address": vip.split()[0] if vip.split() else vip}
    if not isinstance(vip, dict):
        return show(vip, 40)
    address, prefix = vip.get("address"), vip.get("prefix")
    text = str(address).strip() if isinstance(address, (str, int)) else show(address, 40)
    try:
        if "/" in text:
            return str(ipaddress.ip_interface(text))
        if prefix is None:
            addr = ipaddress.ip_address(text)
            return f"{addr}/{addr.max_prefixlen}"
        return str(ipaddress.ip_interface(f"{text}/{int(prefix)}"))
    except (ValueError, TypeError):
        return show(text, 40)


def _version(inst):
    version = _int(inst.get("version"))
    if version is not None:
        return version
    keys = [_vip_key(v) for v in _vips(inst)]
    return 3 if keys and all(":" in k for k in keys) else 2


def _auth_key(inst):
    auth = inst.get("authentication")
    if not isinstance(auth, dict):
        return None
    kind = auth.get("type", "PASS")
    kind = kind.upper() if isinstance(kind, str) else show(kind, 20)
    password = auth.get("password")
    return (kind, password[:8] if isinstance(password, str) else None)


_PAIR_KEYS = (
    (
        "virtual_router_id",
        lambda i: _int(i.get("virtual_router_id")),
        "the nodes never hear each other's adverts and both become MASTER (split brain)",
    ),
    (
        "virtual_ipaddresses",
        lambda i: tuple(sorted(_vip_key(v) for v in _vips(i))),
        "after a fail-over the new MASTER does not carry the addresses only the other one "
        "lists (and VRRPv2 nodes may drop adverts whose addresses differ)",
    ),
    (
        "advert_int",
        lambda i: _number(i.get("advert_int", 1)),
        "keepalived drops adverts whose interval differs from its own, so both nodes become MASTER",
    ),
    (
        "version",
        _version,
        "VRRPv2 and VRRPv3 nodes do not accept each other's adverts, so both become MASTER",
    ),
)


def _show_value(value):
    if isinstance(value, tuple):
        return " ".join(_name(v) for v in value) or "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _name(value)


def _pair_mismatch(name, members):
    where = f"{_KA['instances']}[{name}]"
    for key, read, why in _PAIR_KEYS:
        values = {}
        for host, inst in members:
            values.setdefault(read(inst), []).append(host)
        if len(values) > 1:
            detail = "; ".join(f"{_hosts(h)}: {_show_value(v)}" for v, h in values.items())
            yield _finding(
                "pair-mismatch",
                "error",
                f"{where}.{key}",
                f"{where}.{key}: differs between the nodes ({detail}); {why}: set it the same "
                "on both",
            )
    auths = {}
    for host, inst in members:
        auths.setdefault(_auth_key(inst), []).append(host)
    if len(auths) > 1:
        kinds = {(k[0] if k else None) for k in auths}
        if len(kinds) > 1:
            detail = "; ".join(
                f"{_hosts(h)}: {(_name(k[0]) if k else 'none')}" for k, h in auths.items()
            )
        else:
            detail = "the passwords differ in their first 8 characters, the only ones compared"
        yield _finding(
            "pair-mismatch",
            "error",
            f"{where}.authentication",
            f"{where}.authentication: differs between the nodes ({detail}); a node drops the "
            "adverts that fail its authentication, so both become MASTER: set the same type "
            "and password on both",
        )


def _on(host, found):
    """A pair finding whose origin is looked up in ``host``'s origins."""
    found["_host"] = host
    return found


def _clamp(priority):
    return max(1, min(254, priority))


def _healthy(variables, inst, where):
    """An instance's priority with every check healthy (positive weights added)."""
    base = _int(inst.get("priority"))
    if base is None:
        return None
    bonus = sum(w for _v, _n, w, _k, _j in _weights(variables, inst, where) if w > 0)
    return _clamp(base + bonus) if bonus else base


def _pair_weights(name, members, variables_of):
    """weight-cannot-move for one instance of the pair."""
    where = f"{_KA['instances']}[{name}]"
    ranked = []
    for host, inst in members:
        healthy = _healthy(variables_of[host], inst, where)
        if healthy is not None:
            ranked.append((healthy, host, inst))
    if len(ranked) < 2:
        return
    ranked.sort(key=lambda r: -r[0])
    (p_top, top, inst), (p_next, second, second_inst) = ranked[0], ranked[1]
    second_weights = {
        (k, n): w for _v, n, w, k, _j in _weights(variables_of[second], second_inst, where)
    }
    for var, tracked, weight, key, _j in _weights(variables_of[top], inst, where):
        if weight == 0:
            continue
        after = _clamp(p_top - abs(weight))
        if after < p_next:
            continue
        what = "interface" if key == "track_interfaces" else "check"
        relation = "equal to" if after == p_next else "still above"
        tie = (
            " (on equal priorities keepalived elects the node with the higher IP address, "
            "which may be the sick one)"
            if after == p_next
            else ""
        )
        if weight < 0:
            advice = f"use a weight below -{p_top - p_next}, or 0 (FAULT)"
        elif second_weights.get((key, tracked), 0) < weight:
            advice = (
                f"a positive weight helps only the node whose {what} passes, so give "
                f"{_name(second)} the same {what} with the same weight, or use a negative "
                "weight or 0 (FAULT)"
            )
        else:
            base_gap = (_int(inst.get("priority")) or 0) - (_int(second_inst.get("priority")) or 0)
            advice = f"use a weight above {base_gap} on both nodes, or 0 (FAULT)"
        yield _on(
            top,
            _finding(
                "weight-cannot-move",
                "error",
                var,
                f"{var}: weight {weight} of the {what} {_name(tracked)} cannot move the VIP of "
                f"{name}: when it fails on {_name(top)} the priority falls from {p_top} to "
                f"{after}, {relation} {_name(second)}'s {p_next}{tie}; {advice}",
            ),
        )


def _cluster_findings(variables_of):
    """What _vrrp_cluster finds that the raw comparisons above do not."""
    members = {}
    for host, variables in variables_of.items():
        try:
            members[host] = {"config": _ka_normalize(variables, allow_weak_secrets=True)}
        except ConfigError:
            return []
    try:
        messages = cluster_errors(members)
    except ConfigError:
        return []
    out = []
    own = (".virtual_router_id", ".virtual_ipaddresses", ".advert_int", ".version")
    for message in messages:
        if any(
            t in message for t in ("all have priority", "cannot move the VIP", "has no instance")
        ):
            continue
        variable, _text = _split_message(message, "keepalived cluster")
        host = next((h for h in variables_of if message.startswith(f"{h}: ")), None)
        if host is not None:
            variable, _text = _split_message(message[len(host) + 2 :], "keepalived cluster")
        if "differs between the members" in message and (
            variable.endswith((*own, ".authentication"))
            or variable == "keepalived_global_defs.vrrp_strict"
        ):
            continue
        out.append(_finding("pair-mismatch", "error", variable, message))
    return out


def _pair_globals(variables_of):
    values = {}
    for host, variables in variables_of.items():
        gdefs = _dict(_dict(variables).get("global_defs"))
        strict = "vrrp_strict" in gdefs and _flag(gdefs.get("vrrp_strict"))
        values.setdefault(strict, []).append(host)
    if len(values) > 1:
        detail = "; ".join(f"{_hosts(h)}: {str(v).lower()}" for v, h in values.items())
        var = f"{_KA['global_defs']}.vrrp_strict"
        yield _finding(
            "pair-mismatch",
            "error",
            var,
            f"{var}: differs between the nodes ({detail}); a strict node drops the adverts "
            "of a non-strict one that authenticates or uses unicast, and both become MASTER: "
            "set it the same on both",
        )


def _pair_instances(variables_of):
    by_host = {host: _instances_by_name(v) for host, v in variables_of.items()}
    names = []
    for instances in by_host.values():
        names.extend(n for n in instances if n not in names)
    synced = set()
    for variables in variables_of.values():
        synced.update(n for n, g in _sync_members(variables).items() if not g[2])
    for name in names:
        members = [(h, by_host[h][name]) for h in by_host if name in by_host[h]]
        missing = [h for h in by_host if name not in by_host[h]]
        where = f"{_KA['instances']}[{name}]"
        if missing:
            yield _finding(
                "pair-mismatch",
                "error",
                where,
                f"{where}: only on {_hosts(h for h, _i in members)}, not on {_hosts(missing)}; "
                "an instance on one node alone has no backup: define it on both or remove it",
            )
        if len(members) < 2:
            continue
        yield from _pair_mismatch(name, members)
        priorities = {}
        for host, inst in members:
            priority = _int(inst.get("priority"))
            if priority is not None:
                priorities.setdefault(priority, []).append(host)
        for priority, hosts in priorities.items():
            if len(hosts) > 1:
                yield _finding(
                    "equal-priorities",
                    "error",
                    f"{where}.priority",
                    f"{where}.priority: {_hosts(hosts)} all have priority {priority}, so the "
                    "election falls to the higher IP address and which node is MASTER is an "
                    "accident; give the intended MASTER the higher priority (for example 150 "
                    "and 100)",
                )
        if name not in synced:
            yield from _pair_weights(name, members, variables_of)


def lint_pair(variables_by_host, origins_by_host=None):
    """The findings only the pair shows, from ``{host: keepalived variables}``."""
    if not isinstance(variables_by_host, dict):
        return []
    variables_of = {h: v for h, v in variables_by_host.items() if isinstance(v, dict)}
    if len(variables_of) < 2:
        return []
    findings = []
    findings.extend(_guard(_pair_globals, variables_of))
    findings.extend(_guard(_pair_instances, variables_of))
    seen = {(f["rule"], f["variable"]) for f in findings}
    for found in _guard(_cluster_findings, variables_of):
        if (found["rule"], found["variable"]) not in seen:
            findings.append(found)
    origins_by_host = origins_by_host if isinstance(origins_by_host, dict) else {}
    out = []
    for found in findings:
        hosts = [found["_host"]] if "_host" in found else list(variables_of)
        origins = {}
        for host in reversed(hosts):
            if isinstance(origins_by_host.get(host), dict):
                origins.update(origins_by_host[host])
        out.extend(_finish([found], origins))
    return out


# --------------------------------------------------------------------------
# HAProxy rules
# --------------------------------------------------------------------------

_HA = _HA_VAR_NAMES


def _proxies(variables, sections=("frontends", "backends", "listens")):
    """(section, label, proxy) of every proxy mapping."""
    out = []
    data = _dict(variables)
    for section in sections:
        for i, item in enumerate(_list(data.get(section))):
            if isinstance(item, dict):
                out.append((section, _ha_label(_HA[section], i, item), item))
    return out


def _sections_with_extra(variables):
    """(label, mapping) of global, defaults and every proxy."""
    data = _dict(variables)
    out = []
    for key in ("global", "defaults"):
        if isinstance(data.get(key), dict):
            out.append((_HA[key], data[key]))
    out.extend((label, proxy) for _s, label, proxy in _proxies(variables))
    return out


def _extra_lines(variables):
    """(variable, words) of every extra line."""
    out = []
    for where, section in _sections_with_extra(variables):
        for j, line in enumerate(_list(section.get("extra"))):
            if isinstance(line, str) and len(line) <= 8192:
                words = _scan(line)[0]
                if words:
                    out.append((f"{where}.extra[{j}]", words))
    return out


def _rule_removed(variables):
    for var, words in _extra_lines(variables):
        first = words[0].lower()
        if first in _REMOVED:
            yield _finding(
                "removed-directive",
                "error",
                var,
                f"{var}: {first} {_REMOVED[first]}; HAProxy 2.6 refuses to start with it, so "
                "drop or replace the line before taking over",
                (_REMOVED[first],),
            )
        elif first in ("option", "no") and len(words) > 1:
            opt = (words[-1] if first == "no" else words[1]).lower()
            if opt in _REMOVED_OPTIONS:
                yield _finding(
                    "removed-directive",
                    "error",
                    var,
                    f"{var}: option {opt} {_REMOVED_OPTIONS[opt]}; HAProxy 2.6 refuses to "
                    "start with it",
                    (_REMOVED_OPTIONS[opt],),
                )
    for where, section in _sections_with_extra(variables):
        for key in section:
            if isinstance(key, str) and key.lower() in _REMOVED:
                yield _finding(
                    "removed-directive",
                    "error",
                    f"{where}.{key}",
                    f"{where}.{key}: {key} {_REMOVED[key.lower()]}; HAProxy 2.6 refuses to "
                    "start with it",
                    (_REMOVED[key.lower()],),
                )
        for j, opt in enumerate(_list(section.get("options"))):
            if isinstance(opt, str) and opt in _REMOVED_OPTIONS:
                yield _finding(
                    "removed-directive",
                    "error",
                    f"{where}.options[{j}]",
                    f"{where}.options[{j}]: option {opt} {_REMOVED_OPTIONS[opt]}; HAProxy 2.6 "
                    "refuses to start with it",
                    (_REMOVED_OPTIONS[opt],),
                )


_HTTPCLOSE = (
    "closes every connection after one request, which costs a TCP (and TLS) handshake per "
    "request and drops keep-alive for clients and servers; remove it (keep-alive is the "
    "default), or use option http-server-close if a server cannot keep connections open"
)


def _rule_httpclose(variables):
    for where, section in _sections_with_extra(variables):
        for j, opt in enumerate(_list(section.get("options"))):
            if opt == "httpclose":
                var = f"{where}.options[{j}]"
                yield _finding(
                    "option-httpclose",
                    "warning",
                    var,
                    f"{var}: option httpclose {_HTTPCLOSE}",
                    (_HTTPCLOSE_WARNING,),
                )
    for var, words in _extra_lines(variables):
        if [w.lower() for w in words[:2]] == ["option", "httpclose"]:
            yield _finding(
                "option-httpclose",
                "warning",
                var,
                f"{var}: option httpclose {_HTTPCLOSE}",
                (_HTTPCLOSE_WARNING,),
            )


_VERIFY = (
    "so anyone on the path to the server can impersonate it and read the traffic; use "
    "verify required with ca-file (the CA that signed the server's certificate, or "
    "@system-ca)"
)


def _server_lines_verify_none(words):
    if words[0].lower() not in ("server", "default-server"):
        return False
    lowered = [w.lower() for w in words]
    return any(lowered[k] == "verify" and lowered[k + 1] == "none" for k in range(len(lowered) - 1))


def _rule_verify(variables):
    global_none = False
    for var, words in _extra_lines(variables):
        lowered = [w.lower() for w in words]
        if lowered[:2] == ["ssl-server-verify", "none"]:
            global_none = True
            yield _finding(
                "verify-none",
                "warning",
                var,
                f"{var}: ssl-server-verify none turns off the check of every TLS server's "
                f"certificate that does not set verify itself, {_VERIFY}",
            )
        elif _server_lines_verify_none(words):
            yield _finding(
                "verify-none",
                "warning",
                var,
                f"{var}: a server line with verify none does not check the server's "
                f"certificate, {_VERIFY}",
            )
    for _section, where, proxy in _proxies(variables, ("backends", "listens")):
        for j, server in enumerate(_list(proxy.get("servers"))):
            if not isinstance(server, dict) or not _flag(server.get("ssl", False)):
                continue
            at = _ha_label(f"{where}.servers", j, server)
            verify = server.get("verify")
            if verify == "none" or (verify is None and global_none):
                yield _finding(
                    "verify-none",
                    "warning",
                    f"{at}.verify",
                    f"{at}.verify: none: HAProxy does not check the server's certificate, "
                    f"{_VERIFY}",
                    ("the server's certificate is not checked",),
                )


def _weak(password):
    return weak_secret(password) if isinstance(password, str) and password else None


_WEAK_ADVICE = (
    "our roles refuse it unless weak secrets are allowed; use a long random one from Ansible Vault"
)


def _rule_ha_weak(variables):
    for _section, where, proxy in _proxies(variables, ("listens", "frontends", "backends")):
        stats = proxy.get("stats")
        if isinstance(stats, dict):
            for j, item in enumerate(_list(stats.get("auth"))):
                if not isinstance(item, dict):
                    continue
                reason = _weak(item.get("password"))
                if reason:
                    at = _ha_label(f"{where}.stats.auth", j, item, "user")
                    yield _finding(
                        "weak-password",
                        "error",
                        f"{at}.password",
                        f"{at}.password: the statistics page's password {reason}, and with "
                        f"it anyone can read the page (and act on servers if admin is on); "
                        f"{_WEAK_ADVICE}",
                        ("accepted because",),
                    )
    for i, userlist in enumerate(_list(_dict(variables).get("userlists"))):
        if not isinstance(userlist, dict):
            continue
        where = _ha_label(_HA["userlists"], i, userlist)
        for j, user in enumerate(_list(userlist.get("users"))):
            if not isinstance(user, dict):
                continue
            password = user.get("password")
            if isinstance(password, str) and password.startswith("$"):
                continue
            reason = _weak(password)
            if reason:
                at = _ha_label(f"{where}.users", j, user)
                yield _finding(
                    "weak-password",
                    "error",
                    f"{at}.password",
                    f"{at}.password: the password {reason}; {_WEAK_ADVICE} (better, a crypt "
                    "hash: mkpasswd -m sha-512)",
                    ("accepted because",),
                )
    for var, words in _extra_lines(variables):
        lowered = [w.lower() for w in words]
        password = None
        if lowered[:2] == ["stats", "auth"] and len(words) > 2:
            password = words[2].partition(":")[2]
        elif lowered[:1] == ["user"] and "insecure-password" in lowered[:-1]:
            password = words[lowered.index("insecure-password") + 1]
        reason = _weak(password)
        if reason:
            yield _finding(
                "weak-password",
                "error",
                var,
                f"{var}: the password on this line {reason}; {_WEAK_ADVICE}",
                ("accepted because",),
            )


def _rule_unused(variables):
    used = set()
    for _section, _where, proxy in _proxies(variables, ("frontends", "listens")):
        if isinstance(proxy.get("default_backend"), str):
            used.add(proxy["default_backend"])
        for rule in _list(proxy.get("use_backends")):
            if isinstance(rule, dict) and isinstance(rule.get("backend"), str):
                if "%[" in rule["backend"]:
                    return
                used.add(rule["backend"])
    for _var, words in _extra_lines(variables):
        if words[0] in ("use_backend", "default_backend") and len(words) > 1:
            if "%[" in words[1]:
                return  # a backend chosen at run time: any may be used
            used.add(words[1])
    for _section, where, proxy in _proxies(variables, ("backends",)):
        name = proxy.get("name")
        if isinstance(name, str) and name not in used:
            yield _finding(
                "unused-backend",
                "warning",
                where,
                f"{where}: no frontend or listen uses this backend (no default_backend or "
                "use_backend names it), so it only runs health checks and takes no traffic; "
                "name it in a frontend or remove it",
                ("no frontend or listen uses this backend",),
            )


_ADMIN = (
    "lets anyone who reaches the statistics page set servers to MAINT or DRAIN and kill "
    "sessions; restrict it to LOCALHOST or an admin network (acl admin_net src "
    "10.0.0.0/8, then stats admin if admin_net)"
)


def _is_true(words):
    return words in (["TRUE"], ["if", "TRUE"], ["unless", "FALSE"])


def _rule_admin(variables):
    for _section, where, proxy in _proxies(variables, ("listens", "frontends", "backends")):
        stats = proxy.get("stats")
        if isinstance(stats, dict) and isinstance(stats.get("admin_cond"), str):
            if _is_true(_scan(stats["admin_cond"][:4096])[0]):
                var = f"{where}.stats.admin_cond"
                yield _finding(
                    "stats-admin-true",
                    "warning",
                    var,
                    f"{var}: stats admin if TRUE {_ADMIN}",
                    (_ADMIN_TRUE_WARNING,),
                )
    for var, words in _extra_lines(variables):
        if [w.lower() for w in words[:2]] == ["stats", "admin"] and _is_true(words[2:]):
            yield _finding(
                "stats-admin-true",
                "warning",
                var,
                f"{var}: stats admin if TRUE {_ADMIN}",
                (_ADMIN_TRUE_WARNING,),
            )


def lint_haproxy(variables, origins=None):
    """The findings of one host's HAProxy ``variables`` (see the module doc)."""
    specific = []
    for rule in (
        _rule_removed,
        _rule_httpclose,
        _rule_verify,
        _rule_ha_weak,
        _rule_unused,
        _rule_admin,
    ):
        specific.extend(_guard(rule, variables))
    model = _scrub(_guard(_haproxy_model, variables), _guard(_haproxy_secrets, variables))
    return _finish(_merge(specific, model), origins)
