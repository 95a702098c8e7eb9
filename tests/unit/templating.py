"""Role and inventory text as ansible-core templates it, on every supported version.

ansible-core 2.19 templates only strings marked as trusted (what the project
and the inventory wrote); any other string is data. Before 2.19 every string
is a template unless it is wrapped as unsafe. The tests say which is which
with these two helpers and run unchanged on 2.16 through 2.21.
"""

from __future__ import annotations

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19: strings are templates unless unsafe
    from ansible.utils.unsafe_proxy import wrap_var

    def trust_as_template(value):
        """Before 2.19 every string is a template already."""
        return value

    def untrusted(value):
        """Data that must never be templated (a value from outside): unsafe."""
        return wrap_var(value)

else:

    def untrusted(value):
        """Data that must never be templated: a plain string is data in 2.19+."""
        return value


def trusted(value):
    """Template text written in the project is trusted as a template."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return value
