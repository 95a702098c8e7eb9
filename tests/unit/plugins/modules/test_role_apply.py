"""The role_apply module, run as Ansible runs it (a subprocess with JSON
arguments), on files in a temporary directory, with stand-ins for the
daemons' checkers and for systemctl (the real ones run in Molecule)."""

from __future__ import annotations

import os
import pathlib
import stat

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.halb.cluster.plugins.module_utils._apply import check_params

from .runner import fake_checker, run_module

PASSWORD = "s3cr3tXY"


def fake_systemctl(directory, show):
    """A systemctl that logs its arguments and answers `show` with ``show``
    (one block per unit, in the order asked)."""
    bindir = pathlib.Path(directory) / "bin"
    bindir.mkdir(exist_ok=True)
    answers = pathlib.Path(directory) / "show.txt"
    answers.write_text(show)
    fake = bindir / "systemctl"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "$FAKE_SYSTEMCTL_LOG"\n'
        f'if [ "$1" = show ]; then cat {answers}; fi\n'
        "exit 0\n"
    )
    fake.chmod(0o755)
    return fake


def unit_block(name, active="active", unit_file="enabled", reload="no"):
    return (
        f"Id={name}\nLoadState=loaded\nActiveState={active}\n"
        f"UnitFileState={unit_file}\nNeedDaemonReload={reload}\n\n"
    )


@pytest.fixture
def env(tmp_path):
    fake_checker(tmp_path, "rsyslogd")
    fake_checker(tmp_path, "haproxy")
    fake_systemctl(tmp_path, unit_block("rsyslog.service"))
    return {
        "dir": tmp_path,
        "etc": tmp_path / "etc",
        "env": {
            "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
            "FAKE_LOG": str(tmp_path / "checker.log"),
            "FAKE_SYSTEMCTL_LOG": str(tmp_path / "systemctl.log"),
        },
    }


def apply(env, args, check_mode=False, diff=True, **fake):
    extra = {key.upper(): str(value) for key, value in fake.items()}
    return run_module(
        "role_apply",
        {"role": "test", **args},
        env["dir"],
        check_mode=check_mode,
        diff=diff,
        env={**env["env"], **extra},
    )


def three_files(env, middle_validate="rsyslog"):
    etc = env["etc"]
    return [
        {"dest": str(etc / "a.conf"), "content": "a new\n", "mode": "0644"},
        {
            "dest": str(etc / "b.conf"),
            "content": f"b new {PASSWORD}\n",
            "mode": "0640",
            "validate": middle_validate,
        },
        {"dest": str(etc / "c.conf"), "content": "c new\n", "mode": "0644"},
    ]


def systemctl_calls(env):
    log = env["dir"] / "systemctl.log"
    return log.read_text().splitlines() if log.exists() else []


def test_files_written_then_nothing_changes(env):
    args = {"files": three_files(env), "directories": [{"path": str(env["etc"]), "mode": "0755"}]}
    first = apply(env, args)
    assert first["changed"] is True, first
    assert (env["etc"] / "b.conf").read_text() == f"b new {PASSWORD}\n"
    assert stat.S_IMODE((env["etc"] / "b.conf").stat().st_mode) == 0o640
    # The checker saw a temporary file beside b.conf, not b.conf itself.
    checked = (env["dir"] / "checker.log").read_text().split()
    assert checked[0] == "-N1" and checked[1] == "-f"
    assert checked[2].startswith(str(env["etc"] / ".b.conf."))
    second = apply(env, args)
    assert second["changed"] is False, second
    assert second["changed_files"] == []


def test_a_file_failing_its_check_puts_back_the_ones_already_moved(env):
    """The issue's rollback case: the second of three files fails its check;
    the first is as it was (content and mode), a file that did not exist is
    gone again, the third is not written, and no service is touched."""
    etc = env["etc"]
    etc.mkdir()
    (etc / "a.conf").write_text("a old\n")
    (etc / "a.conf").chmod(0o600)
    os.utime(etc / "a.conf", ns=(1_000_000_000, 2_000_000_000))
    files = three_files(env)
    files.insert(1, {"dest": str(etc / "new.conf"), "content": "brand new\n"})
    services = [{"name": "rsyslog.service", "state": "started", "restart_on": [files[0]["dest"]]}]
    result = apply(
        env,
        {"files": files, "services": services, "secrets": [PASSWORD]},
        fake_rc=1,
        fake_password=PASSWORD,
    )
    assert result.get("failed") is True, result
    assert "rsyslogd -N1 rejected the new" in result["msg"]
    assert "Put back as they were" in result["msg"]
    assert (etc / "a.conf").read_text() == "a old\n"
    assert stat.S_IMODE((etc / "a.conf").stat().st_mode) == 0o600
    assert (etc / "a.conf").stat().st_mtime_ns == 2_000_000_000  # systemd sees no change
    assert not (etc / "new.conf").exists()
    assert not (etc / "b.conf").exists()
    assert not (etc / "c.conf").exists()
    assert sorted(p.name for p in etc.iterdir()) == ["a.conf"]  # no temporary file left
    assert systemctl_calls(env) == []
    # The checker printed the password: the message does not.
    assert PASSWORD not in result["_raw"]


def test_check_mode_predicts_and_changes_nothing(env):
    result = apply(env, {"files": three_files(env)}, check_mode=True)
    assert result["changed"] is True
    assert len(result["changed_files"]) == 3
    assert not env["etc"].exists()
    assert not (env["dir"] / "checker.log").exists()


def test_diffs_hide_secrets_and_whole_secret_files(env):
    files = three_files(env)
    files[2]["diff"] = False
    files[2]["content"] = f"only {PASSWORD}\n"
    result = apply(env, {"files": files, "secrets": [PASSWORD]}, check_mode=True)
    diffs = result["diff"]
    assert [d["after_header"] for d in diffs] == [files[0]["dest"], files[1]["dest"]]
    assert PASSWORD not in result["_raw"]
    assert "********" in diffs[1]["after"]


def test_haproxy_redactor_hides_stats_passwords_in_diffs(env):
    text = f"listen stats\n    stats auth admin:{PASSWORD}\n"
    dest = str(env["etc"] / "haproxy.cfg")
    result = apply(
        env,
        {"files": [{"dest": dest, "content": text, "redact": "haproxy", "validate": "haproxy"}]},
        check_mode=True,
    )
    assert PASSWORD not in result["diff"][0]["after"]


def test_force_false_keeps_an_existing_file(env):
    env["etc"].mkdir()
    (env["etc"] / "trigger").write_text("kept\n")
    result = apply(
        env, {"files": [{"dest": str(env["etc"] / "trigger"), "content": "", "force": False}]}
    )
    assert result["changed"] is False
    assert (env["etc"] / "trigger").read_text() == "kept\n"


def test_services_restart_on_a_changed_file_and_start_a_stopped_unit(env):
    fake_systemctl(
        env["dir"],
        unit_block("rsyslog.service")
        + unit_block("halb.timer", active="inactive", unit_file="disabled"),
    )
    files = three_files(env)
    services = [
        {"name": "rsyslog.service", "state": "started", "restart_on": [files[1]["dest"]]},
        {"name": "halb.timer", "state": "started", "enabled": True},
    ]
    result = apply(env, {"files": files, "services": services})
    assert result["services"] == {
        "rsyslog.service": ["restart"],
        "halb.timer": ["enable", "start"],
    }
    calls = systemctl_calls(env)
    assert calls[1:] == ["restart rsyslog.service", "enable halb.timer", "start halb.timer"]


def test_services_reload_and_daemon_reload_when_systemd_asks(env):
    fake_systemctl(env["dir"], unit_block("haproxy.service", reload="yes"))
    files = three_files(env, middle_validate="none")
    services = [{"name": "haproxy.service", "state": "started", "reload_on": [files[0]["dest"]]}]
    result = apply(env, {"files": files, "services": services})
    assert result["services"] == {"systemd": ["daemon-reload"], "haproxy.service": ["reload"]}
    # Nothing changed: nothing reloaded (but systemd's own request is honoured).
    again = apply(env, {"files": files, "services": services})
    assert again["services"] == {"systemd": ["daemon-reload"]}


def test_hostile_names_are_refused_before_anything_runs(env):
    result = apply(
        env,
        {
            "packages": ["haproxy; rm -rf /"],
            "services": [{"name": "x.service --now"}],
            "users": [{"name": "root\nx"}],
            "files": [{"dest": "relative/path", "content": ""}],
            "sysctl": {"file": "/etc/sysctl.d/x.conf", "values": {"net.ipv4.x": "1\nkernel.y=2"}},
        },
    )
    assert result["failed"] is True
    for name in ("packages[0]", "services[0].name", "users[0].name", "files", "sysctl.values"):
        assert name in result["msg"]
    assert systemctl_calls(env) == []


def _params(**kwargs):
    base = {
        "packages": [],
        "mask_before_install": [],
        "services": [],
        "groups": [],
        "users": [],
        "directories": [],
        "files": [],
        "absent": [],
        "sysctl": None,
    }
    return {**base, **kwargs}


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_generated_package_and_unit_names_pass_only_when_plain(name):
    errors = check_params(_params(packages=[name], services=[{"name": name + ".service"}]))
    plain = all(c.isascii() and (c.isalnum() or c in "+.-") for c in name) and name[0].isalnum()
    if any(c in name for c in " \t\n;'\"$`&|<>/\\*?()") or not name.isascii():
        assert errors, name
    if plain and name == name.lower():
        assert not [e for e in errors if e.startswith("packages")], name


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_generated_sysctl_entries_never_carry_a_line_break(key, value):
    errors = check_params(_params(sysctl={"file": "/etc/sysctl.d/x.conf", "values": {key: value}}))
    if "\n" in key or "\n" in value or "=" in key:
        assert errors


def test_check_mode_with_an_owner_the_call_would_create(env):
    env["etc"].mkdir()
    (env["etc"] / "spool").mkdir()
    result = apply(
        env,
        {
            "users": [{"name": "halb-nobody-yet"}],
            "directories": [{"path": str(env["etc"] / "spool"), "owner": "halb-nobody-yet"}],
        },
        check_mode=True,
    )
    assert result.get("failed") is not True, result
    assert result["accounts"] == ["user halb-nobody-yet"]
    assert result["changed_files"] == [str(env["etc"] / "spool")]


def test_a_program_the_file_runs_must_exist_when_it_is_written(env):
    program = env["dir"] / "check.sh"
    entry = {
        "dest": str(env["etc"] / "keepalived.conf"),
        "content": f'vrrp_script chk {{\n    script "{program}"\n}}\n',
        "programs": [{"path": str(program), "variable": "keepalived_scripts[chk].script"}],
        "warn_missing": [{"path": str(env["dir"] / "nowhere"), "warning": "no track dir"}],
    }
    checked = apply(env, {"files": [entry]}, check_mode=True)
    assert "keepalived_scripts[chk].script" in str(checked["warnings"])
    assert "no track dir" in str(checked["warnings"])
    refused = apply(env, {"files": [entry]})
    assert refused["failed"] is True
    assert f"keepalived_scripts[chk].script: {program} does not exist" in refused["msg"]
    assert not (env["etc"] / "keepalived.conf").exists()
    # An earlier entry of the same call may write the program.
    script = {"dest": str(program), "content": "#!/bin/sh\nexit 0\n", "mode": "0755"}
    written = apply(env, {"files": [script, entry]})
    assert written["changed"] is True, written


def test_a_required_file_missing_stops_the_call_before_anything_changes(env):
    dest = env["etc"] / "a.conf"
    args = {
        "require_files": [
            {"path": str(env["dir"] / "ca.pem"), "error": "ca_file: not on the host"}
        ],
        "files": [{"dest": str(dest), "content": "x\n"}],
    }
    for check_mode in (True, False):
        result = apply(env, args, check_mode=check_mode)
        assert result["failed"] is True
        assert result["msg"] == "test: ca_file: not on the host"
    assert not dest.exists()
    (env["dir"] / "ca.pem").write_text("pem\n")
    assert apply(env, args)["changed"] is True


def test_start_on_starts_a_stopped_oneshot_when_its_settings_changed(env):
    fake_systemctl(env["dir"], unit_block("flush.service", active="inactive", unit_file="static"))
    files = three_files(env, middle_validate="none")
    services = [{"name": "flush.service", "start_on": [files[1]["dest"]], "no_block": True}]
    result = apply(env, {"files": files, "services": services})
    assert result["services"] == {"flush.service": ["start"]}
    assert systemctl_calls(env)[-1] == "start --no-block flush.service"
    again = apply(env, {"files": files, "services": services})
    assert again["services"] == {}
