"""Sphinx extension for `make docs`: references to Ansible's docs, offline.

antsibull-docs' conf.py resolves references to Ansible's own docsite (the
common return values, the configuration settings) and to other collections'
plugins (M(ansible.builtin.copy), O(ansible.builtin.copy#module:dest)) with
intersphinx, which downloads inventories from docs.ansible.com: that times
out on a machine without a network, so `make docs` switches intersphinx off
and this extension resolves those references instead, to the pages of
Ansible's devel docsite, without fetching anything. Only the labels below
and the collections the collection depends on are resolved: any other
missing reference stays a warning (and -W fails the build).
"""

from __future__ import annotations

from docutils import nodes

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"

# Labels of Ansible's docsite that antsibull-docs' pages refer to, and their
# pages there.
ANSIBLE_LABELS = {
    "common_return_values": (
        "reference_appendices/common_return_values.html#common-return-values",
        "Return Values",
    ),
    "ansible_configuration_settings": (
        "reference_appendices/config.html#ansible-configuration-settings",
        "Ansible Configuration Settings",
    ),
}

# Collections whose plugin pages are on Ansible's docsite: ansible-core's
# and the collection's dependencies (galaxy.yml: none).
EXTERNAL_COLLECTIONS = ("ansible.builtin",)


def external_uri(label: str) -> tuple[str, str] | None:
    """The URL and a title for a label this docsite does not have, or None."""
    if label in ANSIBLE_LABELS:
        page, title = ANSIBLE_LABELS[label]
        return ANSIBLE_DOCS + page, title
    for collection in EXTERNAL_COLLECTIONS:
        prefix = f"ansible_collections.{collection}."
        if not label.startswith(prefix):
            continue
        # <plugin>_<type>, then __parameter-..., __return-... for options.
        page, _sep, anchor = label[len(prefix) :].partition("__")
        if not page:
            return None
        namespace, name = collection.split(".")
        uri = f"{ANSIBLE_DOCS}collections/{namespace}/{name}/{page}.html"
        if anchor:
            uri += "#" + nodes.make_id(label)
        return uri, f"{collection}.{page}"
    return None


def missing_reference(app, env, node, contnode):
    if node.get("refdomain") != "std" or node.get("reftype") != "ref":
        return None
    found = external_uri(node.get("reftarget", ""))
    if found is None:
        return None
    uri, title = found
    reference = nodes.reference("", "", internal=False, refuri=uri, reftitle=title)
    if node.get("refexplicit"):
        reference += contnode
    else:
        reference += nodes.inline(title, title)
    return reference


def setup(app):
    app.connect("missing-reference", missing_reference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
