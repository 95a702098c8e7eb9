# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy's line grammar: how haproxy.cfg splits a line into words
(``_scan``), how a value is quoted to stay one word (``_quote``), and the
reader of free text written as is after a keyword (``_as_raw``).

The lowest layer of the package: it imports nothing of it.
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    MAX_TEXT,
    is_int,
    show,
)


def _scan(text):
    """Split ``text`` into words the way HAProxy's parse_line() reads a
    configuration line: outside quotes a backslash escapes the next character
    and # starts a comment; inside double quotes a backslash escapes and $
    starts an environment variable; inside single quotes nothing is special
    but the closing quote.

    Returns ``(words, problem)``: ``problem`` is None, or a short reason why
    HAProxy would not read ``text`` as written (a comment, an unbalanced
    quote, a bad escape or variable name).
    """
    words = []
    word = []
    started = False
    quote = None
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if quote == "'":
            if char == "'":
                quote = None
            else:
                word.append(char)
            i += 1
            continue
        if char == "#" and quote is None:
            return words + (["".join(word)] if started else []), "comment"
        if char == '"':
            quote = None if quote == '"' else '"'
            started = True
            i += 1
            continue
        if char == "'" and quote is None:
            quote = "'"
            started = True
            i += 1
            continue
        if char == "\\":
            nxt = text[i + 1] if i + 1 < n else ""
            started = True
            if nxt == "x":
                if not re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 2 : i + 4]):
                    return words, "a \\x escape without two hexadecimal digits"
                word.append(chr(int(text[i + 2 : i + 4], 16)))
                i += 4
                continue
            if nxt and (nxt in " \\#'\"tnr" or (nxt == "$" and quote == '"')):
                word.append({"t": "\t", "n": "\n", "r": "\r"}.get(nxt, nxt))
                i += 2
                continue
            word.append(char)
            i += 1
            continue
        if char in " \t\v\f" and quote is None:
            if started:
                words.append("".join(word))
                word = []
                started = False
            i += 1
            continue
        if char == "$" and quote == '"':
            match = _ENV_RE.match(text, i)
            if not match:
                return (
                    words,
                    "a $ inside double quotes that does not start an environment variable (escape it: \\$)",
                )
        word.append(char)
        started = True
        i += 1
    if quote:
        return words, "an unbalanced quote"
    if started:
        words.append("".join(word))
    return words, None


_ENV_RE = re.compile(r"\$(\{[A-Za-z_.][A-Za-z0-9_]*(-[^}]*)?\}|[A-Za-z_.][A-Za-z0-9_]*)")
# HAProxy reads at most 64 words on a line (MAX_LINE_ARGS) of at most 2047 bytes.
_MAX_WORDS = 63
_MAX_LINE = 2047


def _quote(text):
    """One HAProxy word for ``text``: as is when it holds nothing special,
    else in single quotes (where HAProxy reads nothing specially but the
    closing quote; a quote in the text is closed, escaped and reopened)."""
    text = str(text)
    if text and _PLAIN_WORD.fullmatch(text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


_PLAIN_WORD = re.compile("[^\\s'\"\\\\#$\x00-\x1f\x7f-\x9f\u2028\u2029]+")


# A free-text value that a message repeats may hold a password (an extra line
# `user x insecure-password SECRET "`, `stats auth admin:SECRET` that did not
# read as words): everything after such a keyword is hidden.
_SECRET_TAIL = re.compile(
    r"(?i)((?:^|\s)(?:(?:insecure-)?password|auth)\s+(?:[^:\s]+:)?).*$", re.DOTALL
)


def _shown(value):
    """show() of free text, with what follows a password keyword hidden."""
    if isinstance(value, str):
        value = _SECRET_TAIL.sub(lambda m: m.group(1) + "********", value)
    return show(value)


def _as_raw(errs, where, value, what="value"):
    """Free text written as is after a keyword (an ACL criterion, a condition,
    a line): it must read as words in HAProxy's grammar, without a comment,
    an unbalanced quote or a line break."""
    if value is None:
        return None
    if is_int(value):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        errs.append(f"{where}: {_shown(value)} is not a non-empty string")
        return None
    if CONTROL_RE.search(value):
        errs.append(
            f"{where}: a {what} may not contain line breaks or control characters "
            f"(found {show(CONTROL_RE.search(value).group())}); they would end the line in "
            "haproxy.cfg"
        )
        return None
    if len(value) > MAX_TEXT:
        errs.append(
            f"{where}: {len(value)} characters is too long for a {what} (at most {MAX_TEXT})"
        )
        return None
    words, problem = _scan(value)
    if problem == "comment":
        errs.append(
            f"{where}: {_shown(value)} contains a # outside quotes, which would start a comment "
            "in haproxy.cfg; quote or escape it (\\#)"
        )
        return None
    if problem:
        errs.append(f"{where}: {_shown(value)} has {problem}, which HAProxy refuses")
        return None
    if len(words) > _MAX_WORDS:
        errs.append(f"{where}: {len(words)} words; HAProxy reads at most {_MAX_WORDS} on a line")
        return None
    return value.strip()
