# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a hand-written keepalived.conf into the variables of _keepalived.

Pure functions, standard library only, no I/O: the ``config_import`` module
reads the files on the host and passes their text here, the
``lint_keepalived_conf`` filter passes one file's text.

``parse(text, path, files)`` returns::

    {"variables": {...},   # the model's input (global_defs, scripts, track_files,
                           # instances, sync_groups): only the sections present
     "kept":    [{"file", "line", "section", "variable", "text"}],
     "dropped": [{"file", "line", "section", "reason"}],
     "errors":  [{"file", "line", "message"}],
     "origins": {"keepalived_instances[VI_1]": "/etc/keepalived/keepalived.conf:12", ...}}

The grammar is keepalived's: words separated by white space, ``"..."`` one
word (a command line with its arguments), ``#`` and ``!`` outside quotes
start a comment, ``{`` and ``}`` open and close a block whether they stand
alone or touch a word, and ``include PATTERN`` (a glob, relative to the
including file's directory) reads other files at any level. ``files`` maps
the absolute paths the caller could read to their text; an include that
matches none of them is reported in ``dropped``.

Every value is put where the model reads it, as the model wants it (numbers
as numbers, flags as true), and values the model would refuse are kept as
they are (``interface eth0 eth1`` stays the string ``"eth0 eth1"``), so that
normalize() reports them naming the variable and the lint rules see them. A
statement inside a block the model knows, with a keyword it has no key for,
goes to that block's ``extra`` (and ``kept``); what the model cannot hold at
all (LVS ``virtual_server``, ``static_routes``, a block inside an instance
the model does not know, ``@``-conditional lines, ``$NAME=`` definitions)
goes to ``dropped`` with its file and line: taking the pair over would drop
it. Syntax keepalived itself could not read (unbalanced braces, an open
quote, an include cycle) goes to ``errors``. Only
:class:`KeepalivedImportError` (a KeepalivedConfigError) leaves parse(), for
arguments that are not text.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import posixpath
import re

from ansible_collections.halb.cluster.plugins.module_utils._keepalived import (
    VAR_NAMES,
    KeepalivedConfigError,
    redact,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    label as _label,
    only_config_errors,
    show,
)

__all__ = ["KeepalivedImportError", "parse", "DEFAULT_PATH"]

DEFAULT_PATH = "/etc/keepalived/keepalived.conf"
# keepalived's own limit is 8 levels of include (lib/parser.c, MAX_INCLUDE_DEPTH 5
# in older releases); files read at most this many times in all, so that a
# pattern that matches many files that include each other stays bounded.
MAX_INCLUDE_DEPTH = 8
MAX_INCLUDED_FILES = 256
_MAX_PATTERN = 4096
# What C's isspace() is in keepalived's reader (the C locale).
_SPACE = " \t\v\f\r"
_WORD = "word"
_QUOTED = "quoted"
_OPEN = "{"
_CLOSE = "}"
_INT_RE = re.compile(r"^[+-]?[0-9]{1,18}$")
_FLOAT_RE = re.compile(r"^[+-]?[0-9]{0,18}\.[0-9]{1,18}$")
_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")
_STATES = ("MASTER", "BACKUP")
_NOTIFY_KEYS = ("notify", "notify_master", "notify_backup", "notify_fault", "notify_stop")
_GLOBAL_WORDS = ("router_id", "script_user")
_GLOBAL_FLAGS = ("enable_script_security", "vrrp_skip_check_adv_addr", "vrrp_strict")
_GLOBAL_NUMBERS = (
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_repeat",
    "max_auto_priority",
)
# keepalived's max_auto_priority without a value: the highest SCHED_RR priority.
_MAX_AUTO_PRIORITY = 99
_SCRIPT_NUMBERS = ("interval", "timeout", "weight", "fall", "rise")
_INSTANCE_NUMBERS = ("virtual_router_id", "priority", "advert_int", "version", "preempt_delay")
_TRACK_BLOCKS = {
    "track_script": "track_scripts",
    "track_file": "track_files",
    "track_interface": "track_interfaces",
}
# Why the top-level blocks the model has no section for cannot be imported.
_DROPPED_BLOCKS = {
    "virtual_server": "an LVS virtual server (the collection runs HAProxy, not IPVS)",
    "virtual_server_group": "an LVS virtual server group (the collection runs HAProxy, not IPVS)",
    "static_ipaddress": "static addresses keepalived adds at start (the collection leaves "
    "the host's own addresses to the network configuration)",
    "static_routes": "static routes (the collection leaves routes to the network configuration)",
    "static_rules": "static policy rules (the collection leaves them to the network configuration)",
    "vrrp_track_process": "a tracked process (the collection tracks HAProxy with its own "
    "script and track file)",
    "track_process": "a tracked process (the collection tracks HAProxy with its own script "
    "and track file)",
    "garp_group": "a gratuitous ARP group",
    "linkbeat_interfaces": "link-beat polling of interfaces",
    "bfd_instance": "a BFD instance",
    "vrrp_track_bfd": "a tracked BFD instance",
}
# Options of a virtual_ipaddress line that take a value (the others are flags).
_VIP_OPTIONS_WITH_VALUE = (
    "dev",
    "label",
    "scope",
    "brd",
    "broadcast",
    "preferred_lft",
    "track_group",
    "peer",
)
# Why some blocks inside known sections cannot be imported.
_DROPPED_NESTED = {
    "notification_email": "keepalived's own mail recipients (its SMTP client has no "
    "authentication and no TLS; the collection mails state changes through the mailx_notify "
    "role: set mailx_notify_recipients)",
    "virtual_ipaddress_excluded": "addresses keepalived adds without sending them in adverts",
    "virtual_routes": "routes keepalived adds with the VIPs",
    "virtual_rules": "policy rules keepalived adds with the VIPs",
    "track_process": "a tracked process",
    "track_bfd": "a tracked BFD instance",
}
_DROP_ADVICE = "the variables have no place for it: taking over would drop it"


class KeepalivedImportError(KeepalivedConfigError):
    """parse() was called with something that is not keepalived.conf text."""


# --------------------------------------------------------------------------
# Reading: lines -> tokens -> a tree of statements
# --------------------------------------------------------------------------


def _tokens(line):
    """The tokens of one line as keepalived reads them: (kind, text) with kind
    word, quoted, { or }; and whether a double quote was left open."""
    out = []
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if char in _SPACE:
            i += 1
        elif char in "#!":
            break
        elif char == '"':
            end = line.find('"', i + 1)
            if end < 0:
                return out, True
            out.append((_QUOTED, line[i + 1 : end]))
            i = end + 1
        elif char in "{}":
            out.append((char, char))
            i += 1
        else:
            start = i
            while i < n and line[i] not in _SPACE and line[i] not in '"#!{}':
                i += 1
            out.append((_WORD, line[start:i]))
    return out, False


def _statement_text(words):
    """A statement as one line: words joined by a space, quoted ones in quotes."""
    return " ".join(f'"{text}"' if kind == _QUOTED else text for kind, text in words)


class _Reader:
    """The files of one import: their trees, and what went wrong reading them."""

    def __init__(self, files):
        self.files = files
        self.errors = []
        self.dropped = []
        self.read = 0

    def error(self, file, line, message):
        self.errors.append({"file": file, "line": line, "message": message})

    def tree(self, text, path, chain):
        """The statements of ``text`` (the file ``path``): each a dict with
        words, file, line and children (None for a plain statement)."""
        self.read += 1
        top = []
        stack = []  # (node) of the open blocks
        for number, line in enumerate(text.split("\n"), 1):
            tokens, open_quote = _tokens(line)
            if open_quote:
                self.error(
                    path,
                    number,
                    "a double quote is not closed on this line; keepalived drops the rest of it",
                )
            words = []
            for kind, value in tokens:
                container = stack[-1]["children"] if stack else top
                if kind == _OPEN:
                    if words:
                        node = {"words": words, "file": path, "line": number, "children": []}
                    elif (
                        container
                        and container[-1]["children"] is None
                        and not _is_include(container[-1])
                    ):
                        node = container.pop()
                        node["children"] = []
                    else:
                        self.error(path, number, "a { that follows no keyword")
                        node = {"words": [], "file": path, "line": number, "children": []}
                    container.append(node)
                    stack.append(node)
                    words = []
                elif kind == _CLOSE:
                    if words:
                        self._statement(container, words, path, number, chain)
                        words = []
                    if stack:
                        stack.pop()
                    else:
                        self.error(path, number, "a } that closes no block")
                else:
                    words.append((kind, value))
            if words:
                container = stack[-1]["children"] if stack else top
                self._statement(container, words, path, number, chain)
        for node in stack:
            self.error(
                path,
                node["line"],
                f"the block {show(_statement_text(node['words']) or '{')} is not closed "
                "(a } is missing)",
            )
        return top

    def _statement(self, container, words, path, number, chain):
        node = {"words": words, "file": path, "line": number, "children": None}
        if _is_include(node):
            container.extend(self._include(node, chain))
        else:
            container.append(node)

    def _include(self, node, chain):
        path, number = node["file"], node["line"]
        if len(node["words"]) != 2:
            self.error(path, number, "include takes exactly one file name or pattern")
            return []
        pattern = node["words"][1][1]
        if not pattern or len(pattern) > _MAX_PATTERN:
            self.error(path, number, f"include {show(pattern)} is not a file name or pattern")
            return []
        if not pattern.startswith("/"):
            pattern = posixpath.join(posixpath.dirname(path) or "/", pattern)
        pattern = posixpath.normpath(pattern)
        depth = pattern.count("/")
        matches = [
            name
            for name in sorted(self.files)
            if name.count("/") == depth and fnmatch.fnmatchcase(name, pattern)
        ]
        if not matches:
            self.dropped.append(
                {
                    "file": path,
                    "line": number,
                    "section": f"include {pattern}",
                    "reason": "include matched no file the import could read",
                }
            )
            return []
        out = []
        for name in matches:
            if name in chain:
                self.error(path, number, f"include {name}: the file includes itself (a cycle)")
                continue
            if len(chain) >= MAX_INCLUDE_DEPTH:
                self.error(
                    path,
                    number,
                    f"include {name}: more than {MAX_INCLUDE_DEPTH} levels of include",
                )
                continue
            if self.read >= MAX_INCLUDED_FILES:
                self.error(
                    path, number, f"include {name}: more than {MAX_INCLUDED_FILES} files read"
                )
                continue
            out.extend(self.tree(self.files[name], name, (*chain, name)))
        return out


def _is_include(node):
    words = node["words"]
    return bool(words) and words[0] == (_WORD, "include")


# --------------------------------------------------------------------------
# Mapping: the tree -> the model's variables
# --------------------------------------------------------------------------


def _number(text):
    """A number as the model wants it (int, or float for 0.5), else the text."""
    if _INT_RE.fullmatch(text):
        return int(text)
    if _FLOAT_RE.fullmatch(text):
        value = float(text)
        return int(value) if value.is_integer() else value
    return text


def _ip(text):
    """The canonical form of an address, or the text when it is none."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _rest(words):
    """The value after the keyword: one word as it is (quoted or not), more
    joined by a space as written (the model reports what it cannot take)."""
    values = words[1:]
    if len(values) == 1:
        return values[0][1]
    return _statement_text(values)


class _Importer:
    def __init__(self, reader):
        self.reader = reader
        self.kept = []
        self.dropped = reader.dropped
        self.origins = {}
        self.sections = {}

    # -- reporting ---------------------------------------------------------

    def at(self, node):
        return f"{node['file']}:{node['line']}"

    def origin(self, variable, node):
        self.origins.setdefault(variable, self.at(node))

    def drop(self, node, section, reason):
        self.dropped.append(
            {"file": node["file"], "line": node["line"], "section": section, "reason": reason}
        )

    def keep(self, obj, variable, section, node):
        text = _statement_text(node["words"])
        extra = obj.setdefault("extra", [])
        where = f"{variable}.extra[{len(extra)}]"
        extra.append(text)
        self.origin(where, node)
        self.kept.append(
            {
                "file": node["file"],
                "line": node["line"],
                "section": section,
                "variable": where,
                "text": redact(text),
            }
        )

    def special(self, node, section):
        """Conditional lines and definitions: reported, never imported."""
        kind, first = node["words"][0]
        if kind != _WORD:
            return False
        if first.startswith("@"):
            self.drop(
                node,
                section,
                f"a conditional line ({show(first)}) that applies to some routers only; "
                "put host-specific values into host_vars instead",
            )
            return True
        if first.startswith("$"):
            self.drop(
                node,
                section,
                "a $NAME= definition; the import reads the lines that use it literally, "
                "so check the values that came from it",
            )
            return True
        return False

    # -- the sections ------------------------------------------------------

    def run(self, top):
        for node in top:
            words = node["words"]
            if not words:
                continue  # a { without keyword: already an error
            if self.special(node, "top level"):
                continue
            keyword = words[0][1] if words[0][0] == _WORD else None
            header = _statement_text(words)
            handler = {
                "global_defs": self.global_defs,
                "vrrp_script": self.script,
                "vrrp_track_file": self.track_file,
                "track_file": self.track_file,
                "vrrp_instance": self.instance,
                "vrrp_sync_group": self.sync_group,
            }.get(keyword)
            if node["children"] is None:
                if handler is not None:
                    self.reader.error(
                        node["file"], node["line"], f"{header}: a block {{ ... }} must follow"
                    )
                else:
                    self.drop(node, header, f"a top-level statement; {_DROP_ADVICE}")
                continue
            if handler is None:
                what = _DROPPED_BLOCKS.get(keyword, "a block the variables do not know")
                self.drop(node, header, f"{what}; {_DROP_ADVICE}")
                continue
            handler(node)
        return {
            key: self.sections[key]
            for key in VAR_NAMES
            if key in self.sections and self.sections[key] not in ({}, [])
        }

    def named(self, node, section):
        """A new entry of the list ``section`` for the block ``node``:
        (entry, its variable path)."""
        words = node["words"]
        entries = self.sections.setdefault(section, [])
        entry = {"name": words[1][1]} if len(words) > 1 else {}
        if len(words) > 2:
            self.drop(
                node,
                _statement_text(words),
                "words after the block's name; keepalived ignores them",
            )
        variable = _label(VAR_NAMES[section], len(entries), entry)
        entries.append(entry)
        self.origin(variable, node)
        return entry, variable

    def statements(self, node, section):
        """(child, words) of each statement of a block, conditional lines and
        definitions reported (``special``) and left out."""
        for child in node["children"]:
            if child["words"] and not self.special(child, section):
                yield child, child["words"]

    def lines(self, node, section, nested=None):
        """(child, words) of each one-line statement of a block; a block
        nested in it is reported as dropped (under ``nested``, else
        ``section``)."""
        for child, words in self.statements(node, section):
            if child["children"] is not None:
                self.nested_block(child, section if nested is None else nested)
                continue
            yield child, words

    def nested_block(self, child, section):
        keyword = child["words"][0][1]
        what = _DROPPED_NESTED.get(keyword, f"a block the variables do not know inside {section}")
        self.drop(
            child, f"{section} > {_statement_text(child['words'])}", f"{what}; {_DROP_ADVICE}"
        )

    def global_defs(self, node):
        out = self.sections.setdefault("global_defs", {})
        variable = VAR_NAMES["global_defs"]
        self.origin(variable, node)
        for child, words in self.lines(node, "global_defs"):
            keyword = words[0][1]
            if keyword in _GLOBAL_WORDS:
                out[keyword] = _rest(words) if len(words) > 1 else ""
            elif keyword in _GLOBAL_FLAGS:
                out[keyword] = _flag(words)
            elif keyword in _GLOBAL_NUMBERS:
                if len(words) == 1:
                    out[keyword] = _MAX_AUTO_PRIORITY if keyword == "max_auto_priority" else ""
                else:
                    out[keyword] = _value_number(words)
            else:
                self.keep(out, variable, "global_defs", child)
                continue
            self.origin(f"{variable}.{keyword}", child)

    def script(self, node):
        entry, variable = self.named(node, "scripts")
        section = _statement_text(node["words"])
        for child, words in self.lines(node, section):
            keyword = words[0][1]
            if keyword == "script":
                entry["script"] = _rest(words) if len(words) > 1 else ""
            elif keyword in _SCRIPT_NUMBERS:
                entry[keyword] = _value_number(words)
            elif keyword == "user":
                entry["user"] = _rest(words) if len(words) > 1 else ""
            else:
                self.keep(entry, variable, section, child)
                continue
            self.origin(f"{variable}.{keyword}", child)

    def track_file(self, node):
        entry, variable = self.named(node, "track_files")
        section = _statement_text(node["words"])
        # keepalived's default weight of a track file is 1; the model's is 0.
        entry["weight"] = 1
        for child, words in self.lines(node, section):
            keyword = words[0][1]
            if keyword == "file":
                entry["file"] = _rest(words) if len(words) > 1 else ""
            elif keyword == "weight":
                entry["weight"] = _value_number(words)
            elif keyword == "init_file":
                entry["init_file"] = _init_file(words[1:])
            else:
                self.drop(
                    child,
                    section,
                    f"{show(keyword)} in a track file; the variables have no place for it: "
                    "taking over would drop it",
                )
                continue
            self.origin(f"{variable}.{keyword}", child)

    def notify(self, entry, words):
        key = words[0][1]
        if len(words) == 1:
            entry[key] = ""
        elif len(words) == 2:
            entry[key] = words[1][1]
        else:
            entry[key] = {"script": words[1][1], "user": _statement_text(words[2:])}

    def instance(self, node):
        entry, variable = self.named(node, "instances")
        section = _statement_text(node["words"])
        for child, words in self.statements(node, section):
            keyword = words[0][1]
            if child["children"] is not None:
                if keyword == "authentication":
                    self.authentication(entry, variable, section, child)
                elif keyword == "virtual_ipaddress":
                    self.vips(entry, variable, section, child)
                elif keyword == "unicast_peer":
                    self.peers(entry, variable, section, child)
                elif keyword in _TRACK_BLOCKS:
                    self.tracked(entry, variable, section, child, _TRACK_BLOCKS[keyword])
                else:
                    self.nested_block(child, section)
                continue
            if keyword == "state":
                value = _rest(words) if len(words) > 1 else ""
                entry["state"] = value.upper() if value.upper() in _STATES else value
            elif keyword == "interface":
                entry["interface"] = _rest(words) if len(words) > 1 else ""
            elif keyword in _INSTANCE_NUMBERS:
                entry[keyword] = _value_number(words)
            elif keyword == "nopreempt":
                entry["nopreempt"] = _flag(words)
            elif keyword == "unicast_src_ip":
                entry["unicast_src_ip"] = _ip(_rest(words)) if len(words) > 1 else ""
            elif keyword in _NOTIFY_KEYS:
                self.notify(entry, words)
            elif keyword in ("authentication", "virtual_ipaddress", "unicast_peer") + tuple(
                _TRACK_BLOCKS
            ):
                self.reader.error(
                    child["file"], child["line"], f"{keyword}: a block {{ ... }} must follow"
                )
                continue
            else:
                self.keep(entry, variable, section, child)
                continue
            self.origin(f"{variable}.{keyword}", child)

    def authentication(self, entry, variable, section, node):
        auth = entry.setdefault("authentication", {})
        self.origin(f"{variable}.authentication", node)
        for child, words in self.statements(node, section):
            keyword = words[0][1]
            if child["children"] is None and keyword == "auth_type":
                value = _rest(words) if len(words) > 1 else ""
                auth["type"] = value.upper() if value.upper() in ("PASS", "AH") else value
            elif child["children"] is None and keyword == "auth_pass":
                auth["password"] = _rest(words) if len(words) > 1 else ""
            else:
                self.drop(
                    child,
                    f"{section} > authentication",
                    f"{show(keyword)} in authentication; {_DROP_ADVICE}",
                )

    def vips(self, entry, variable, section, node):
        vips = entry.setdefault("virtual_ipaddresses", [])
        for child, words in self.lines(node, section, f"{section} > virtual_ipaddress"):
            vip = _vip(words[0][1])
            rest = words[1:]
            unknown = []
            while rest:
                option = rest[0][1]
                size = 2 if option in _VIP_OPTIONS_WITH_VALUE and len(rest) > 1 else 1
                if option in ("dev", "label", "scope") and size == 2:
                    vip[option] = rest[1][1]
                else:
                    unknown += rest[:size]
                rest = rest[size:]
            if unknown:
                self.drop(
                    child,
                    f"{section} > virtual_ipaddress",
                    f"{show(_statement_text(unknown))} of the address {show(words[0][1])}: "
                    "the variables hold dev, label and scope only; taking over would drop it",
                )
            self.origin(f"{variable}.virtual_ipaddresses[{len(vips)}]", child)
            vips.append(vip)

    def peers(self, entry, variable, section, node):
        peers = entry.setdefault("unicast_peers", [])
        self.origin(f"{variable}.unicast_peers", node)
        for child, words in self.lines(node, section, f"{section} > unicast_peer"):
            if len(words) > 1:
                self.drop(
                    child,
                    f"{section} > unicast_peer",
                    f"{show(_statement_text(words[1:]))} after the peer {show(words[0][1])}: "
                    "the variables hold the address only; taking over would drop it",
                )
            self.origin(f"{variable}.unicast_peers[{len(peers)}]", child)
            peers.append(_ip(words[0][1]))

    def tracked(self, entry, variable, section, node, key):
        items = entry.setdefault(key, [])
        for child, words in self.lines(node, section, f"{section} > {node['words'][0][1]}"):
            name = words[0][1]
            if len(words) == 1:
                item = name
            elif len(words) == 3 and words[1][1] == "weight":
                item = {"name": name, "weight": _number(words[2][1])}
            elif words[1][1] == "weight":
                item = {"name": name, "weight": _statement_text(words[2:])}
            else:
                item = {"name": name, "weight": _statement_text(words[1:])}
            self.origin(f"{variable}.{key}[{len(items)}]", child)
            items.append(item)

    def sync_group(self, node):
        entry, variable = self.named(node, "sync_groups")
        section = _statement_text(node["words"])
        for child, words in self.statements(node, section):
            keyword = words[0][1]
            if child["children"] is not None:
                if keyword == "group":
                    members = entry.setdefault("group", [])
                    self.origin(f"{variable}.group", child)
                    for member in child["children"]:
                        if member["children"] is not None:
                            self.nested_block(member, f"{section} > group")
                        elif member["words"] and not self.special(member, section):
                            members.extend(text for _kind, text in member["words"])
                else:
                    self.nested_block(child, section)
                continue
            if keyword in _NOTIFY_KEYS:
                self.notify(entry, words)
                self.origin(f"{variable}.{keyword}", child)
            else:
                self.keep(entry, variable, section, child)


def _flag(words):
    """A flag keyword: true alone, or its true/false word."""
    if len(words) == 1:
        return True
    value = _rest(words)
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    return value


def _value_number(words):
    if len(words) == 1:
        return ""
    if len(words) == 2:
        return _number(words[1][1])
    return _statement_text(words[1:])


def _init_file(values):
    """init_file [VALUE] [overwrite]: the model's int or {value, overwrite}."""
    texts = [text for _kind, text in values]
    overwrite = bool(texts) and texts[-1] == "overwrite"
    if overwrite:
        texts = texts[:-1]
    if len(texts) > 1:
        value = " ".join(texts)
    else:
        value = _number(texts[0]) if texts else 0
    return {"value": value, "overwrite": True} if overwrite else value


def _vip(text):
    """ADDRESS[/PREFIX] as {address, prefix}: canonical, with the full prefix
    when none is written (as keepalived and the model read it)."""
    address, slash, bits = text.partition("/")
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return {"address": text}
    vip = {"address": str(addr)}
    if slash:
        vip["prefix"] = _number(bits) if bits else bits
    else:
        vip["prefix"] = 32 if addr.version == 4 else 128
    return vip


@only_config_errors(KeepalivedImportError, "keepalived.conf import")
def parse(text, path=DEFAULT_PATH, files=None):
    """Read keepalived.conf ``text`` (the file ``path``, with its includes
    among ``files``: {absolute path: text}) into the model's variables, what
    was kept in ``extra``, what was dropped, the syntax errors and where each
    entry came from (see the module's docstring)."""
    if not isinstance(text, str):
        raise KeepalivedImportError(
            [f"keepalived.conf import: expected the file's text, got {type(text).__name__}"]
        )
    if not isinstance(path, str) or not path.startswith("/"):
        raise KeepalivedImportError(
            [f"keepalived.conf import: the path {show(path)} is not an absolute path"]
        )
    if files is None:
        files = {}
    if not isinstance(files, dict):
        raise KeepalivedImportError(
            [
                "keepalived.conf import: files must map absolute paths to their text, got "
                f"{type(files).__name__}"
            ]
        )
    readable = {
        posixpath.normpath(name): content
        for name, content in files.items()
        if isinstance(name, str) and name.startswith("/") and isinstance(content, str)
    }
    reader = _Reader(readable)
    top = reader.tree(text, posixpath.normpath(path), (posixpath.normpath(path),))
    importer = _Importer(reader)
    variables = importer.run(top)
    return {
        "variables": variables,
        "kept": importer.kept,
        "dropped": reader.dropped,
        "errors": reader.errors,
        "origins": importer.origins,
    }
