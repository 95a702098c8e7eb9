"""Role and inventory text as ansible-core 2.19 templates it."""

from __future__ import annotations

from ansible.template import trust_as_template


def trusted(value):
    """Template text written in the project is trusted as a template (ansible-core 2.19)."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return value
