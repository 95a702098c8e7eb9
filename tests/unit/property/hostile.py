"""Hostile values for the property tests: what an attacker would put into a
variable that ends up in a generated file."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, settings, strategies as st

# Fixed seeds (derandomize) so that CI is repeatable; no example database.
SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    suppress_health_check=list(HealthCheck),
)
# Values of other types: fewer per node, as there are many more nodes.
TYPE_SETTINGS = settings(SETTINGS, max_examples=12)

# What starts a new line, closes a quote or a block, starts a comment, expands
# a variable or a command in one of the grammars we write: keepalived.conf,
# haproxy.cfg, RainerScript, s-nail's resource file, systemd units, sh.
INJECTIONS = [
    "\n", "\r\n", "\r", "\x00", "\x0b", "\x0c", "\x1b[0m", "\x7f", "\x85", "\u2028", "\u2029",
    '"', "'", "`", "\\", "\\\n", "\\'", '\\"', "{", "}", "#", "!", ";", "%", "%n", "$",
    "$(id)", "${HOME}", "`id`", " ", "\t", "-", "--", "&&", "|", "*", "/../", "..", "=",
    "é", "ü", "\ufeff", "\u202e", "\U0001f600", "\xa0",
    "\nlisten evil\n    bind :1",
    "\nvrrp_script evil {\n    script /tmp/x\n}",
    '"\n    action(type="omprog" binary="/bin/sh")',
    "'\nset mta=smtp://evil",
    "\nExecStartPre=/bin/sh -c id",
    " # cut",
    "' # cut",
    "\\' # cut",
    '" # cut',
]  # fmt: skip

_POSITIONS = ("prefix", "middle", "suffix", "zone", "alone")


def _insert(base, inj, where):
    if where == "prefix":
        return inj + base
    if where == "middle":
        half = len(base) // 2
        return base[:half] + inj + base[half:]
    if where == "suffix":
        return base + inj
    if where == "zone":  # the IPv6 zone-ID road in
        return "fe80::1%" + inj
    return inj


def hostile_text(base):
    """Strings derived from the harmless ``base`` and wholly random ones."""
    base = str(base)
    return st.one_of(
        st.builds(_insert, st.just(base), st.sampled_from(INJECTIONS), st.sampled_from(_POSITIONS)),
        st.builds(
            lambda a, b: base + a + b,
            st.sampled_from(INJECTIONS),
            st.sampled_from(INJECTIONS),
        ),
        st.text(max_size=30),
        st.just((base or "x") * (5000 // max(len(base), 1) + 1)),
        st.just(base + "\n"),
        st.just(" " + base + " "),
    )


# JSON-like values of every shape, for the "only our error class" property.
json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


def leaves(data, path=()):
    """Paths to every string leaf of ``data`` (dict keys and list indexes)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaves(value, (*path, i))
    elif isinstance(data, str):
        yield path


def nodes(data, path=()):
    """Paths to every node of ``data`` (leaves and containers, not the root)."""
    if path:
        yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from nodes(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from nodes(value, (*path, i))


def get(data, path):
    for step in path:
        data = data[step]
    return data


def replaced(data, path, value):
    out = copy.deepcopy(data)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def leaf_key(path):
    """The last mapping key on ``path``: the field a message must name."""
    for step in reversed(path):
        if isinstance(step, str):
            return step
    return None


def path_id(path):
    return ".".join(str(step) for step in path)
