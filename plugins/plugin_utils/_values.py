# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers shared by the collection's filter plugins."""

from __future__ import annotations


def plain(value):
    """Turn Ansible's lazy containers (hostvars, templated dicts) into plain Python values."""
    if value is None:
        return None
    if hasattr(value, "items"):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    # Scalars too: ansible-core 2.19 hands filters tagged subclasses
    # (_AnsibleTaggedInt ...), whose type names would reach our messages.
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value
