"""The keepalived_config module, run as Ansible runs it (a subprocess with
JSON arguments), against a stand-in keepalived whose verdict the test sets.
The real binary is exercised by the Molecule scenarios."""

from __future__ import annotations

import copy
import json
import pathlib
import stat

import pytest

from ..module_utils.cases import base
from .runner import fake_checker, run_module

PASSWORD = "s3cr3tXY"


@pytest.fixture
def env(tmp_path):
    """A stand-in keepalived (see runner.fake_checker)."""
    return {
        "bin": fake_checker(tmp_path, "keepalived"),
        "log": tmp_path / "calls.log",
        "dir": tmp_path,
    }


def config_with_scripts(tmp_path):
    data = base()
    check = tmp_path / "check.sh"
    check.write_text("#!/bin/sh\nexit 0\n")
    check.chmod(0o755)
    data["scripts"][0]["script"] = f"{check} haproxy"
    return data


def run(env, config, check_mode=False, diff=True, fake_rc=0, fake_env=None, **options):
    dest = options.pop("dest", str(env["dir"] / "etc" / "keepalived.conf"))
    args = {"config": config, "dest": dest, "keepalived_bin": env["bin"], **options}
    result = run_module(
        "keepalived_config",
        args,
        env["dir"],
        check_mode=check_mode,
        diff=diff,
        env={
            "FAKE_RC": str(fake_rc),
            "FAKE_LOG": str(env["log"]),
            "FAKE_PASSWORD": PASSWORD,
            **(fake_env or {}),
        },
    )
    return result, pathlib.Path(dest)


def test_writes_then_is_idempotent(env):
    data = config_with_scripts(env["dir"])
    result, dest = run(env, data)
    assert result.get("changed") is True, result
    assert "vrrp_instance VI_1" in dest.read_text()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert result["instances"][0] == {
        "name": "VI_1",
        "state": "MASTER",
        "priority": 150,
        "virtual_router_id": 51,
        "interface": "eth0",
    }
    again, _dest = run(env, data)
    assert again["changed"] is False
    assert "--config-test" in env["log"].read_text()


def test_check_mode_predicts_without_writing(env):
    result, dest = run(env, config_with_scripts(env["dir"]), check_mode=True)
    assert result["changed"] is True
    assert not dest.exists()
    assert "vrrp_instance VI_1" in result["diff"]["after"]
    assert not env["log"].exists(), "check mode must not run the validator"


def test_password_never_in_output_or_diff(env):
    data = config_with_scripts(env["dir"])
    result, dest = run(env, data)
    assert PASSWORD in dest.read_text()
    assert PASSWORD not in result["_raw"]
    assert "auth_pass ********" in result["diff"]["after"]


def test_rejected_by_the_binary_leaves_the_old_file(env):
    data = config_with_scripts(env["dir"])
    _result, dest = run(env, data)
    good = dest.read_text()
    changed = copy.deepcopy(data)
    changed["instances"][0]["priority"] = 120
    result, _dest = run(env, changed, fake_rc=1)
    assert result.get("failed") is True
    assert "keepalived --config-test rejected the new configuration (rc=1)" in result["msg"]
    assert "was not changed" in result["msg"]
    assert PASSWORD not in result["_raw"]
    assert dest.read_text() == good
    leftovers = [p.name for p in dest.parent.iterdir() if p.name.startswith(".keepalived.conf.")]
    assert leftovers == []


def test_keepalived_2_3_exit_5_is_a_rejection(env):
    """keepalived 2.3 (Debian 13) exits 0 for a valid file with scripts and 5,
    naming the line, for an invalid one (2.2.7 died of SIGTERM either way)."""
    data = config_with_scripts(env["dir"])
    _result, dest = run(env, data)
    good = dest.read_text()
    changed = copy.deepcopy(data)
    changed["instances"][0]["priority"] = 120
    said = {"FAKE_SAY": "(Line 3) Unknown keyword 'x'"}
    result, _dest = run(env, changed, fake_rc=5, fake_env=said)
    assert result.get("failed") is True
    assert "rejected the new configuration (rc=5)" in result["msg"]
    assert "Unknown keyword 'x'" in result["msg"]
    assert dest.read_text() == good


def test_invalid_data_fails_before_touching_the_file(env):
    data = config_with_scripts(env["dir"])
    _result, dest = run(env, data)
    good = dest.read_text()
    bad = copy.deepcopy(data)
    bad["instances"][0]["virtual_router_id"] = 256
    result, _dest = run(env, bad)
    assert result.get("failed") is True
    assert (
        "keepalived_instances[VI_1].virtual_router_id: 256 is out of range 1-255" in result["msg"]
    )
    assert dest.read_text() == good


def test_backup_of_the_old_file(env):
    data = config_with_scripts(env["dir"])
    run(env, data)
    changed = copy.deepcopy(data)
    changed["instances"][0]["priority"] = 120
    result, dest = run(env, changed)
    assert result["changed"] is True
    backup = pathlib.Path(result["backup_file"])
    assert backup.exists() and "priority 150" in backup.read_text()
    assert "priority 120" in dest.read_text()


def test_missing_script_fails_and_only_warns_in_check_mode(env):
    data = base()
    data["scripts"][0]["script"] = "/nonexistent/check_haproxy"
    result, dest = run(env, data)
    assert result.get("failed") is True
    assert (
        "keepalived_scripts[chk_haproxy].script: /nonexistent/check_haproxy does not exist"
        in result["msg"]
    )
    assert not dest.exists()
    result, _dest = run(env, data, check_mode=True)
    assert not result.get("failed")
    assert "/nonexistent/check_haproxy does not exist" in json.dumps(result.get("warnings")), result


def test_missing_binary_fails_outside_check_mode(env):
    data = config_with_scripts(env["dir"])
    result, dest = run(env, data, keepalived_bin="no-such-keepalived")
    assert result.get("failed") is True
    assert "keepalived_bin: no-such-keepalived not found" in result["msg"]
    assert not dest.exists()
    result, _dest = run(env, data, check_mode=True, keepalived_bin="no-such-keepalived")
    assert result["changed"] is True and not result.get("failed")


def test_sigterm_without_output_passes(env):
    """keepalived 2.2.7 kills itself with SIGTERM after testing a config with scripts."""
    result, dest = run(env, config_with_scripts(env["dir"]), fake_env={"FAKE_TERM": "1"})
    assert result.get("changed") is True, result
    assert dest.exists()


def test_sigterm_with_errors_fails(env):
    result, dest = run(
        env,
        config_with_scripts(env["dir"]),
        fake_env={"FAKE_TERM": "1", "FAKE_SAY": "(Line 15) Unknown keyword 'bogus_kw'"},
    )
    assert result.get("failed") is True
    assert "Unknown keyword 'bogus_kw'" in result["msg"]
    assert not dest.exists()


def test_config_files_missing_is_a_failure(env):
    result, dest = run(
        env, config_with_scripts(env["dir"]), fake_env={"FAKE_SAY": "Config files missing '/x'."}
    )
    assert result.get("failed") is True
    assert not dest.exists()


def test_track_file_in_a_missing_directory_warns_and_is_written(env):
    data = config_with_scripts(env["dir"])
    present = env["dir"] / "run"
    present.mkdir()
    data["track_files"] = [
        {"name": "here", "file": f"{present}/haproxy-down", "init_file": 1},
        {"name": "gone", "file": f"{env['dir']}/nonexistent/haproxy-down"},
    ]
    data["instances"][0]["track_files"] = ["here", "gone"]
    result, dest = run(env, data)
    assert result["changed"], result
    warnings = json.dumps(result.get("warnings"))
    assert "keepalived_track_files[gone].file: the directory" in warnings, result
    assert "keepalived_track_files[here]" not in warnings, result
    text = dest.read_text()
    assert (
        f'track_file here {{\n    file "{present}/haproxy-down"\n    weight 0\n    init_file 1\n}}'
        in text
    )
    assert "    track_file {\n        here\n        gone\n    }" in text


def test_a_weak_password_is_refused_unless_allowed_with_a_warning(env):
    data = config_with_scripts(env["dir"])
    data["instances"][0]["authentication"]["password"] = "11111111"
    result, dest = run(env, data)
    assert result.get("failed") is True
    assert (
        "keepalived_instances[VI_1].authentication.password: the password is one character "
        "repeated" in result["msg"]
    )
    assert not dest.exists()
    result, dest = run(env, data, allow_weak_secrets=True)
    assert result.get("changed") is True, result
    assert "auth_pass 11111111" in dest.read_text()
    assert "accepted because keepalived_allow_weak_secrets" in str(result["warnings"])


def test_a_line_break_through_a_zone_id_never_reaches_the_file(env):
    data = config_with_scripts(env["dir"])
    data["instances"][0]["unicast_src_ip"] = "192.0.2.11"
    data["instances"][0]["unicast_peers"] = ["fe80::1%\nvrrp_script evil {"]
    result, dest = run(env, data)
    assert result.get("failed") is True
    assert "keepalived_instances[VI_1].unicast_peers[0]: line breaks" in result["msg"]
    assert not dest.exists()
