"""The adopt corpus (tests/unit/plugins/module_utils/adopt_corpus) against
the real daemons: every file its README marks valid for the daemon, and its
rendered form (parse, then our renderer, with the installed collection's
code), passes `keepalived --config-test` / `haproxy -c` on a node. The unit
tests prove the round trip; this proves both ends are files the daemons take.
Runs last, on the backup node of the pair the roles now manage (it has the
keepalived_script user the corpus's scripts run as)."""

from __future__ import annotations

import importlib
import os
import pathlib
import re
import shlex

import pytest
from halb_common import container, sh
from halb_pair import HOSTS

PROJECT = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
CORPUS = PROJECT / "tests" / "unit" / "plugins" / "module_utils" / "adopt_corpus"
NODE = HOSTS[1]
# Not /tmp (trixie mounts a tmpfs there that docker cp does not see); written
# through docker exec anyway.
REMOTE = "/root/adopt-corpus"
# keepalived 2.2.7 ends --config-test with SIGTERM (exit 143) when the file
# has scripts, having printed every problem it found (TESTING.md); 2.3 exits
# 0. Exactly what the keepalived_config module accepts: rc 0, or 143 and silence.
SIGTERM_EXITS = (143, -15)


def _collection():
    """The installed collection (the tarball molecule runs), importable."""
    import sys

    for entry in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":"):
        if (pathlib.Path(entry) / "ansible_collections" / "halb" / "cluster").is_dir():
            if entry not in sys.path:
                sys.path.insert(0, entry)
            break
    else:
        pytest.fail("no halb.cluster under ANSIBLE_COLLECTIONS_PATH")
    base = "ansible_collections.halb.cluster.plugins.module_utils."
    return {
        name: importlib.import_module(base + name)
        for name in ("_keepalived", "_keepalived_import", "_haproxy", "_haproxy_import")
    }


EXTENSIONS = {"keepalived": "*.conf", "haproxy": "*.cfg"}


def _marks(daemon):
    """{file: mark} from the README's table: "REFUSED" (the daemon or our
    model refuses the file), "RENDERED REFUSED" (the daemon takes the file,
    not its rendered form: it uses what the import drops), or ""."""
    marks = {}
    for line in (CORPUS / daemon / "README.md").read_text().splitlines():
        match = re.match(r"^\|\s*(\S+\.(?:conf|cfg))\s*\|\s*(.*?)\s*\|\s*$", line)
        if match:
            covers = match.group(2)
            mark = re.match(r"^(RENDERED REFUSED|REFUSED)\b", covers)
            marks[match.group(1)] = mark.group(1) if mark else ""
    return marks


def _cases():
    """(daemon, file, check the rendered form too) for every entry point the
    README marks valid for the daemon."""
    cases = []
    for daemon, pattern in EXTENSIONS.items():
        marks = _marks(daemon)
        for path in sorted((CORPUS / daemon).glob(pattern)):
            # A file the README does not list is a mistake of the corpus: it fails below.
            mark = marks.get(path.name)
            if mark != "REFUSED":
                cases.append((daemon, path.name, mark))
    return cases


def _write(path, text):
    """Write ``text`` to ``path`` on the node through docker exec."""
    rc, out = container(NODE).exec_run(
        ["/bin/sh", "-c", 'mkdir -p "$(dirname "$P")" && printf %s "$T" > "$P"'],
        environment={"P": path, "T": text},
    )
    assert rc == 0, out.decode(errors="replace")


def _check(daemon, path):
    command = (
        ["keepalived", "--config-test", "-f", path]
        if daemon == "keepalived"
        else ["haproxy", "-c", "-q", "-f", path]
    )
    # From the file's directory too (relative includes); through sh, which
    # never takes a lost output for silence (keepalived 2.2.7's pass is
    # exit 143 and no output).
    rc, output = sh(
        NODE, f"cd {shlex.quote(os.path.dirname(path))} && {shlex.join(command)}", check=False
    )
    output = output.strip()
    passed = rc == 0 or (daemon == "keepalived" and rc in SIGTERM_EXITS and not output)
    return passed, rc, output


@pytest.fixture(scope="module")
def node():
    """The backup node with what the corpus needs: its files under REMOTE,
    a second interface eth1 (a veth pair) and the keepalived_script user."""
    sh(
        NODE,
        "ip link show eth1 >/dev/null 2>&1 || ip link add eth1 type veth peer name eth2;"
        " ip link set eth1 up && ip link set eth2 up",
    )
    sh(
        NODE,
        "id keepalived_script >/dev/null 2>&1 || useradd --system --no-create-home keepalived_script",
    )
    sh(NODE, f"rm -rf {REMOTE}")
    # Every file of the corpus, include targets too, in the same layout.
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.name != "README.md":
            _write(f"{REMOTE}/{path.relative_to(CORPUS)}", path.read_text())
    yield NODE
    sh(NODE, f"ip link del eth1; rm -rf {REMOTE}", check=False)


def test_the_corpus_has_files_for_both_daemons():
    daemons = {daemon for daemon, _name, _mark in CASES}
    assert daemons == set(EXTENSIONS), CASES
    assert len(CASES) >= 30, CASES


CASES = _cases()


@pytest.mark.parametrize(("daemon", "name", "mark"), CASES, ids=[c[1] for c in CASES])
def test_corpus_file_and_its_rendered_form_pass_the_daemon(node, daemon, name, mark):
    assert mark in ("", "RENDERED REFUSED"), f"{name}: not in the README's table"
    code = _collection()
    local = CORPUS / daemon / name
    remote = f"{REMOTE}/{daemon}/{name}"
    passed, rc, output = _check(daemon, remote)
    assert passed, f"{name}: {daemon} refused the corpus file (exit {rc}): {output}"
    if mark == "RENDERED REFUSED":
        return
    text = local.read_text()
    if daemon == "keepalived":
        files = {
            f"{REMOTE}/{p.relative_to(CORPUS)}": p.read_text()
            for p in (CORPUS / daemon).rglob("*")
            if p.is_file() and p.name != "README.md"
        }
        parsed = code["_keepalived_import"].parse(text, remote, files)
        rendered = code["_keepalived"].render(parsed["variables"], allow_weak_secrets=True)
    else:
        parsed = code["_haproxy_import"].parse(text, remote)
        rendered = code["_haproxy"].render(parsed["variables"], allow_weak_secrets=True)
    assert parsed["errors"] == [], parsed["errors"]
    _write(remote + ".rendered", rendered)
    passed, rc, output = _check(daemon, remote + ".rendered")
    assert passed, f"{name}: {daemon} refused the rendered form (exit {rc}): {output}\n{rendered}"
