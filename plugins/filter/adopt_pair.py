# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of the adoption of a hand-built pair (halb.cluster.adopt)."""

from __future__ import annotations

import os
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils import _adopt, _adopt_lint as lint
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core depends on PyYAML
    yaml = None

HEADER = (
    "# Written by halb.cluster.adopt from the configuration the node runs ({what}).\n"
    "# It holds passwords: keep it readable by you only, or encrypt it with\n"
    "# ansible-vault. Put your own decisions in a file that sorts after this one\n"
    "# in the same directory (for example vault.yml): it wins. docs/adopt.md.\n"
)
# An inventory host or group name that becomes a directory name.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@:-]{0,252}$")
# Text that Ansible would template when it loads the variables.
_TEMPLATE = re.compile(r"\{[{%#]")


class _Unsafe(str):
    """A string written with !unsafe: Ansible never templates it."""


class _Dumper(yaml.SafeDumper if yaml else object):  # type: ignore[misc]
    pass


def _unsafe(dumper, value):
    return dumper.represent_scalar("!unsafe", str(value), style="'")


if yaml is not None:
    _Dumper.add_representer(_Unsafe, _unsafe)


def _guard(value):
    """Every string that Ansible would template becomes !unsafe (read from a hostile file)."""
    if isinstance(value, dict):
        return {k: _guard(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_guard(v) for v in value]
    if isinstance(value, str) and _TEMPLATE.search(value):
        return _Unsafe(value)
    return value


def _yaml(data, what):
    text = yaml.dump(
        _guard(data), Dumper=_Dumper, default_flow_style=False, sort_keys=True, width=100
    )
    return "---\n" + HEADER.format(what=what) + text


def _checked_name(kind, name):
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise AnsibleFilterError(
            f"adopt_pair: the {kind} name {name!r} cannot be a directory name; "
            "use inventory names of letters, digits and . _ - @ :"
        )
    return name


def _differs(path, content):
    """True when ``path`` exists (on the controller) with other content."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read() != content
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError):
        return True


def adopt_pair(imports, group="loadbalancers", directory=None):
    """From each node's ``halb.cluster.config_import`` result ({host: result})
    to the pair's variables, findings and the files to write under ``directory``."""
    if yaml is None:  # pragma: no cover
        raise AnsibleFilterError("adopt_pair: PyYAML is required on the controller")
    imports = _plain(imports)
    if not isinstance(imports, dict) or not imports:
        raise AnsibleFilterError(
            "adopt_pair: expected a mapping of inventory host names to config_import results"
        )
    # Plain str: ansible-core 2.19 passes tagged strings, which yaml's SafeDumper
    # cannot represent ("cannot represent an object").
    group = _checked_name("group", _plain(group))
    directory = _plain(directory)
    hosts = {}
    for host, result in imports.items():
        _checked_name("host", host)
        if not isinstance(result, dict) or "variables" not in result:
            raise AnsibleFilterError(f"adopt_pair: {host}: not a halb.cluster.config_import result")
        hosts[host] = result
    split = _adopt.split_pair({host: r["variables"] for host, r in hosts.items()})
    shared = dict(split["group"])
    shared["keepalived_cluster_group"] = group
    pair = []
    if len(hosts) > 1:
        pair = lint.lint_pair(
            {host: r.get("keepalived") or {} for host, r in hosts.items()},
            {host: r.get("origins") or {} for host, r in hosts.items()},
        )
    holders = sorted(host for host, r in hosts.items() if r.get("vips_held"))
    files = [
        {
            "path": "hosts.yml",
            "content": _yaml({group: {"hosts": {host: None for host in hosts}}}, "the pair"),
        },
        {
            "path": f"group_vars/{group}/halb_adopt.yml",
            "content": _yaml(shared, "what the nodes share"),
        },
    ]
    for host, own in split["hosts"].items():
        files.append(
            {
                "path": f"host_vars/{host}/halb_adopt.yml",
                "content": _yaml(own, f"{host}'s own settings"),
            }
        )
    base = os.path.abspath(directory) if directory else None
    for entry in files:
        entry["name"] = entry["path"]
        if base:
            entry["path"] = os.path.join(base, entry["name"])
    directories = []
    if base:
        directories = [base] + [
            os.path.join(base, d)
            for d in ["group_vars", f"group_vars/{group}", "host_vars"]
            + [f"host_vars/{host}" for host in hosts]
        ]
    return {
        "directory": base,
        "directories": directories,
        "conflicts": [e["path"] for e in files if base and _differs(e["path"], e["content"])],
        "group": shared,
        "hosts": split["hosts"],
        "pair": pair,
        "holders": holders,
        "files": files,
    }


# What the report and the run's output show of a node's import: no variables
# (they hold passwords), only what the parsers and the linter say.
_REPORTED = ("kept", "dropped", "errors", "findings", "fixes", "files", "vips", "vips_held")


def adopt_report(result):
    """The password-free part of a config_import result, for the report."""
    result = _plain(result)
    if not isinstance(result, dict):
        raise AnsibleFilterError("adopt_report: expected a halb.cluster.config_import result")
    return {key: result.get(key) for key in _REPORTED}


def adopt_lines(entries, key="message"):
    """Entries of kept, dropped, errors, findings or fixes as one line each:
    ``origin: [rule] variable: message``."""
    lines = []
    for entry in _plain(entries) or []:
        if not isinstance(entry, dict):
            continue
        where = entry.get("origin") or (
            f"{entry['file']}:{entry['line']}" if entry.get("file") else ""
        )
        rule = f"[{entry['rule']}]" if entry.get("rule") else ""
        what = entry.get("variable") or entry.get("section") or ""
        text = " ".join(str(entry.get(key, "")).split())
        if what and text.startswith(what):
            what = ""  # the message names it already
        label = f"{rule} {what}".strip()
        lines.append(": ".join(p for p in (where, label, text) if p.strip()))
    return lines


class FilterModule:
    """halb.cluster adoption filters."""

    def filters(self):
        return {"adopt_pair": adopt_pair, "adopt_report": adopt_report, "adopt_lines": adopt_lines}
