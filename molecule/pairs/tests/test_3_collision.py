"""The cross-pair check refuses a VRID collision before anything changes:
site.yml, run as the converge runs it (molecule's inventory, environment and
collections), but with pair_c's VRID set to pair_a's, must stop in its first
pre-task with a message naming keepalived_instances[...].virtual_router_id
and both pairs, and leave every node as it was: the rendered configs
(sha256), the services' main PIDs and start times, and the VIPs, which go on
answering."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import time

import yaml
from halb_common import recap, sh
from pairs import LBS, PAIRS, ask, fingerprint, holders_all

CONVERGE = pathlib.Path(__file__).resolve().parent.parent / "converge.yml"


def _installed_site_checks_pairs():
    """site.yml of the installed collection (the one the converge ran) runs
    the cross-pair check: without it the run below would deploy the collision."""
    for root in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":"):
        site = pathlib.Path(root) / "ansible_collections/halb/cluster/playbooks/site.yml"
        if site.is_file():
            return "keepalived_pairs_errors" in site.read_text()
    return False


def _colliding_inventory(directory):
    """A copy of molecule's inventory (links followed) in ``directory`` whose
    only difference is pair_c's VRID: pair_a's."""
    source = pathlib.Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    inventory = pathlib.Path(directory) / "inventory"
    shutil.copytree(source, inventory, symlinks=False)
    path = inventory / "group_vars" / "pair_c.yml"
    variables = yaml.safe_load(path.read_text())
    variables["keepalived_instances"][0]["virtual_router_id"] = PAIRS["pair_a"]["vrid"]
    path.unlink()  # a copy of a link target may be read-only
    path.write_text(yaml.safe_dump(variables, sort_keys=False))
    return inventory


def test_a_vrid_collision_is_refused_and_nothing_changes(pairs, tmp_path):
    assert _installed_site_checks_pairs(), "the installed site.yml has no cross-pair check"
    before = {host: fingerprint(host) for host in LBS}
    held = holders_all()
    inventory = _colliding_inventory(tmp_path)
    for host in LBS:  # any file site.yml would write under /etc is newer than this
        sh(host, "touch /run/halb-pairs-before")
    started = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(CONVERGE)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"},
    )
    seconds = time.monotonic() - started
    output = proc.stdout + proc.stderr
    (tmp_path / "collision.log").write_text(output)
    print(f"\nthe refused run took {seconds:.1f} s, exit {proc.returncode}")
    assert proc.returncode != 0, output[-4000:]
    vrid = PAIRS["pair_a"]["vrid"]
    message = re.search(
        rf"(pair_[ac]): keepalived_instances\[(VI_[AC])\]\.virtual_router_id: {vrid} .*?(pair_[ac])",
        output,
    )
    assert message, output[-4000:]
    assert {message.group(1), message.group(3)} == {"pair_a", "pair_c"}, message.group(0)
    print(message.group(0))
    # Nothing ran past the check: no host changed anything, no file under
    # /etc is new, the configs and the services are the same.
    for host, counts in recap(proc.stdout).items():
        assert counts.get("changed", 0) == 0, (host, counts)
    for host in LBS:
        _rc, newer = sh(host, "find /etc -newer /run/halb-pairs-before -type f", check=False)
        assert newer.strip() == "", f"{host}: files changed: {newer}"
        assert fingerprint(host) == before[host], host
    assert holders_all() == held
    for name, pair in PAIRS.items():
        assert ask(pair["vip"]) == "web1", name
