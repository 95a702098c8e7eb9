"""Make the source tree importable as ansible_collections.halb.cluster."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collection_path():
    # A tree that already sits at ansible_collections/halb/cluster (ansible-test
    # units runs in one) is imported from there.
    if ROOT.split(os.sep)[-3:] == ["ansible_collections", "halb", "cluster"]:
        return os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
    # Else one link per checkout, so that two checkouts never import each other's code.
    tag = hashlib.sha256(ROOT.encode()).hexdigest()[:12]
    base = os.path.join(tempfile.gettempdir(), f"halb-unit-{os.getuid()}-{tag}")
    link = os.path.join(base, "ansible_collections", "halb", "cluster")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if os.path.realpath(link) != ROOT:
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(ROOT, link)
    return base


sys.path.insert(0, _collection_path())

# Ansible's own collection loader must find halb.cluster too (filters named by
# their FQCN in role files templated by the tests): the first configuration
# wins, so it is made here, before any test module calls init_plugin_loader().
# ansible-test units runs the tests of plugins/modules with only
# ansible.module_utils importable (modules run on the target): no loader then.
try:
    from ansible.plugins.loader import init_plugin_loader
except ImportError:
    init_plugin_loader = None

if init_plugin_loader is not None:
    init_plugin_loader([sys.path[0]])
