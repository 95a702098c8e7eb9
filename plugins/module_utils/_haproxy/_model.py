# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole model: ``normalize`` reads every section, runs the checks that
span sections (backend references, modes, proxy names, line lengths) and
the warnings about the whole configuration; ``check`` reports without
raising; ``render`` checks and renders.
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    VAR_NAMES,
    HAProxyConfigError,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._defaults import (
    _defaults,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._directives import (
    _L4_RETRY_ON,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._global import (
    _global,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._grammar import (
    _MAX_LINE,
    _MAX_WORDS,
    _scan,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._proxies import (
    _proxies,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._render import (
    config_text,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._userlists import (
    _userlists,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    as_dict as _as_dict,
    did_you_mean,
    only_config_errors,
    show,
)


def _timeout_warnings(warns, config):
    """HAProxy starts without these timeouts, but warns and never expires idle connections."""
    inherited = config["defaults"].get("timeouts", {})
    needs = {
        "frontends": ("client",),
        "listens": ("client", "connect", "server"),
        "backends": ("connect", "server"),
    }
    for section, keys in needs.items():
        for proxy in config[section]:
            missing = [k for k in keys if k not in proxy.get("timeouts", {}) and k not in inherited]
            if missing:
                names = ", ".join(f"timeout {k}" for k in missing)
                warns.append(
                    f"{VAR_NAMES[section]}[{proxy.get('name')}].timeouts: no {names} here or in "
                    "haproxy_defaults.timeouts; HAProxy then waits forever on idle connections"
                )


def _cross_checks(errs, config):
    default_mode = config["defaults"].get("mode", "tcp")
    targets = {}
    for section in ("backends", "listens"):
        for proxy in config[section]:
            if proxy.get("name") is not None:
                targets.setdefault(proxy["name"], (section, proxy))
    # frontend+listen and backend+listen share HAProxy's proxy namespace.
    for section, other in (("frontends", "listens"), ("backends", "listens")):
        names = {p.get("name") for p in config[other]}
        for proxy in config[section]:
            if proxy.get("name") is not None and proxy["name"] in names:
                errs.append(
                    f"{VAR_NAMES[section]}[{proxy['name']}].name: {proxy['name']!r} is also the "
                    f"name of a listen section ({VAR_NAMES[other]}); HAProxy proxy names must "
                    "be unique"
                )
    for section in ("frontends", "listens"):
        for proxy in config[section]:
            where = f"{VAR_NAMES[section]}[{proxy.get('name')}]"
            mode = proxy.get("mode", default_mode)
            refs = [
                (f"{where}.use_backends[{j}].backend", u["backend"])
                for j, u in enumerate(proxy.get("use_backends", []))
            ]
            if proxy.get("default_backend"):
                refs.append((f"{where}.default_backend", proxy["default_backend"]))
            for at, ref in refs:
                if ref not in targets:
                    errs.append(
                        f"{at}: {ref!r} is not defined in haproxy_backends or "
                        f"haproxy_listens{did_you_mean(ref, sorted(targets))}"
                    )
                    continue
                target_mode = targets[ref][1].get("mode", default_mode)
                if target_mode != mode:
                    errs.append(
                        f"{at}: {ref!r} runs in mode {target_mode} but this section in mode "
                        f"{mode}; HAProxy refuses to mix them"
                    )
            if mode != "http":
                for key in ("redirects", "http_request", "stats"):
                    if proxy.get(key):
                        errs.append(
                            f"{where}.{key}: needs mode http (this section runs in mode {mode})"
                        )
    for section in ("backends", "listens"):
        for proxy in config[section]:
            mode = proxy.get("mode", default_mode)
            l7 = [word for word in proxy.get("retry_on", []) if word not in _L4_RETRY_ON]
            if mode != "http" and l7:
                errs.append(
                    f"{VAR_NAMES[section]}[{proxy.get('name')}].retry_on: {', '.join(l7)} "
                    f"needs mode http (this section runs in mode {mode}; only conn-failure "
                    "and none act there)"
                )


def _unused_backend_warnings(warns, config):
    """A backend no frontend or listen names (default_backend, use_backends or
    a use_backend/default_backend line in extra) only runs health checks."""
    used = set()
    for section in ("frontends", "listens"):
        for proxy in config[section]:
            used.update(u["backend"] for u in proxy.get("use_backends", []))
            if proxy.get("default_backend"):
                used.add(proxy["default_backend"])
            for line in proxy.get("extra", []):
                words = _scan(line)[0]
                if words and words[0] in ("use_backend", "default_backend") and len(words) > 1:
                    if "%[" in words[1]:
                        return  # a backend chosen at run time: any may be used
                    used.add(words[1])
    for proxy in config["backends"]:
        if proxy["name"] not in used:
            warns.append(
                f"{VAR_NAMES['backends']}[{proxy['name']}]: no frontend or listen uses this "
                "backend (neither default_backend nor use_backends names it), so it receives "
                "no traffic; name it in a frontend or remove it"
            )


_SECTION_VARS = {
    "global": "haproxy_global",
    "defaults": "haproxy_defaults",
    "userlist": "haproxy_userlists",
    "frontend": "haproxy_frontends",
    "listen": "haproxy_listens",
    "backend": "haproxy_backends",
}


def _line_errors(errs, text):
    """Lines HAProxy would not read whole: longer than 2047 bytes or more
    than 63 words (several long values on one line)."""
    section = "haproxy configuration"
    for line in text.split("\n"):
        if line and not line[0].isspace() and not line.startswith("#"):
            title = line.split()
            var = _SECTION_VARS.get(title[0], "haproxy configuration")
            section = f"{var}[{title[1]}]" if len(title) > 1 else var
            continue
        size = len(line.encode("utf-8", "surrogatepass"))
        words = _scan(line)[0]
        if size > _MAX_LINE or len(words) > _MAX_WORDS:
            errs.append(
                f"{section}: the line {show(line.strip(), 40)} would be {size} bytes and "
                f"{len(words)} words; HAProxy reads at most {_MAX_LINE} bytes and "
                f"{_MAX_WORDS} words on a line (shorten its values)"
            )


@only_config_errors(HAProxyConfigError, "haproxy configuration")
def normalize(data, allow_weak_secrets=False):
    """Check ``data`` and return ``(config, warnings)``: the clean configuration
    (a new dict) and the messages about accepted but risky settings.

    Weak passwords (stats auth, userlist insecure-password: on the common
    list, one repeated character, a run like 12345678, shorter than 8) are
    refused unless ``allow_weak_secrets`` (a lab), which warns instead.

    Raises :class:`HAProxyConfigError` listing every problem.
    """
    if not isinstance(data, dict):
        raise HAProxyConfigError(
            [f"haproxy configuration: expected a mapping, got {type(data).__name__}"]
        )
    weak = allow_weak_secrets is True
    errs = []
    warns = []
    names = _names(errs, data.get("names"))
    for key in data:
        if key not in VAR_NAMES and key != "names":
            hint = did_you_mean(key, VAR_NAMES) if isinstance(key, str) and len(key) < 64 else ""
            errs.append(f"haproxy configuration: unknown section {show(key)}{hint}")
    ports_seen = {}
    config = {
        "global": _global(errs, warns, data.get("global"), weak),
        "defaults": _defaults(errs, warns, data.get("defaults"), weak),
        "userlists": _userlists(errs, warns, data.get("userlists"), weak),
        "frontends": _proxies(errs, warns, "frontends", data.get("frontends"), ports_seen, weak),
        "listens": _proxies(errs, warns, "listens", data.get("listens"), ports_seen, weak),
        "backends": _proxies(errs, warns, "backends", data.get("backends"), ports_seen, weak),
    }
    _cross_checks(errs, config)
    if not errs:
        _line_errors(errs, render(config, normalized=True))
    if errs:
        raise HAProxyConfigError(_rename(errs, names))
    _unused_backend_warnings(warns, config)
    _timeout_warnings(warns, config)
    return config, _rename(warns, names)


def _names(errs, value):
    """``names``: model paths mapped to the role variables they come from
    (``{"haproxy_global.maxconn": "haproxy_maxconn"}``; ``[*]`` matches any
    list label), so that a message names the variable the user set."""
    rules = []
    data = _as_dict(errs, "haproxy configuration.names", value) or {}
    for pattern, var in data.items():
        if not (
            isinstance(pattern, str)
            and isinstance(var, str)
            and 0 < len(pattern) <= 200
            and _ROLE_VAR_RE.fullmatch(var)
            and not CONTROL_RE.search(pattern)
        ):
            errs.append(
                f"haproxy configuration.names: {show(pattern)} is not a path and a variable name"
            )
            continue
        regex = re.escape(pattern).replace(r"\[\*\]", r"\[[^\]]*\]")
        rules.append((re.compile(regex + r"(?=[.:\[ ]|$)"), var))
    return rules


_ROLE_VAR_RE = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def _rename(messages, rules):
    out = []
    for message in messages:
        for regex, var in rules:
            match = regex.match(message)
            if match:
                message = f"{var} ({match.group(0)}){message[match.end() :]}"
                break
        out.append(message)
    return out


def check(data, allow_weak_secrets=False):
    """``{"errors": [...], "warnings": [...]}`` for ``data``, without raising.

    For a role that must stop before anything changes and show why: the
    messages name variables and never hold a password.
    """
    try:
        return {"errors": [], "warnings": normalize(data, allow_weak_secrets)[1]}
    except HAProxyConfigError as exc:
        return {"errors": list(exc.errors), "warnings": []}


@only_config_errors(HAProxyConfigError, "haproxy configuration")
def render(data, normalized=False, allow_weak_secrets=False):
    """Return haproxy.cfg text for ``data`` (checked first unless ``normalized``)."""
    config = data if normalized else normalize(data, allow_weak_secrets)[0]
    return config_text(config)
