# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read an existing haproxy.cfg into the HAProxy model's input variables
(issue 19: adopting a hand-built pair).

``parse(text, path)`` returns ``{"variables", "kept", "dropped", "errors",
"origins"}`` (see below). Standard library only, no I/O: the caller reads
the file. Lines are split into words by HAProxy's own grammar
(``_haproxy._grammar._scan``: quotes, backslash escapes, ``#`` comments; a
line never continues on the next one).

What a line becomes:

* A directive the model has a key for, with a value the model can write back
  exactly (checked with the model's own readers), goes to that key, in the
  model's normal form (``normalize()`` returns it unchanged). A value taken
  from a double-quoted word holding a ``$`` (an environment variable HAProxy
  expands) is not: its line stays as written. HAProxy's defaults the model
  would write differently are written out (``option httpchk`` alone is
  ``OPTIONS /``, a redirect without a code is 302, ``ssl`` without
  ``verify`` is ``required`` unless ``ssl-server-verify none``).
* Anything else in ``global``, ``defaults``, a frontend, backend or listen
  goes, as written (comment cut), to the section's ``extra`` lines, which the
  model writes at the end of the section, and is listed in ``kept``. Lines
  the linter and the model must see even though the model refuses or warns
  about them stay where the model reports them: removed directives (nbproc,
  reqadd ...) and ``option httpclose`` in ``extra`` or ``options``,
  ``verify none`` on the server, ``stats admin if TRUE`` and weak passwords
  in ``stats``.
* Order that matters to HAProxy is kept: the model writes ``http-request``
  rules (and redirects first), ``use_backend`` rules and servers before the
  ``extra`` lines, so once one line of such a sequence has to go to
  ``extra``, every later line of that sequence goes there too (also the
  servers after a ``default-server`` line, which applies only to the servers
  below it). A rule whose condition uses an ACL that is not wholly in
  ``acls`` goes to ``extra`` (after the ACL lines). ``redirect`` lines run
  after every ``http-request`` rule: they become ``redirects`` only in a
  section without ``http-request`` rules.
* What the model cannot hold at all is in ``dropped`` with its line: other
  sections (peers, resolvers, mailers, program, cache, http-errors, ring,
  log-forward, fcgi-app, crt-store ...), userlist groups and users whose
  password the model would write differently, a ``from`` clause naming
  another defaults section, and every ``defaults`` section but one: the one
  the proxies use is imported (the last one before the first proxy); one
  before it had no effect (nothing used it) and one after it applies to the
  proxies below it, which the single ``haproxy_defaults`` cannot say.
  Rules in a (named) defaults section are dropped too: the model writes an
  anonymous one, where HAProxy refuses them.
  Several ``global`` sections are merged, as HAProxy does.
* Lines HAProxy cannot read (an unbalanced quote, a bad escape, a control
  character, a line longer than 2047 bytes, a directive outside any
  section) are in ``errors`` and skipped, as are a second section of one
  kind with one name and an unbalanced ``.if``/``.endif``; conditional
  blocks and ``.notice``-style lines are dropped.

Only :class:`HAProxyConfigError` leaves ``parse``. The result is plain JSON
data; ``kept`` texts have passwords redacted (``redact()``).
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy import redact
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    _BAD_LABEL,
    _BAD_WORD,
    _TIMEOUTS,
    REDACTED,
    VAR_NAMES,
    HAProxyConfigError,
    _label,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._defaults import (
    _defaults,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._directives import (
    _OPTIONS,
    _retry_on,
    _timeouts,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._global import (
    _global,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._grammar import (
    _MAX_LINE,
    _scan,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._proxies import (
    _BALANCE,
    _acls,
    _binds,
    _cookie,
    _expect,
    _http_request,
    _httpchk,
    _redirects,
    _servers,
    _stats,
    _use_backends,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._render import (
    L7_RETRY_GUARD,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._userlists import (
    _userlists,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    only_config_errors,
)

DEFAULT_PATH = "/etc/haproxy/haproxy.cfg"
# Larger input is refused whole (a haproxy.cfg of 16 MiB is not a hand-built one).
MAX_INPUT = 16 * 1024 * 1024

_PROXIES = {"frontend": "frontends", "backend": "backends", "listen": "listens"}
# Every section keyword HAProxy (2.6 to 3.x) knows; a line starting with one
# opens a new section whatever its indentation.
_OTHER_SECTIONS = (
    "peers",
    "resolvers",
    "mailers",
    "program",
    "cache",
    "http-errors",
    "ring",
    "log-forward",
    "fcgi-app",
    "crt-store",
    "traces",
    "acme",
    "log-profile",
)
_SECTIONS = ("global", "defaults", "userlist", *_PROXIES, *_OTHER_SECTIONS)

# Rules HAProxy 2.6 takes in a defaults section only when it is named.
_RULES = ("http-request", "http-response", "http-after-response", "tcp-request", "tcp-response")
_DIGITS = re.compile(r"^[0-9]{1,12}$")


# --------------------------------------------------------------------------
# Words of a line, with where each stands in the line
# --------------------------------------------------------------------------


def _spans(line):
    """``(spans, end)``: the (start, stop) of each word of ``line`` as HAProxy
    splits it (the rules of ``_scan``), and where its content ends (a
    comment's #, or the line's end)."""
    spans = []
    start = None
    quote = None
    i = 0
    n = len(line)
    while i < n:
        char = line[i]
        if quote == "'":
            if char == "'":
                quote = None
            i += 1
            continue
        if char == "#" and quote is None:
            n = i
            break
        if char in "\"'" or char == "\\":
            if start is None:
                start = i
            if char == '"':
                quote = None if quote == '"' else '"'
            elif char == "'":
                quote = "'"
            else:
                nxt = line[i + 1] if i + 1 < n else ""
                if nxt == "x":
                    i += 4
                    continue
                if nxt and (nxt in " \\#'\"tnr" or (nxt == "$" and quote == '"')):
                    i += 2
                    continue
            i += 1
            continue
        if char in " \t\v\f" and quote is None:
            if start is not None:
                spans.append((start, i))
                start = None
            i += 1
            continue
        if start is None:
            start = i
        i += 1
    if start is not None:
        spans.append((start, min(i, n)))
    return spans, n


class _Line:
    """One directive: its number, words (decoded), raw words, and text."""

    __slots__ = ("no", "words", "raw", "text")

    def __init__(self, no, words, raw):
        self.no = no
        self.words = words
        self.raw = raw
        # The line as HAProxy reads it: its words as written, one space
        # apart, without the comment.
        self.text = " ".join(raw)

    def rest(self, k):
        """The raw words from word ``k`` on, as written, one space apart
        (tabs or runs of blanks between words mean nothing to HAProxy)."""
        return " ".join(self.raw[k:])

    def plain_head(self):
        """``plain()`` for the words the model reads as values: the first
        two of an acl, http-request or use_backend line and the first three
        of a ``stats admin`` line (the rest is written as it is), else all."""
        if self.words[0] in ("acl", "http-request", "use_backend"):
            return not any('"' in raw and "$" in raw for raw in self.raw[:2])
        if self.words[:2] == ["stats", "admin"]:
            return not any('"' in raw and "$" in raw for raw in self.raw[:3])
        return self.plain()

    def plain(self, k=0):
        """Whether the words from ``k`` on hold no environment variable (a
        ``$`` inside double quotes, which HAProxy expands and our renderer
        would not)."""
        return not any('"' in raw and "$" in raw for raw in self.raw[k:])


def _lines(text, path, errors):
    """The directives of ``text`` (errors for lines HAProxy cannot read)."""
    out = []
    for no, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip():
            continue
        if len(line.encode("utf-8", "surrogatepass")) > _MAX_LINE:
            errors.append(_error(path, no, f"the line is longer than {_MAX_LINE} bytes"))
            continue
        bad = CONTROL_RE.search(line.replace("\t", " "))
        if bad:
            errors.append(
                _error(path, no, f"the line holds a control character ({ord(bad.group()):#04x})")
            )
            continue
        spans, end = _spans(line)
        content = line[:end]
        words, problem = _scan(content)
        if problem:
            errors.append(_error(path, no, f"HAProxy cannot read the line: {problem}"))
            continue
        if not words:
            continue
        raw = [content[a:b] for a, b in spans]
        if " ".join(raw) != " ".join(raw).strip():
            errors.append(
                _error(path, no, "the line starts or ends with a Unicode space inside a word")
            )
            continue
        if [_scan(r)[0] for r in raw] != [[w] for w in words]:
            errors.append(_error(path, no, "the line's words could not be told apart"))
            continue
        out.append(_Line(no, words, raw))
    return out


def _error(path, no, message):
    return {"file": path, "line": no, "message": message}


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------


class _Section:
    def __init__(self, head):
        self.head = head
        self.kind = head.words[0]
        self.args = head.words[1:]
        self.body = []
        self.title = " ".join([self.kind, *self.args[:1]])


_KEYWORD_RE = re.compile(r"^[a-z][a-z0-9._-]{0,39}$")


def _sections(lines, res):
    """The sections of ``lines``. Conditional blocks (.if ... .endif) and
    HAProxy's message directives (.notice, .warning, .alert, .diag) are
    dropped: the variables have no conditions."""
    sections = []
    current = None
    block = None  # (.if line, lines inside)
    depth = 0
    for line in lines:
        first = line.words[0]
        title = current.title if current else "top level"
        if first == ".if":
            depth += 1
            if depth == 1:
                block = [line, 0]
            continue
        if depth:
            if first == ".endif":
                depth -= 1
                if not depth:
                    res.drop(
                        block[0].no,
                        title,
                        f"a conditional block (.if ... .endif, {block[1]} lines): the "
                        "variables have no conditions, so taking over would drop it",
                    )
            elif first not in (".elif", ".else"):
                block[1] += 1
            continue
        if first.startswith("."):
            reason = "a message directive for HAProxy's start"
            if first in (".endif", ".elif", ".else"):
                res.errors.append(_error(res.path, line.no, f"{first} without .if"))
            else:
                res.drop(line.no, title, reason)
            continue
        if first in _SECTIONS:
            current = _Section(line)
            sections.append(current)
        elif current is None:
            word = repr(first) if _KEYWORD_RE.fullmatch(first) else "a directive"
            res.errors.append(_error(res.path, line.no, f"{word} outside any section"))
        else:
            current.body.append(line)
    if depth:
        res.errors.append(_error(res.path, block[0].no, ".if without .endif"))
    return sections


class _Result:
    def __init__(self, path):
        self.path = path
        self.variables = {}
        self.kept = []
        self.dropped = []
        self.errors = []
        self.origins = {}

    def origin(self, var, no):
        self.origins.setdefault(var, f"{self.path}:{no}")

    def drop(self, no, section, reason):
        self.dropped.append({"file": self.path, "line": no, "section": section, "reason": reason})


def _ok(reader, *args):
    """Run one of the model's readers; (value, True) when it found nothing wrong."""
    errs = []
    value = reader(errs, [], *args) if reader in _WARN_READERS else reader(errs, *args)
    return value, not errs


def _http_request_reader(errs, warns, where, item, acls):
    return _http_request(errs, warns, where, [item], acls)


def _redirect_reader(errs, warns, where, item, acls):
    return _redirects(errs, warns, where, [item], acls, False)


def _use_backend_reader(errs, warns, where, item, acls):
    return _use_backends(errs, warns, where, [item], acls)


_WARN_READERS = (
    _http_request_reader,
    _redirect_reader,
    _use_backend_reader,
    _acls,
    _global,
    _defaults,
    _userlists,
)


# The line the renderer adds where L7 retries are on (split as _scan does).
_L7_RETRY_GUARD_WORDS = L7_RETRY_GUARD.split()


def _int(word):
    return int(word) if _DIGITS.fullmatch(word) else word


# --------------------------------------------------------------------------
# One section's lines: structured keys and extra lines in order
# --------------------------------------------------------------------------


class _Body:
    """What one section's lines become: ``data`` (model keys), ``extra``
    lines with their numbers, and the origin of each key."""

    def __init__(self, res, section, var):
        self.res = res
        self.section = section
        self.var = var
        self.data = {}
        self.extra = []  # (line number, text)
        self.where = {}  # model label -> line number

    def keep(self, line):
        self.extra.append((line.no, line.text, line))

    def once(self, key, value, line):
        """A single-valued key: the first line sets it; a later one (which
        HAProxy reads as overriding it) stays in extra after it."""
        if key in self.data or value is None:
            self.keep(line)
            return
        self.data[key] = value
        self.where[f"{self.var}.{key}"] = line.no

    def finish(self):
        """Sorted extra lines into data, and kept and origin entries."""
        self.extra.sort(key=lambda item: item[0])
        lines = [text for _no, text, _line in self.extra]
        if lines:
            self.data["extra"] = lines
        for j, (no, _text, line) in enumerate(self.extra):
            at = f"{self.var}.extra[{j}]"
            self.where[at] = no
            self.res.kept.append(
                {
                    "file": self.res.path,
                    "line": no,
                    "section": self.section,
                    "variable": at,
                    "text": _redact(line),
                }
            )
        for at, no in sorted(self.where.items(), key=lambda kv: kv[1]):
            self.res.origin(at, no)
        return self.data


def _redact(line):
    """The kept text of ``line`` without a password: after ``stats auth``
    (or an ``auth`` right before a user:password) only the user is kept, after
    a ``password`` keyword nothing, whatever the quoting; ``redact()`` for
    the rest."""
    words = line.words
    for k, word in enumerate(words):
        auth = word.endswith("auth") and (
            (k and words[k - 1].endswith("stats")) or ":" in "".join(words[k + 1 : k + 2])
        )
        if (auth or word.endswith("password")) and k + 1 < len(words):
            user = words[k + 1].partition(":")[0] if auth and ":" in words[k + 1] else ""
            shown = f"{user}:{REDACTED}" if user and not _BAD_WORD.search(user) else REDACTED
            return " ".join([*line.raw[: k + 1], shown])
    return redact(line.text)


# -- global -----------------------------------------------------------------

_GLOBAL_SCALARS = {
    "maxconn": "maxconn",
    "user": "user",
    "group": "group",
    "nbthread": "nbthread",
    "pidfile": "pidfile",
    "server-state-file": "server_state_file",
    "hard-stop-after": "hard_stop_after",
    "ssl-default-bind-ciphers": "ssl_default_bind_ciphers",
    "tune.ssl.default-dh-param": "tune_ssl_default_dh_param",
}


def _global_value(key, value):
    """The value of one global key as the model reads it, or None."""
    config, ok = _ok(_global, {key: value}, True)
    return config.get(key) if ok else None


def _global_line(body, line):
    w = line.words
    first = w[0]
    if not line.plain():
        body.keep(line)
        return
    if first == "log" and len(w) in (3, 4):
        item = {"address": w[1], "facility": w[2]}
        if len(w) == 4:
            item["level"] = w[3]
        value = _global_value("log", [item])
        if value:
            at = f"{body.var}.log[{len(body.data.get('log', []))}]"
            body.data.setdefault("log", []).append(value[0])
            body.where[at] = line.no
            return
    elif first in _GLOBAL_SCALARS and len(w) == 2:
        key = _GLOBAL_SCALARS[first]
        body.once(key, _global_value(key, _int(w[1])), line)
        return
    elif first in ("daemon", "master-worker") and len(w) == 1:
        body.once(first.replace("-", "_"), True, line)
        return
    elif first == "ssl-default-bind-options" and len(w) > 1:
        key = "ssl_default_bind_options"
        body.once(key, _global_value(key, " ".join(w[1:])), line)
        return
    elif first == "stats" and len(w) >= 3 and w[1] == "socket" and len(w) % 2 == 1:
        sock = {"path": w[2]}
        pairs = {w[k]: w[k + 1] for k in range(3, len(w) - 1, 2)}
        if len(pairs) == (len(w) - 3) // 2 and set(pairs) <= {"mode", "level", "user", "group"}:
            sock.update(pairs)
            value = _global_value("stats_socket", sock)
            if value == sock:
                body.once("stats_socket", value, line)
                return
    body.keep(line)


# -- defaults -----------------------------------------------------------------

_DEFAULTS_SCALARS = {
    "mode": "mode",
    "retries": "retries",
    "maxconn": "maxconn",
    "http-reuse": "http_reuse",
    "load-server-state-from-file": "load_server_state_from_file",
}


def _defaults_value(key, value):
    config, ok = _ok(_defaults, {key: value}, True)
    return config.get(key) if ok else None


# -- proxies ----------------------------------------------------------------

_PROXY_SCALARS = {
    "mode": ("mode", ("frontend", "backend", "listen")),
    "maxconn": ("maxconn", ("frontend", "listen")),
    "balance": ("balance", ("backend", "listen")),
    "http-reuse": ("http_reuse", ("backend", "listen")),
    "default_backend": ("default_backend", ("frontend", "listen")),
}
# Options that set one thing, the last of a group winning: one of them in
# extra before another keeps the other in extra too (order kept).
_OPTION_GROUPS = (
    {"httpclose", "http-server-close", "http-keep-alive", "forceclose", "http-tunnel"},
    {"httplog", "tcplog", "httpslog", "log-format", "log-format-sd"},
)


def _option_line(body, line, seen_extra):
    """``option NAME`` into options, unless order with an extra line matters."""
    w = line.words
    name = w[1] if len(w) == 2 and w[0] == "option" else None
    if name is None or name not in _OPTIONS or name in body.data.get("options", []):
        body.keep(line)
        return
    group = next((g for g in _OPTION_GROUPS if name in g), {name})
    if seen_extra & group:
        body.keep(line)
        return
    at = f"{body.var}.options[{len(body.data.get('options', []))}]"
    body.data.setdefault("options", []).append(name)
    body.where[at] = line.no


def _extra_names(line):
    """The option names (or log-format) an extra line sets, for _OPTION_GROUPS."""
    w = line.words
    if w[0] in ("log-format", "log-format-sd"):
        return {w[0]}
    if w[0] == "no" and len(w) > 2 and w[1] == "option":
        return {w[2]}
    if w[0] == "option" and len(w) > 1:
        return {w[1]}
    return set()


def _timeout_line(body, line, kind):
    w = line.words
    key = w[1].replace("-", "_") if len(w) == 3 and w[0] == "timeout" else None
    timeouts = body.data.get("timeouts", {})
    if key not in _TIMEOUTS or key in timeouts:
        body.keep(line)
        return
    errs = []
    value = _timeouts(errs, "t", {key: w[2]}, kind).get(key)
    if errs or value is None:
        body.keep(line)
        return
    body.data["timeouts"] = {**timeouts, key: value}
    body.where[f"{body.var}.timeouts.{key}"] = line.no


def _defaults_body(res, section):
    body = _Body(res, section.title, VAR_NAMES["defaults"])
    in_extra = set()
    for line in section.body:
        w = line.words
        if w[0] in _RULES:
            res.drop(
                line.no,
                section.title,
                f"{w[0]} rules in a defaults section: HAProxy takes them only in a named "
                "defaults section that proxies name with from, and haproxy_defaults is written "
                "as an anonymous one; move the rule into the proxies that use it",
            )
            continue
        if not line.plain():
            body.keep(line)
        elif w[0] == "option":
            _option_line(body, line, in_extra)
        elif w[0] == "timeout":
            _timeout_line(body, line, "defaults")
        elif w == ["log", "global"]:
            body.once("log", "global", line)
        elif w[0] in _DEFAULTS_SCALARS and len(w) == 2:
            key = _DEFAULTS_SCALARS[w[0]]
            body.once(key, _defaults_value(key, _int(w[1])), line)
        elif w[0] == "retry-on" and len(w) > 1:
            body.once("retry_on", _defaults_value("retry_on", w[1:]), line)
        else:
            body.keep(line)
        if body.extra and body.extra[-1][0] == line.no:
            in_extra |= _extra_names(line)
    return body.finish()


def _cond_split(line, start):
    """``(args raw, cond or None)`` of the words from ``start`` on: the
    condition starts at the first ``if`` or ``unless``; ``if X`` is stored as
    ``X``, ``unless X`` whole (the renderer writes ``if`` before a bare one)."""
    for k in range(start, len(line.words)):
        if line.words[k] in ("if", "unless"):
            args = " ".join(line.raw[start:k])
            if line.words[k] == "if":
                cond = line.rest(k + 1)
            else:
                cond = line.rest(k)
            return args.strip(), cond or None, True
    return line.rest(start), None, False


def _redirect_shape(line, start):
    """``{scheme, code, cond}`` of ``redirect scheme S [code N] [if|unless C]``
    read from word ``start`` (after ``redirect``), or None. HAProxy's default
    code is 302: it is written out."""
    w = line.words
    if len(w) < start + 2 or w[start] != "scheme" or w[start + 1] not in ("http", "https"):
        return None
    item = {"scheme": w[start + 1], "code": 302}
    k = start + 2
    if len(w) > k + 1 and w[k] == "code":
        if not _DIGITS.fullmatch(w[k + 1]):
            return None
        item["code"] = int(w[k + 1])
        k += 2
    if k < len(w):
        if w[k] not in ("if", "unless") or k + 1 >= len(w):
            return None
        _args, cond, _has = _cond_split(line, k)
        item["cond"] = cond
    return item


def _bind(line):
    """The model's bind for ``bind ADDR:PORT [ssl] [crt PATH] [alpn LIST]``, or None."""
    w = line.words
    if len(w) < 2 or "," in w[1]:
        return None
    host, sep, port = w[1].rpartition(":")
    if not sep or not _DIGITS.fullmatch(port):
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    item = {"port": int(port)}
    if host:
        item["address"] = host
    k = 2
    while k < len(w):
        word = w[k]
        if word == "ssl" and "ssl" not in item:
            item["ssl"] = True
            k += 1
        elif word in ("crt", "alpn") and word not in item and k + 1 < len(w):
            item[word] = w[k + 1] if word == "crt" else w[k + 1].split(",")
            k += 2
        else:
            return None
    errs = []
    value = _binds(errs, "b", [item], {})
    if errs or len(value) != 1:
        return None
    return value[0]


_SERVER_FLAGS = {"check": "check", "backup": "backup", "ssl": "ssl", "check-ssl": "check_ssl"}
_SERVER_VALUES = {
    "inter": "inter",
    "rise": "rise",
    "fall": "fall",
    "weight": "weight",
    "maxconn": "maxconn",
    "cookie": "cookie",
    "verify": "verify",
    "ca-file": "ca_file",
    "sni": "sni",
}


def _server(line, verify_default, has_cookie):
    """The model's server for a ``server`` line it can write back exactly, or None."""
    w = line.words
    if len(w) < 3:
        return None
    host, sep, port = w[2].rpartition(":")
    if not sep or not host or not _DIGITS.fullmatch(port):
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    item = {"name": w[1], "address": host, "port": int(port)}
    k = 3
    while k < len(w):
        word = w[k]
        if word in _SERVER_FLAGS and _SERVER_FLAGS[word] not in item:
            item[_SERVER_FLAGS[word]] = True
            k += 1
        elif word in _SERVER_VALUES and _SERVER_VALUES[word] not in item and k + 1 < len(w):
            value = w[k + 1]
            if word == "sni":
                match = re.fullmatch(r"str\(([^()]*)\)", value)
                if not match:
                    return None
                value = match.group(1)
            item[_SERVER_VALUES[word]] = _int(value) if word != "cookie" else value
            k += 2
        else:
            return None
    if item.get("ssl") and "verify" not in item:
        item["verify"] = verify_default
    errs = []
    value = _servers(errs, [], "s", [item], has_cookie)
    if errs or len(value) != 1:
        return None
    return value[0]


def _cookie_line(line):
    w = line.words
    if len(w) < 2:
        return None
    item = {"name": w[1]}
    for word in w[2:]:
        if word in ("insert", "rewrite", "prefix") and "mode" not in item:
            item["mode"] = word
        elif word in ("indirect", "nocache") and word not in item:
            item[word] = True
        else:
            return None
    errs = []
    value = _cookie(errs, "c", item)
    return None if errs else value


def _httpchk_group(lines):
    """``(httpchk, expect)`` of a section's ``option httpchk`` and
    ``http-check`` lines when the model can write them back exactly, else None."""
    chk = [ln for ln in lines if ln.words[0] == "option"]
    sends = [ln for ln in lines if ln.words[:2] == ["http-check", "send"]]
    expects = [ln for ln in lines if ln.words[:2] == ["http-check", "expect"]]
    if len(chk) != 1 or len(sends) > 1 or len(expects) > 1:
        return None
    if len(chk) + len(sends) + len(expects) != len(lines):
        return None
    args = chk[0].words[2:]
    if args and sends:
        return None
    item = {"method": "OPTIONS", "uri": "/"}
    if len(args) == 1:
        item["uri"] = args[0]
    elif len(args) in (2, 3):
        item["method"], item["uri"] = args[0], args[1]
        if len(args) == 3:
            item["version"] = args[2]
    elif len(args) > 3:
        return None
    if sends:
        w = sends[0].words
        keys = {"meth": "method", "uri": "uri", "ver": "version"}
        k = 2
        seen = set()
        while k < len(w):
            if w[k] in keys and w[k] not in seen and k + 1 < len(w):
                item[keys[w[k]]] = w[k + 1]
                seen.add(w[k])
                k += 2
            elif w[k] == "hdr" and k + 2 < len(w) and w[k + 1].lower() == "host":
                if "host" in item:
                    return None
                item["host"] = w[k + 2]
                k += 3
            else:
                return None
    errs = []
    httpchk = _httpchk(errs, "h", item)
    if errs or httpchk != item:
        return None
    expect = None
    if expects:
        expect = _expect(errs, "e", expects[0].rest(2))
        if errs:
            return None
    return httpchk, expect


def _stats_line(line, stats, names):
    """Put one ``stats`` line of a listen into ``stats``; False when it must go to extra."""
    w = line.words
    sub = w[1] if len(w) > 1 else ""
    single = {"uri": "uri", "realm": "realm", "refresh": "refresh"}
    if sub in ("enable", "hide-version") and len(w) == 2:
        key = sub.replace("-", "_")
        if key in stats:
            return False
        stats[key] = True
        return key
    if sub in single and len(w) == 3 and single[sub] not in stats:
        trial = {single[sub]: w[2]}
    elif sub == "auth" and len(w) == 3 and ":" in w[2]:
        user, _sep, password = w[2].partition(":")
        trial = {"auth": [*stats.get("auth", []), {"user": user, "password": password}]}
    elif sub == "admin" and len(w) > 3 and w[2] in ("if", "unless") and "admin_cond" not in stats:
        trial = {"admin_cond": line.rest(3) if w[2] == "if" else line.rest(2)}
    else:
        return False
    errs = []
    value = _stats(errs, [], "s", {"enable": True, **trial}, names, True)
    if errs or value is None:
        return False
    for key in trial:
        if value.get(key) is None:
            return False
        stats[key] = value[key]
    if sub == "auth":
        return _label("auth", len(stats["auth"]) - 1, stats["auth"][-1], "user")
    return next(iter(trial))


def _proxy_body(res, section, var, kind, verify_default):
    """The model's proxy for one frontend, backend or listen section."""
    name = section.args[0]
    body = _Body(res, section.title, var)
    body.data["name"] = name
    front = kind in ("frontend", "listen")
    back = kind in ("backend", "listen")
    lines = []
    for line in section.body:
        if back and line.words == _L7_RETRY_GUARD_WORDS:
            res.drop(
                line.no,
                section.title,
                "the collection writes this line itself in every HTTP backend whose "
                "retry_on (or haproxy_defaults.retry_on) holds more than conn-failure; "
                "elsewhere it does nothing",
            )
        else:
            lines.append(line)
    # Lines whose words the model writes as values: none may hold an
    # environment variable (conditions, criteria and rule arguments are
    # written as they are, so only their leading keywords count).
    plain = {line.no for line in lines if line.plain_head()}

    # ACL names wholly in acls: every line of the name is readable.
    acl_lines = [ln for ln in lines if ln.words[0] == "acl" and front]
    bad = set()
    for ln in acl_lines:
        ok = len(ln.words) > 2 and ln.no in plain
        if ok:
            _value, ok = _ok(_acls, "a", [{"name": ln.words[1], "criterion": ln.rest(2)}], set())
        if not ok:
            bad.add(ln.words[1] if len(ln.words) > 1 else "")
    names = {ln.words[1] for ln in acl_lines if len(ln.words) > 2} - bad

    has_http_request = any(ln.words[0] == "http-request" for ln in lines)
    chk_lines = [
        ln
        for ln in lines
        if back and (ln.words[:2] == ["option", "httpchk"] or ln.words[0] == "http-check")
    ]
    chk = _httpchk_group(chk_lines) if all(ln.no in plain for ln in chk_lines) else None
    has_cookie = back and any(
        ln.words[0] == "cookie" and _cookie_line(ln) is not None for ln in lines
    )

    server_names = set()
    spilled = set()  # sequences already in extra from an earlier line on
    redirect_prefix = True
    stats = {}
    in_extra = set()
    for line in lines:
        w = line.words
        first = w[0]
        before = len(body.extra)
        if line in chk_lines:
            if chk is None:
                body.keep(line)
            elif first == "option":
                body.data["httpchk"] = chk[0]
                body.where[f"{var}.httpchk"] = line.no
            elif w[1] == "send":
                body.where[f"{var}.httpchk.send"] = line.no
            elif w[1] == "expect" and chk[1] is not None:
                body.data["http_check_expect"] = chk[1]
                body.where[f"{var}.http_check_expect"] = line.no
        elif line.no not in plain:
            body.keep(line)
            if first in ("http-request", "redirect", "use_backend", "server"):
                spilled.add(first)
            if first in ("default-server", "server-template"):
                spilled.add("server")
        elif first == "acl" and front:
            if len(w) > 2 and w[1] in names:
                acls = body.data.setdefault("acls", [])
                at = _label(f"{var}.acls", len(acls), {"name": w[1]})
                if at in body.where:
                    at = f"{var}.acls[{len(acls)}]"
                acls.append({"name": w[1], "criterion": line.rest(2)})
                body.where[at] = line.no
            else:
                body.keep(line)
        elif first == "http-request" and front:
            _rule_line(body, line, names, spilled, redirect_prefix)
            redirect_prefix = redirect_prefix and "http_request" not in body.data
        elif first == "redirect" and front and not has_http_request:
            item = _redirect_shape(line, 1) if "redirect" not in spilled else None
            value, ok = (None, False) if item is None else _ok(_redirect_reader, "r", item, names)
            if ok and value:
                _append(body, "redirects", value[0], line)
            else:
                spilled.add("redirect")
                body.keep(line)
        elif first == "use_backend" and front:
            args, cond, _has = _cond_split(line, 1)
            item = {"backend": args, "cond": cond}
            value, ok = (
                _ok(_use_backend_reader, "u", item, names)
                if "use_backend" not in spilled and cond and w[2] in ("if", "unless")
                else (None, False)
            )
            if ok and value:
                _append(body, "use_backends", value[0], line)
            else:
                spilled.add("use_backend")
                body.keep(line)
        elif first == "bind" and front:
            value = _bind(line)
            if value is None:
                body.keep(line)
            else:
                _append(body, "binds", value, line)
        elif first == "server" and back:
            value = _server(line, verify_default, has_cookie) if "server" not in spilled else None
            servers = body.data.setdefault("servers", [])
            if value is None or value["name"] in server_names:
                spilled.add("server")
                body.keep(line)
            else:
                at = _label(f"{var}.servers", len(servers), value)
                servers.append(value)
                server_names.add(value["name"])
                body.where[at] = line.no
        elif first in ("default-server", "server-template"):
            spilled.add("server")
            body.keep(line)
        elif first == "cookie" and back:
            body.once("cookie", _cookie_line(line), line)
        elif first == "stats" and kind == "listen":
            key = _stats_line(line, stats, names)
            if key:
                body.where.setdefault(f"{var}.stats", line.no)
                body.where[f"{var}.stats.{key}"] = line.no
            else:
                body.keep(line)
        elif first == "option":
            _option_line(body, line, in_extra)
        elif first == "timeout":
            _timeout_line(body, line, kind)
        elif first in _PROXY_SCALARS and kind in _PROXY_SCALARS[first][1] and len(w) == 2:
            key = _PROXY_SCALARS[first][0]
            body.once(key, _proxy_value(key, w[1]), line)
        elif first == "retry-on" and back and len(w) > 1:
            value, ok = _ok(_retry_on, f"{var}.retry_on", w[1:])
            body.once("retry_on", value if ok else None, line)
        else:
            body.keep(line)
        if len(body.extra) > before:
            in_extra |= _extra_names(line)
    if stats:
        body.data["stats"] = {**stats, "enable": True}
    if not body.data.get("servers"):
        body.data.pop("servers", None)
    data = body.finish()
    return data


def _proxy_value(key, word):
    if key == "maxconn":
        value = _int(word)
        return value if isinstance(value, int) and 1 <= value <= 10000000 else None
    if key == "balance":
        return word if word in _BALANCE else None
    if key == "mode":
        return word if word in ("http", "tcp") else None
    if key == "http_reuse":
        return word if word in ("never", "safe", "aggressive", "always") else None
    if key == "default_backend":
        errs = []
        _use_backends(errs, [], "d", [{"backend": word, "cond": "TRUE"}], set())
        return None if errs else word
    return None


def _append(body, key, value, line):
    items = body.data.setdefault(key, [])
    body.where[f"{body.var}.{key}[{len(items)}]"] = line.no
    items.append(value)


def _rule_line(body, line, names, spilled, redirect_prefix):
    """One ``http-request`` line: a redirect (while they come first), a rule,
    or extra (and every later http-request line with it)."""
    if "http-request" in spilled or len(line.words) < 2:
        spilled.add("http-request")
        body.keep(line)
        return
    if redirect_prefix and line.words[1] == "redirect":
        item = _redirect_shape(line, 2)
        if item is not None and "http_request" not in body.data:
            value, ok = _ok(_redirect_reader, "r", item, names)
            if ok and value:
                _append(body, "redirects", value[0], line)
                return
    args, cond, has = _cond_split(line, 2)
    item = {"action": line.words[1]}
    if args:
        item["args"] = args
    if has:
        item["cond"] = cond
    value, ok = _ok(_http_request_reader, "h", item, names)
    if ok and value and value[0] == item:
        _append(body, "http_request", item, line)
        return
    spilled.add("http-request")
    body.keep(line)


# -- userlists --------------------------------------------------------------


def _userlist(res, section, var):
    users = []
    seen = set()
    for line in section.body:
        w = line.words
        if (
            w[0] == "user"
            and len(w) >= 4
            and line.plain()
            and w[2] in ("password", "insecure-password")
        ):
            password = w[3]
            hashed = w[2] == "password"
            rest = w[4:]
            if hashed != password.startswith("$"):
                res.drop(
                    line.no,
                    section.title,
                    "a user whose password our model would write as "
                    + ("insecure-password" if hashed else "a hash (password)")
                    + "; set it again in haproxy_userlists",
                )
                continue
            if rest and not (len(rest) == 2 and rest[0] == "groups"):
                res.drop(
                    line.no, section.title, "a user line with options our model has no key for"
                )
                continue
            item = {"name": w[1], "password": password}
            value, ok = _ok(_userlists, [{"name": "u", "users": [item]}], True)
            if not ok or item["name"] in seen:
                res.drop(
                    line.no,
                    section.title,
                    "a user our model cannot hold (its name or password is not accepted)",
                )
                continue
            users.append(item)
            seen.add(item["name"])
            res.origin(_label(f"{var}.users", len(users) - 1, item), line.no)
            if rest:
                res.drop(
                    line.no,
                    section.title,
                    "the user's groups: our model has no userlist groups (http_auth_group "
                    "conditions would fail)",
                )
        elif w[0] == "group":
            res.drop(line.no, section.title, "userlist groups: our model has no key for them")
        else:
            res.drop(line.no, section.title, "a userlist line our model cannot hold")
    return users


# --------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------


def _defaults_choice(sections):
    """The index (in ``sections``) of the defaults section to import, or None."""
    chosen = None
    for i, section in enumerate(sections):
        if section.kind == "defaults":
            chosen = i
        elif section.kind in _PROXIES and chosen is not None:
            break
    return chosen


def _verify_default(sections):
    for section in sections:
        if section.kind == "global":
            for line in section.body:
                if line.words[:2] == ["ssl-server-verify", "none"]:
                    return "none"
    return "required"


@only_config_errors(HAProxyConfigError, "haproxy configuration")
def parse(text, path=DEFAULT_PATH):
    """Read haproxy.cfg ``text`` (the file at ``path``, for messages).

    Returns ``{"variables", "kept", "dropped", "errors", "origins"}``: the
    model's input (sections present only), the lines kept verbatim in an
    ``extra`` list, what cannot be imported, the lines HAProxy cannot read,
    and where each variable came from (``"haproxy_backends[web]":
    "/etc/haproxy/haproxy.cfg:42"``). Raises only HAProxyConfigError.
    """
    if not isinstance(path, str) or not path or CONTROL_RE.search(path) or len(path) > 4096:
        raise HAProxyConfigError(["haproxy configuration: the path is not a file path"])
    if not isinstance(text, str):
        raise HAProxyConfigError([f"{path}: expected text, got {type(text).__name__}"])
    if len(text) > MAX_INPUT:
        raise HAProxyConfigError([f"{path}: {len(text)} characters is too long for a haproxy.cfg"])
    res = _Result(path)
    sections = _sections(_lines(text, path, res.errors), res)
    chosen = _defaults_choice(sections)
    verify_default = _verify_default(sections)
    defaults_name = None
    if chosen is not None and len(sections[chosen].args) >= 1:
        defaults_name = sections[chosen].args[0]
    glob = _Body(res, "global", VAR_NAMES["global"])
    names = {key: set() for key in ("frontends", "backends", "listens", "userlists")}
    out = {key: [] for key in names}
    for i, section in enumerate(sections):
        kind = section.kind
        head = section.head
        if kind == "global":
            if section.args:
                res.errors.append(_error(path, head.no, "global takes no arguments"))
                continue
            for line in section.body:
                _global_line(glob, line)
            glob.where.setdefault(VAR_NAMES["global"], head.no)
        elif kind == "defaults":
            if i != chosen:
                res.drop(head.no, section.title, _defaults_reason(i, chosen, sections))
                continue
            if len(section.args) > 1:
                res.drop(
                    head.no,
                    section.title,
                    "the from clause of a defaults section: our model has one haproxy_defaults",
                )
            if any(s.kind in _PROXIES for s in sections[:i]):
                res.drop(
                    head.no,
                    section.title,
                    "proxies above this defaults section do not use it, but our model applies "
                    "haproxy_defaults to every proxy",
                )
            data = _defaults_body(res, section)
            if data:
                res.variables["defaults"] = data
                res.origin(VAR_NAMES["defaults"], head.no)
        elif kind in _PROXIES or kind == "userlist":
            key = _PROXIES.get(kind, "userlists")
            if not section.args or _BAD_LABEL.search(section.args[0]):
                res.errors.append(_error(path, head.no, f"a {kind} section without a usable name"))
                continue
            name = section.args[0]
            if name in names[key]:
                res.errors.append(
                    _error(path, head.no, f"a second {kind} section with the same name")
                )
                continue
            names[key].add(name)
            var = _label(VAR_NAMES[key], len(out[key]), {"name": name})
            rest = section.args[1:]
            if kind == "userlist":
                if rest:
                    res.drop(head.no, section.title, "words after the userlist's name")
                users = _userlist(res, section, var)
                if not users:
                    res.drop(head.no, section.title, "a userlist without a user our model can hold")
                    continue
                out[key].append({"name": name, "users": users})
            else:
                if rest and not (len(rest) == 2 and rest[0] == "from" and rest[1] == defaults_name):
                    res.drop(
                        head.no,
                        section.title,
                        "words after the section's name (a from clause naming another "
                        "defaults section): our model has one haproxy_defaults",
                    )
                out[key].append(_proxy_body(res, section, var, kind, verify_default))
            res.origin(var, head.no)
        else:
            res.drop(
                head.no,
                section.title,
                f"a {kind} section: our model has no key for it, so taking over would "
                f"drop it ({len(section.body)} lines)",
            )
    data = glob.finish()
    if data:
        res.variables["global"] = data
    for key in ("userlists", "frontends", "backends", "listens"):
        if out[key]:
            res.variables[key] = out[key]
    res.variables = {
        key: res.variables[key]
        for key in ("global", "defaults", "userlists", "frontends", "backends", "listens")
        if key in res.variables
    }
    return {
        "variables": res.variables,
        "kept": sorted(res.kept, key=lambda k: k["line"]),
        "dropped": sorted(res.dropped, key=lambda d: d["line"]),
        "errors": res.errors,
        "origins": res.origins,
    }


def _defaults_reason(i, chosen, sections):
    if chosen is not None and i < chosen:
        return (
            "a defaults section that a later one replaces before any proxy uses it: it has no "
            "effect, and our model has one haproxy_defaults"
        )
    users = [s for s in sections[i + 1 :] if s.kind in _PROXIES]
    return (
        f"a second defaults section (used by {len(users)} proxies below it): our model has one "
        "haproxy_defaults, so taking over would give those proxies the first one's settings"
    )
