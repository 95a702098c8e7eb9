"""Every filter has its documentation beside it (plugins/filter/<name>.yml), the
documented arguments are those the function takes, and the EXAMPLES run as
written (in check mode, on two local hosts of a group loadbalancers)."""

from __future__ import annotations

import importlib
import inspect
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

from ansible_collections.halb.cluster.plugins.module_utils._keepalived import derive_host_config

FILTER_DIR = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "filter"
FILES = (
    "adopt",
    "adopt_pair",
    "firewalld",
    "haproxy",
    "keepalived",
    "mailx_notify",
    "pairs",
    "rsyslog",
    "values",
)


def _filters():
    found = {}
    for stem in FILES:
        module = importlib.import_module(f"ansible_collections.halb.cluster.plugins.filter.{stem}")
        found.update(module.FilterModule().filters())
    return found


FILTERS = _filters()


def _doc(name):
    return yaml.safe_load((FILTER_DIR / f"{name}.yml").read_text())


def test_every_filter_has_a_sidecar_and_no_sidecar_is_orphaned():
    sidecars = {p.stem for p in FILTER_DIR.glob("*.yml")}
    assert sidecars == set(FILTERS)


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_documentation_matches_the_function(name):
    doc = _doc(name)
    assert set(doc) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    meta = doc["DOCUMENTATION"]
    assert meta["name"] == name
    # 0.1.0 is released: what came since is version_added 0.2.0 (galaxy.yml's version).
    assert str(meta["version_added"]) in ("0.1.0", "0.2.0")
    assert meta["short_description"] and meta["description"] and meta["author"]
    assert "_value" in doc["RETURN"]

    params = list(inspect.signature(FILTERS[name]).parameters.values())
    options = meta["options"]
    positional = [p.strip() for p in meta["positional"].split(",")]
    # The piped value is _input; the positional arguments follow the signature's order.
    assert positional[0] == "_input"
    assert positional[1:] == [p.name for p in params[1 : len(positional)]]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    known = {p.name for p in params[1:] if p.kind is not p.VAR_KEYWORD}
    if takes_any:  # keepalived_host_config passes its keywords on to derive_host_config
        known |= set(inspect.signature(derive_host_config).parameters) - {
            "data",
            "host",
            "members",
            "facts",
            "warnings",
        }
    assert set(options) - {"_input"} == known
    for option, spec in options.items():
        assert spec.get("description"), f"{name}: {option} has no description"
        assert spec.get("type"), f"{name}: {option} has no type"
        param = next((p for p in params[1:] if p.name == option), None)
        if param is not None and param.default is not param.empty:
            assert spec.get("default") == param.default, f"{name}: default of {option}"
            assert not spec.get("required")
    for option in positional[1:]:
        param = next(p for p in params if p.name == option)
        assert bool(options[option].get("required")) == (param.default is param.empty)


def test_examples_use_their_filter():
    for name in FILTERS:
        examples = yaml.safe_load(_doc(name)["EXAMPLES"])
        assert isinstance(examples, list) and examples
        assert f"halb.cluster.{name}" in _doc(name)["EXAMPLES"]


def _collections_path():
    # .../ansible_collections/halb/cluster/plugins/filter/<file>.py, not resolved:
    # the link the tests import the collection through.
    module = sys.modules["ansible_collections.halb.cluster.plugins.filter.values"]
    return str(pathlib.Path(os.path.abspath(module.__file__)).parents[5])


def test_examples_run_as_written(tmp_path):
    playbook_bin = shutil.which("ansible-playbook", path=os.path.dirname(sys.executable))
    if playbook_bin is None:
        pytest.skip("ansible-playbook is not beside this Python")
    tasks = []
    # keepalived_cluster_errors reads what keepalived_host_config's example derived.
    for name in sorted(FILTERS, key=lambda n: (n == "keepalived_cluster_errors", n)):
        for task in yaml.safe_load(_doc(name)["EXAMPLES"]):
            task["name"] = f"{name}: {task['name']}"
            tasks.append(task)
    variables = {
        # What the examples take from elsewhere: a vault, role variables.
        "vault_relay_password": "S3cure-relay-pass!",
        "keepalived_script_files": [{"name": "chk_backends", "content": "#!/bin/sh\nexit 0\n"}],
        "haproxy_scripts_dir": "/usr/local/libexec/halb",
        "haproxy_down_file": None,
        "__rsyslog_values": {
            "rsyslog_udp_address": "127.0.0.1",
            "rsyslog_allow_remote_input": False,
            "rsyslog_udp_port": 514,
            "rsyslog_log_dir": "/var/log/haproxy",
            "rsyslog_log_files": [{"facility": "local6", "severity": "info", "file": "info.log"}],
            "rsyslog_file_owner": "root",
            "rsyslog_file_group": "adm",
            "rsyslog_file_mode": "0640",
            "rsyslog_config_path": "/etc/rsyslog.d/49-halb-haproxy.conf",
            "rsyslog_logrotate_frequency": "daily",
            "rsyslog_logrotate_size": None,
            "rsyslog_logrotate_rotate": 14,
            "rsyslog_logrotate_compress": True,
            "rsyslog_service": "rsyslog.service",
        },
    }
    play = [{"hosts": "loadbalancers", "gather_facts": False, "vars": variables, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    host = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    (tmp_path / "hosts.ini").write_text(f"[loadbalancers]\nlb1 {host}\nlb2 {host}\n")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=_collections_path(),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    run = subprocess.run(
        [playbook_bin, "-i", "hosts.ini", "play.yml", "--check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.stdout.count("failed=0") == 2, run.stdout[-4000:]
