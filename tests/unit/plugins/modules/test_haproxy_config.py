"""The haproxy_config module, run as Ansible runs it, against a stand-in
haproxy whose verdict the test sets (see runner.py)."""

from __future__ import annotations

import copy
import pathlib
import stat

import pytest
import yaml

from .runner import fake_checker, run_module

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "module_utils" / "golden_haproxy"


@pytest.fixture
def env(tmp_path):
    return {
        "bin": fake_checker(tmp_path, "haproxy"),
        "log": tmp_path / "calls.log",
        "dir": tmp_path,
    }


def article():
    return yaml.safe_load((GOLDEN / "haproxy_article.yml").read_text())


def stats_password(config):
    return config["listens"][0]["stats"]["auth"][0]["password"]


def run(env, config, check_mode=False, fake_rc=0, **options):
    dest = options.pop("dest", str(env["dir"] / "etc" / "haproxy.cfg"))
    result = run_module(
        "haproxy_config",
        {"config": config, "dest": dest, "haproxy_bin": env["bin"], **options},
        env["dir"],
        check_mode=check_mode,
        env={
            "FAKE_RC": str(fake_rc),
            "FAKE_LOG": str(env["log"]),
            "FAKE_PASSWORD": stats_password(config),
        },
    )
    return result, pathlib.Path(dest)


def test_writes_the_golden_config_then_is_idempotent(env):
    config = article()
    result, dest = run(env, config)
    assert result.get("changed") is True, result
    assert dest.read_text() == (GOLDEN / "haproxy_article.cfg").read_text()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert result["proxies"]["listens"] == ["stats"]
    assert "-c -f" in env["log"].read_text()
    again, _dest = run(env, config)
    assert again["changed"] is False


def test_passwords_never_in_output_or_diff(env):
    config = article()
    result, dest = run(env, config)
    secret = stats_password(config)
    assert secret in dest.read_text()
    assert secret not in result["_raw"]
    assert "stats auth admin:********" in result["diff"]["after"]


def test_rejected_by_haproxy_leaves_the_old_file(env):
    config = article()
    _result, dest = run(env, config)
    good = dest.read_text()
    changed = copy.deepcopy(config)
    changed["backends"][0]["balance"] = "leastconn"
    result, _dest = run(env, changed, fake_rc=1)
    assert result.get("failed") is True
    assert "haproxy -c rejected the new configuration (rc=1)" in result["msg"]
    assert stats_password(config) not in result["_raw"]
    assert dest.read_text() == good
    assert [p.name for p in dest.parent.iterdir() if p.name.startswith(".haproxy.cfg.")] == []


def test_invalid_data_names_the_variable_and_changes_nothing(env):
    config = article()
    _result, dest = run(env, config)
    good = dest.read_text()
    bad = copy.deepcopy(config)
    bad["global"]["nbproc"] = 4
    result, _dest = run(env, bad)
    assert result.get("failed") is True
    assert "haproxy_global.nbproc" in result["msg"] and "nbthread" in result["msg"]
    assert dest.read_text() == good


def test_check_mode_predicts_without_writing_or_checking(env):
    result, dest = run(env, article(), check_mode=True)
    assert result["changed"] is True
    assert not dest.exists()
    assert not env["log"].exists()


def test_checks_warnings_become_ansible_warnings(env):
    config = article()
    config["backends"][1]["servers"][0]["verify"] = "none"
    config["backends"][1]["servers"][0].pop("ca_file", None)
    result, _dest = run(env, config)
    assert not result.get("failed"), result
    assert "haproxy_backends[api].servers[api1].verify: none" in str(result.get("warnings"))


def test_missing_haproxy_fails_outside_check_mode(env):
    result, dest = run(env, article(), haproxy_bin="no-such-haproxy")
    assert result.get("failed") is True
    assert "haproxy_bin: no-such-haproxy not found" in result["msg"]
    assert not dest.exists()


def test_backup_of_a_world_readable_file_is_private(env):
    dest = env["dir"] / "etc" / "haproxy.cfg"
    dest.parent.mkdir()
    dest.write_text("global\n    # the package's default\n")
    dest.chmod(0o644)
    result, _dest = run(env, article(), dest=str(dest), backup=True)
    assert result["changed"] is True
    backup = pathlib.Path(result["backup_file"])
    assert backup.read_text() == "global\n    # the package's default\n"
    assert backup.name.startswith("haproxy.cfg.") and backup.name.endswith("~")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert sorted(p.name for p in dest.parent.iterdir()) == sorted(["haproxy.cfg", backup.name])


def test_weak_stats_password_is_refused_unless_allowed(env):
    config = article()
    config["listens"][0]["stats"]["auth"][0]["password"] = "12345678"
    result, dest = run(env, config)
    assert result.get("failed") is True
    assert "haproxy_listens[stats].stats.auth[admin].password: the password" in result["msg"]
    assert "12345678" not in str(result)
    assert not dest.exists()
    result, dest = run(env, config, allow_weak_secrets=True)
    assert not result.get("failed"), result
    assert "accepted because weak secrets are allowed" in str(result.get("warnings"))
    assert "stats auth admin:12345678" in dest.read_text()


def test_injected_line_is_refused_and_nothing_written(env):
    config = article()
    config["backends"][0]["servers"][0]["address"] = "fe80::1%x\nlisten evil"
    result, dest = run(env, config)
    assert result.get("failed") is True
    assert "haproxy_backends[shop].servers[web1].address: line breaks" in result["msg"]
    assert not dest.exists()
