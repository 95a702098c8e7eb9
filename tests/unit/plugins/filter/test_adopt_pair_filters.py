"""The adopt_pair, adopt_report and adopt_lines filters (controller side of halb.cluster.adopt)."""

from __future__ import annotations

import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.halb.cluster.plugins.filter.adopt_pair import (
    adopt_lines,
    adopt_pair,
    adopt_report,
)


def result(priority, held, **extra):
    variables = {
        "keepalived_instances": [
            {
                "name": "VI_1",
                "interface": "eth0",
                "virtual_router_id": 51,
                "virtual_ipaddresses": [{"address": "192.0.2.100", "prefix": 24}],
                "authentication": {"type": "PASS", "password": "Zq7#vR2p"},
            }
        ],
        "keepalived_priority": priority,
        "haproxy_stats_password": "s3cret-Stats!",
    }
    variables.update(extra)
    model = {"instances": [dict(variables["keepalived_instances"][0], priority=priority)]}
    return {
        "variables": variables,
        "keepalived": model,
        "haproxy": {},
        "origins": {},
        "kept": [{"file": "/etc/haproxy/haproxy.cfg", "line": 3, "text": "compression algo gzip"}],
        "dropped": [],
        "errors": [],
        "findings": [],
        "fixes": [],
        "files": {},
        "vips": ["192.0.2.100"],
        "vips_held": ["192.0.2.100"] if held else [],
    }


def test_the_pair_is_split_into_group_and_host_variables(tmp_path):
    out = adopt_pair({"lb1": result(150, True), "lb2": result(100, False)}, "lbs", str(tmp_path))
    assert out["group"]["keepalived_cluster_group"] == "lbs"
    assert out["group"]["keepalived_instances"][0]["virtual_router_id"] == 51
    assert out["hosts"] == {
        "lb1": {"keepalived_priority": 150},
        "lb2": {"keepalived_priority": 100},
    }
    assert out["holders"] == ["lb1"]
    names = [f["name"] for f in out["files"]]
    assert names == [
        "hosts.yml",
        "group_vars/lbs/halb_adopt.yml",
        "host_vars/lb1/halb_adopt.yml",
        "host_vars/lb2/halb_adopt.yml",
    ]
    assert all(f["path"] == os.path.join(str(tmp_path), f["name"]) for f in out["files"])
    assert out["directories"][0] == str(tmp_path)
    assert out["conflicts"] == []
    hosts = yaml.safe_load(out["files"][0]["content"])
    assert hosts == {"lbs": {"hosts": {"lb1": None, "lb2": None}}}
    group = yaml.safe_load(out["files"][1]["content"])
    assert group["haproxy_stats_password"] == "s3cret-Stats!"


def test_equal_priorities_are_a_pair_finding():
    out = adopt_pair({"lb1": result(100, True), "lb2": result(100, False)})
    assert "equal-priorities" in {f["rule"] for f in out["pair"]}


def test_files_that_exist_with_other_content_are_conflicts(tmp_path):
    pair = {"lb1": result(150, True), "lb2": result(100, False)}
    first = adopt_pair(pair, "lbs", str(tmp_path))
    for entry in first["files"]:
        os.makedirs(os.path.dirname(entry["path"]), exist_ok=True)
        with open(entry["path"], "w", encoding="utf-8") as handle:
            handle.write(entry["content"])
    assert adopt_pair(pair, "lbs", str(tmp_path))["conflicts"] == []
    pair["lb2"]["variables"]["keepalived_priority"] = 90
    assert adopt_pair(pair, "lbs", str(tmp_path))["conflicts"] == [
        os.path.join(str(tmp_path), "host_vars/lb2/halb_adopt.yml")
    ]


def _load_vars(loader, path):
    """As host_group_vars loads a file (ansible-core 2.19+ marks its text trusted)."""
    try:
        return loader.load_from_file(str(path), cache="none", unsafe=True, trusted_as_template=True)
    except TypeError:  # ansible-core before 2.19
        return loader.load_from_file(str(path), cache=False, unsafe=True)


def test_strings_ansible_would_template_are_written_unsafe(tmp_path):
    """A value from a hostile file is never templated when Ansible loads the
    variables file (as group_vars are loaded: DataLoader.load_from_file)."""
    hostile = "{{ 7 * 6 }}"
    out = adopt_pair({"lb1": result(150, True, haproxy_stats_password=hostile)})
    text = out["files"][1]["content"]
    assert "!unsafe" in text
    loader = DataLoader()
    templar = Templar(loader=loader, variables={})
    path = tmp_path / "halb_adopt.yml"
    path.write_text(text, encoding="utf-8")
    loaded = _load_vars(loader, path)
    assert loaded["haproxy_stats_password"] == hostile
    assert templar.template(loaded["haproxy_stats_password"]) == hostile
    # The same text without the tag is templated: the test can fail.
    path.write_text(text.replace("!unsafe ", ""), encoding="utf-8")
    plain = _load_vars(DataLoader(), path)
    assert str(templar.template(plain["haproxy_stats_password"])) == "42"


@pytest.mark.parametrize("host", ["../x", "a/b", "", ".", ".."])
def test_names_that_are_no_directory_names_are_refused(host):
    with pytest.raises(AnsibleFilterError, match="cannot be a directory name"):
        adopt_pair({host: result(150, True)})


@pytest.mark.parametrize("bad", [None, {}, [], {"lb1": {"x": 1}}])
def test_other_input_is_refused(bad):
    with pytest.raises(AnsibleFilterError):
        adopt_pair(bad)


def test_the_report_has_no_variables_and_no_password():
    report = adopt_report(result(150, True))
    assert set(report) == {
        "kept",
        "dropped",
        "errors",
        "findings",
        "fixes",
        "files",
        "vips",
        "vips_held",
    }
    assert "s3cret" not in repr(report) and "Zq7#" not in repr(report)


def test_lines():
    entries = [
        {"rule": "weak-password", "variable": "v", "message": "too\n weak", "origin": "f:3"},
        {"file": "/etc/x", "line": 4, "section": "global", "text": "a b"},
        "junk",
    ]
    assert adopt_lines(entries) == ["f:3: [weak-password] v: too weak", "/etc/x:4: global"]
    assert adopt_lines(entries, "text")[1] == "/etc/x:4: global: a b"
    # A message that starts with the variable does not get it twice.
    again = [{"rule": "r", "variable": "v[x].y", "message": "v[x].y: bad", "origin": "f:1"}]
    assert adopt_lines(again) == ["f:1: [r]: v[x].y: bad"]
