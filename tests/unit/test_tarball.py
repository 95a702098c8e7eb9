"""The collection tarball holds what its users need, and nothing else.

The tarball is built from this checkout with ansible-galaxy (the one next to
the test's Python, else the one on PATH), as `make collection` builds it, and
its listing is checked against an allow-list (what may ship) and a deny-list
(what must never ship, wherever it is). galaxy.yml's build_ignore says why
each part is left out. A build takes about two seconds.

The changelog that ships names every module, filter, role and playbook that
ships, or the next release will (see the last test).
"""

from __future__ import annotations

import ast
import fnmatch
import glob
import importlib
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Top-level files and directories that may ship.
ALLOWED_TOP_FILES = {
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "CHANGELOG.rst",
    "site.yml",
}
ALLOWED_TOP_DIRS = {
    "meta",
    "plugins",
    "roles",
    "playbooks",
    "docs",
    "changelogs",
    "inventories",
}
# Inside changelogs/ and inventories/, only these (fnmatch patterns).
ALLOWED_NESTED = {
    "changelogs": ["changelogs", "changelogs/changelog.yaml", "changelogs/config.yaml"],
    "inventories": ["inventories", "inventories/example", "inventories/example/*"],
}
# Never in the tarball, at any depth: each pattern is matched against every
# path component (name) of every entry.
DENIED_NAMES = [
    "*vault-pass*",
    "*vault_pass*",
    "*password*.txt",
    "*.tar.gz",
    "__pycache__",
    "*.pyc",
    "*.pyo",
    "*.retry",
    "*.swp",
    "*~",
    ".*",
    "tests",
    "molecule",
    "benchmarks",
    "build",
    "fragments",
    "lab",
    "Makefile",
    "requirements*.txt",
]
# Must be in the tarball: what Galaxy, ansible-doc and antsibull read.
REQUIRED = [
    *sorted(ALLOWED_TOP_FILES),
    "meta/runtime.yml",
    "changelogs/changelog.yaml",
    "playbooks/site.yml",
    "inventories/example/hosts.yml",
    "inventories/example/README.md",
    "inventories/example/group_vars/loadbalancers/vault.yml",
]
# The whole of these source directories ships (less caches and hidden files).
SHIPPED_SOURCE_DIRS = ["roles", "plugins", "playbooks", "meta"]
# A bound well above today's size (about 0.6 MB): a big accident fails it.
MAX_BYTES = 1024 * 1024


def _ansible_galaxy():
    beside = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which("ansible-galaxy")
    if not found:
        pytest.fail("ansible-galaxy is neither next to the test's Python nor on PATH")
    return found


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("tarball")
    proc = subprocess.run(
        [_ansible_galaxy(), "collection", "build", "--force", "--output-path", str(out), ROOT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as f:
        galaxy = yaml.safe_load(f)
    path = out / f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    assert path.is_file(), sorted(os.listdir(out))
    return path


@pytest.fixture(scope="module")
def entries(tarball):
    with tarfile.open(tarball) as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


def test_only_allowed_entries(entries):
    unexpected = []
    for name, member in sorted(entries.items()):
        top = name.split("/", 1)[0]
        if "/" not in name and member.isfile():
            ok = name in ALLOWED_TOP_FILES
        elif top in ALLOWED_NESTED:
            ok = any(fnmatch.fnmatchcase(name, p) for p in ALLOWED_NESTED[top])
        else:
            ok = top in ALLOWED_TOP_DIRS
        if not ok:
            unexpected.append(name)
    assert unexpected == [], "not meant to ship (galaxy.yml build_ignore): " + ", ".join(unexpected)


def test_nothing_denied_at_any_depth(entries):
    denied = [
        name
        for name in sorted(entries)
        for part in name.split("/")
        if any(fnmatch.fnmatchcase(part, p) for p in DENIED_NAMES)
    ]
    assert denied == []


def test_what_users_need_ships(entries):
    missing = [name for name in REQUIRED if name not in entries]
    assert missing == []


def test_every_role_plugin_and_playbook_file_ships(entries):
    missing = []
    for top in SHIPPED_SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            for filename in filenames:
                if filename.startswith(".") or filename.endswith((".pyc", ".pyo")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, filename), ROOT)
                if rel not in entries:
                    missing.append(rel)
    assert missing == []


def test_the_example_vault_ships_encrypted_only(tarball):
    with tarfile.open(tarball) as tar:
        member = tar.extractfile("inventories/example/group_vars/loadbalancers/vault.yml")
        assert member is not None
        assert member.read().startswith(b"$ANSIBLE_VAULT;")


def test_manifest_and_size(tarball, entries):
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"]) == ("halb", "cluster")
    size = tarball.stat().st_size
    assert size < MAX_BYTES, f"{size} bytes, {len(entries)} entries"


# --- every module, filter, role and playbook is in the changelog ------------


def _version(text):
    return tuple(int(p) for p in str(text).split("-", maxsplit=1)[0].split("."))


def _module_docs(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DOCUMENTATION" for t in node.targets
        ):
            return yaml.safe_load(node.value.value) or {}
    return {}


def _shipped_objects():
    """(kind, name) -> version_added (None for playbooks, which have none)."""
    found = {}
    for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")):
        name = os.path.splitext(os.path.basename(path))[0]
        if name != "__init__":
            found[("module", name)] = _module_docs(path).get("version_added")
    for path in glob.glob(os.path.join(ROOT, "plugins", "filter", "*.py")):
        name = os.path.splitext(os.path.basename(path))[0]
        module = importlib.import_module(f"ansible_collections.halb.cluster.plugins.filter.{name}")
        filters = module.FilterModule().filters() if hasattr(module, "FilterModule") else {}
        for filter_name in filters:
            sidecar = os.path.join(ROOT, "plugins", "filter", f"{filter_name}.yml")
            docs = {}
            if os.path.exists(sidecar):
                with open(sidecar, encoding="utf-8") as f:
                    docs = (yaml.safe_load(f) or {}).get("DOCUMENTATION") or {}
            found[("filter", filter_name)] = docs.get("version_added")
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")):
        with open(path, encoding="utf-8") as f:
            main = (yaml.safe_load(f).get("argument_specs") or {}).get("main") or {}
        found[("role", path.split(os.sep)[-3])] = main.get("version_added")
    for path in glob.glob(os.path.join(ROOT, "playbooks", "*.yml")):
        found[("playbook", os.path.splitext(os.path.basename(path))[0])] = None
    return found


def _changelog_objects():
    """(kind, name) recorded in changelog.yaml or announced by a fragment,
    and the latest release."""
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml"), encoding="utf-8") as f:
        releases = yaml.safe_load(f).get("releases") or {}
    recorded = set()
    for release in releases.values():
        recorded |= {("module", m["name"]) for m in release.get("modules") or []}
        for kind, entries in (release.get("plugins") or {}).items():
            recorded |= {(kind, e["name"]) for e in entries}
        for kind, entries in (release.get("objects") or {}).items():
            recorded |= {(kind, e["name"]) for e in entries}
    for path in glob.glob(os.path.join(ROOT, "changelogs", "fragments", "*.y*ml")):
        with open(path, encoding="utf-8") as f:
            fragment = yaml.safe_load(f) or {}
        for section, entries in fragment.items():
            if section.startswith(("add plugin.", "add object.")):
                kind = section.split(".", 1)[1]
                recorded |= {(kind, e["name"]) for e in entries or []}
    latest = max((_version(v) for v in releases), default=None)
    return recorded, latest


def test_every_module_filter_role_and_playbook_is_in_the_changelog():
    """What ships is in changelogs/changelog.yaml, or will be at the next
    release: antsibull-changelog adds a module, filter or role whose
    version_added is the version it releases (`make changelog-release`), and a
    playbook only from a fragment's `add object.playbook`."""
    recorded, latest = _changelog_objects()
    missing = []
    for (kind, name), version_added in sorted(_shipped_objects().items()):
        if (kind, name) in recorded:
            continue
        upcoming = version_added is not None and (
            latest is None or _version(version_added) > latest
        )
        if not upcoming:
            missing.append(f"{kind} {name} (version_added: {version_added})")
    assert missing == [], (
        "not in changelogs/changelog.yaml: run `make changelog-release` for a version_added "
        "that is already released, give the rest a version_added (modules, filters, "
        "roles) or an `add object.playbook` fragment (playbooks): " + "; ".join(missing)
    )
