"""The day-two playbooks take one pair at a time, for real: ansible-playbook
runs rolling_restart.yml and failover_drill.yml in check mode on fake local
hosts (three pairs of different sizes), and the order they print is checked.

add_host (rolling_restart's halb_rr_order) and the drill's serial batches are
only evaluated by a real run (``--list-hosts`` does not run add_host), so this
runs them. keepalived_info is replaced by a stub that answers each fake host's
VRRP state from a file (the host's name comes from its interpreter wrapper).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import sysconfig

import pytest
import yaml

from ansible_collections.halb.cluster.plugins.filter import pairs as pairs_filters

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
PAIRS = {"pair_a": ["a1", "a2"], "pair_b": ["b1", "b2", "b3"], "pair_c": ["c1", "c2"]}
VIPS = {"pair_a": "10.0.0.1", "pair_b": "10.0.0.2", "pair_c": "10.0.0.3"}
# The node of each pair that holds its VIP (not always the first).
HOLDERS = {"a2", "b1", "c1"}

STUB = """#!/usr/bin/python
from __future__ import annotations
import json, os
from ansible.module_utils.basic import AnsibleModule
def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    with open(os.environ["HALB_FAKE_STATE"], encoding="utf-8") as handle:
        state = json.load(handle)[os.environ["HALB_FAKE_HOST"]]
    module.exit_json(changed=False, running=True, fault=[], other=[], **state)
if __name__ == "__main__":
    main()
"""


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    """A copy of halb.cluster (links) with the stub, and an inventory of local hosts."""
    tmp = tmp_path_factory.mktemp("pairs")
    source = pathlib.Path(pairs_filters.__file__).resolve().parents[2]
    coll = tmp / "collections" / "ansible_collections" / "halb" / "cluster"
    (coll / "plugins" / "modules").mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name != "plugins":
            (coll / entry.name).symlink_to(entry)
    for entry in (source / "plugins").iterdir():
        if entry.name != "modules":
            (coll / "plugins" / entry.name).symlink_to(entry)
    for entry in (source / "plugins" / "modules").iterdir():
        if entry.name != "keepalived_info.py":
            (coll / "plugins" / "modules" / entry.name).symlink_to(entry)
    (coll / "plugins" / "modules" / "keepalived_info.py").write_text(STUB)
    state = {
        h: {"vips": [VIPS[p]], "vips_held": [VIPS[p]] if h in HOLDERS else []}
        for p, hosts in PAIRS.items()
        for h in hosts
    }
    (tmp / "state.json").write_text(json.dumps(state))
    inventory = {"all": {"children": {"loadbalancers": {"children": {}}}}}
    for pair, hosts in PAIRS.items():
        members = {}
        for host in hosts:
            wrapper = tmp / f"python-{host}"
            wrapper.write_text(
                f"#!/bin/sh\nHALB_FAKE_HOST={host} HALB_FAKE_STATE={tmp / 'state.json'} "
                f'exec {sys.executable} "$@"\n'
            )
            wrapper.chmod(0o755)
            members[host] = {"ansible_python_interpreter": str(wrapper)}
        inventory["all"]["children"]["loadbalancers"]["children"][pair] = {
            "hosts": members,
            "vars": {
                "keepalived_cluster_group": pair,
                "keepalived_instances": [{"name": "VI", "virtual_ipaddresses": [VIPS[pair]]}],
            },
        }
    inventory["all"]["vars"] = {"ansible_connection": "local"}
    (tmp / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    return tmp


def run(fake, playbook, *args):
    binary = pathlib.Path(sys.executable).parent / "ansible-playbook"
    if not binary.exists():
        pytest.skip("no ansible-playbook beside this Python (ansible-test units): make unit has it")
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
            [str(fake / "collections"), sysconfig.get_paths()["purelib"]]
        ),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "0",
    }
    proc = subprocess.run(
        [str(binary), "--check", "-i", str(fake / "hosts.yml"), str(PLAYBOOKS / playbook), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )
    return proc.returncode, proc.stdout + proc.stderr


def _restarted(out):
    return re.findall(r"Would restart \[.*?\] on (\w+) \((master|backup) of (\w+)\)", out)


def test_rolling_restart_takes_one_pair_after_the_other_masters_last(fake):
    rc, out = run(fake, "rolling_restart.yml")
    assert rc == 0, out[-3000:]
    assert _restarted(out) == [
        ("a1", "backup", "pair_a"),
        ("a2", "master", "pair_a"),
        ("b2", "backup", "pair_b"),
        ("b3", "backup", "pair_b"),
        ("b1", "master", "pair_b"),
        ("c2", "backup", "pair_c"),
        ("c1", "master", "pair_c"),
    ]
    # serial 1: one play batch per node.
    assert out.count("PLAY [Rolling restart, step 2") == 7, out[-3000:]


def test_rolling_restart_follows_the_halb_pair_pattern(fake):
    rc, out = run(fake, "rolling_restart.yml", "-e", "halb_pair=pair_c:pair_a")
    assert rc == 0, out[-3000:]
    assert [h for h, _r, _p in _restarted(out)] == ["c2", "c1", "a1", "a2"]


def test_rolling_restart_refuses_part_of_a_pair(fake):
    rc, out = run(fake, "rolling_restart.yml", "--limit", "!b1")
    assert rc != 0
    assert "pair_b: the rolling restart works on whole pairs; ['b1'] of this pair" in out
    assert _restarted(out) == []


def test_the_drill_runs_one_batch_per_pair_in_order(fake):
    rc, out = run(
        fake,
        "failover_drill.yml",
        "-e",
        "drill_fault=stop_haproxy",
        "-e",
        "halb_pair=pair_b:pair_c:pair_a",
    )
    assert rc == 0, out[-3000:]
    assert re.findall(r"(\w+): check mode, the drill does nothing", out) == [
        "pair_b",
        "pair_c",
        "pair_a",
    ]
    # One batch per pair, each exactly its hosts (the drill's first task checks it).
    batches = re.findall(r"PLAY \[Fail-over drill - one pair per batch\]", out)
    assert len(batches) == 3


def test_the_drill_stops_before_the_next_pair(fake):
    """A pair left with one host fails its drill; the next pair is not drilled."""
    rc, out = run(fake, "failover_drill.yml", "-e", "drill_fault=stop_haproxy", "--limit", "!a1")
    assert rc != 0
    assert "pair_a: the drill needs at least two hosts of the pair" in out
    assert "pair_b: check mode" not in out


def _site_keywords_play(fake):
    """site.yml's play keywords as written (hosts, serial, max_fail_percentage)
    around two tasks: print the batch, fail where told."""
    site = next(p for p in yaml.safe_load((PLAYBOOKS / "site.yml").read_text()) if "roles" in p)
    play = {k: site[k] for k in ("name", "hosts", "serial", "max_fail_percentage")}
    play["gather_facts"] = False
    play["tasks"] = [
        {
            "name": "Show the batch",
            "ansible.builtin.debug": {"msg": "BATCH {{ ansible_play_batch | join(',') }}"},
            "run_once": True,
        },
        {
            "name": "Fail where told",
            "ansible.builtin.fail": {"msg": "told to fail"},
            "when": "inventory_hostname in fail_on | default([])",
        },
    ]
    path = fake / "site_keywords.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


def _batches(out):
    return [b.split(",") for b in re.findall(r'"BATCH ([^"]*)"', out)]


def test_site_runs_every_pair_at_once_by_default(fake):
    rc, out = run(fake, str(_site_keywords_play(fake)))
    assert rc == 0, out[-3000:]
    assert _batches(out) == [["a1", "a2", "b1", "b2", "b3", "c1", "c2"]]


def test_site_with_halb_serial_pairs_runs_one_pair_per_batch(fake):
    play = str(_site_keywords_play(fake))
    args = ["-e", "halb_serial_pairs=true", "-e", "halb_pair=pair_c:pair_b:pair_a"]
    rc, out = run(fake, play, *args)
    assert rc == 0, out[-3000:]
    assert _batches(out) == [["c1", "c2"], ["b1", "b2", "b3"], ["a1", "a2"]]
    # --limit: the batches are what is left of each pair.
    rc, out = run(fake, play, *args, "--limit", "!b2:!a1")
    assert rc == 0, out[-3000:]
    assert _batches(out) == [["c1", "c2"], ["b1", "b3"], ["a2"]]
    # A failure in a pair stops the run before the next pair.
    rc, out = run(fake, play, *args, "-e", '{"fail_on": ["b3"]}')
    assert rc != 0
    assert _batches(out) == [["c1", "c2"], ["b1", "b2", "b3"]]


def test_site_with_halb_serial_pairs_refuses_a_pattern_it_cannot_batch(fake):
    play = str(_site_keywords_play(fake))
    rc, out = run(fake, play, "-e", "halb_serial_pairs=true", "-e", "halb_pair=pair_*")
    assert rc != 0
    assert "halb_pair: 'pair_*' is not a group name" in out
    assert _batches(out) == []


def test_site_with_halb_serial_pairs_checks_every_pair_before_the_first_batch(fake):
    """With one batch per pair, the cross-pair check of the FIRST batch must see
    the facts of the later pairs: pair_c and pair_a share VRID 7 on one segment
    (their interface lo, /32 VIPs, so only the facts tell), and the run must
    stop before any task after the check runs on any host. (Before site.yml
    gathered every selected host's facts first, the first batch passed with a
    'not compared' warning and pair_c went on.)"""
    inventory = yaml.safe_load((fake / "hosts.yml").read_text())
    for pair, group in inventory["all"]["children"]["loadbalancers"]["children"].items():
        vrid = {"pair_a": 7, "pair_b": 8, "pair_c": 7}[pair]
        group["vars"]["keepalived_instances"] = [
            {
                "name": f"VI_{pair}",
                "interface": "lo",
                "virtual_router_id": vrid,
                "virtual_ipaddresses": [f"{VIPS[pair]}/32"],
            }
        ]
    hosts = fake / "hosts-collision.yml"
    hosts.write_text(yaml.safe_dump(inventory, sort_keys=False))
    plays = []
    for play in yaml.safe_load((PLAYBOOKS / "site.yml").read_text()):
        play = {k: v for k, v in play.items() if k not in ("roles", "pre_tasks", "tasks")}
        if "serial" in play:  # the deploying play: its check, then a marker
            site_check = yaml.safe_load((PLAYBOOKS / "site.yml").read_text())
            check = next(p for p in site_check if "serial" in p)["pre_tasks"][0]
            assert "keepalived_pairs_errors" in json.dumps(check)
            play["tasks"] = [
                check,
                {
                    "name": "Reached",
                    "ansible.builtin.debug": {"msg": "REACHED {{ inventory_hostname }}"},
                },
            ]
        else:
            play["tasks"] = []
        plays.append(play)
    path = fake / "site_check.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    args = [
        "-i",
        str(hosts),
        "-e",
        "halb_serial_pairs=true",
        "-e",
        "halb_pair=pair_c:pair_b:pair_a",
    ]
    rc, out = run(fake, str(path), *args)
    assert rc != 0, out[-3000:]
    assert "pair_c: keepalived_instances[VI_pair_c].virtual_router_id: 7" in out, out[-3000:]
    assert "REACHED" not in out, out[-3000:]
