"""How each daemon splits a line into words, to compare the shape of a
rendered file: which lines there are, the directive each starts with, how
many words it has, and whether a comment starts in it."""

from __future__ import annotations

import re

_KEYWORD_RE = re.compile(r"[a-z][a-z0-9_.-]*")


def _words(line, quotes, escape_in, escape_outside, comments, mid_word):
    """Split ``line`` into words as a daemon does. ``quotes``: the quote
    characters; ``escape_in``: the quotes inside which a backslash escapes;
    ``escape_outside``: whether it escapes outside quotes; ``comments``: the
    characters that start a comment outside quotes, anywhere (``mid_word``)
    or at the start of a word only. Returns (words, comment, unbalanced)."""
    words, word, quote, escaped, started = [], "", None, False, False
    for char in line:
        if escaped:
            word, escaped, started = word + char, False, True
        elif quote:
            if char == "\\" and quote in escape_in:
                escaped = True
            elif char == quote:
                quote = None
            else:
                word += char
        elif char == "\\" and escape_outside:
            escaped = True
        elif char in quotes:
            quote, started = char, True
        elif char in comments and (mid_word or not started):
            if started:
                words.append(word)
            return words, True, False
        elif char.isspace():
            if started:
                words.append(word)
            word, started = "", False
        else:
            word, started = word + char, True
    if started:
        words.append(word)
    return words, False, quote is not None or escaped


def haproxy_words(line):
    """HAProxy's parse_line(): outside quotes a backslash escapes the next
    character and # starts a comment; inside double quotes a backslash
    escapes; inside single quotes nothing is special but the closing quote."""
    return _words(line, "'\"", '"', True, "#", True)


def keepalived_words(line):
    """keepalived's read_line()/alloc_strvec(): double quotes group words,
    # or ! outside quotes starts a comment."""
    return _words(line, '"', "", False, "#!", True)


def rainer_words(line):
    """RainerScript (and logrotate) lines: strings in double or single quotes
    with backslash escapes, # outside a string starts a comment."""
    return _words(line, "'\"", "'\"", False, "#", True)


def snail_words(line):
    """s-nail's resource file: shell-like words (single quotes literal, double
    quotes and bare text with backslash escapes); # at the start of a word
    starts a comment."""
    return _words(line, "'\"", '"', True, "#", False)


def systemd_words(line):
    """A systemd unit line: shell-like words (quotes, backslash escapes), no
    comment but at the start of a line; a trailing backslash joins the next
    line (reported as unbalanced)."""
    words, comment, unbalanced = snail_words(line.replace("#", "\x00"))
    return [w.replace("\x00", "#") for w in words], comment, unbalanced


def sh_words(line):
    """A line of sh: shell words; every expansion that runs a command or reads
    a variable outside single quotes ($(, `, ${, $name) counts as a word of
    its own, so that one injected into a double-quoted string is seen."""
    words, comment, unbalanced = snail_words(line)
    quote, count = None, 0
    for i, char in enumerate(line):
        if quote == "'":
            quote = None if char == "'" else quote
        elif char == "'" and quote is None:
            quote = "'"
        elif char == "#" and quote is None and (i == 0 or line[i - 1].isspace()):
            break
        elif char == "`" or (char == "$" and line[i + 1 : i + 2] in ("(", "{")):
            count += 1
    return words + ["<expansion>"] * count, comment, unbalanced


def keyword(word):
    return word if _KEYWORD_RE.fullmatch(word or "") else "<value>"


def shape(text, split):
    """[(keyword, number of words, comment, unbalanced)] of every line that is
    not blank or a whole-line comment."""
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped[0] in "#!":
            out.append(("", 0, stripped[:1] in ("#", "!"), False))
            continue
        words, comment, unbalanced = split(line)
        out.append((keyword(words[0] if words else ""), len(words), comment, unbalanced))
    return out


def differences(base_text, text, split, value_words=False, base_value=None):
    """Why ``text`` does not have the shape of ``base_text`` (a list of
    reasons, empty when it has). ``value_words``: the field may legitimately
    hold several words (a condition, a command line, an extra line), so only
    the number of lines, the comments and the keywords must agree. A keyword
    may change where the line starts with the field's own value."""
    base, new = shape(base_text, split), shape(text, split)
    if len(base) != len(new):
        return [f"{len(new)} lines instead of {len(base)}"]
    reasons = []
    changed_keywords = 0
    for i, (b, n) in enumerate(zip(base, new, strict=True)):
        if n[2] != b[2]:
            reasons.append(f"line {i + 1}: a comment starts in it")
        if n[3] and not b[3]:
            reasons.append(f"line {i + 1}: an unclosed quote or a trailing backslash")
        if n[0] != b[0]:
            own = (
                base_value is not None
                and b[0] != ""
                and (
                    b[0] in str(base_value)
                    or str(base_value).split("/", maxsplit=1)[0] in b[0]
                    or b[0] == "<value>"
                )
            )
            changed_keywords += 1
            if not own or changed_keywords > 1 and not value_words:
                reasons.append(f"line {i + 1}: starts with {n[0]!r} instead of {b[0]!r}")
        if not value_words and n[1] != b[1]:
            reasons.append(f"line {i + 1}: {n[1]} words instead of {b[1]}")
    return reasons
