"""config_import on a node's files: a hand-built keepalived.conf with an
include and a check script that restarts HAProxy, and a haproxy.cfg with a
stats page, run as Ansible runs the module (a subprocess). The real nodes
are in the Molecule scenario `adopt`."""

from __future__ import annotations

import json
import textwrap

import pytest

from .runner import run_module

CHECK = "#!/bin/sh\nkillall -0 haproxy || systemctl restart haproxy\n"


def conf(tmp_path, check_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "instance.conf").write_text(
        textwrap.dedent(
            f"""\
            vrrp_instance VI_1 {{
                state MASTER
                interface eth0
                virtual_router_id 51
                priority 101
                advert_int 1
                garp_master_delay 1
                authentication {{
                    auth_type PASS
                    auth_pass 11111111
                }}
                virtual_ipaddress {{
                    192.0.2.100/24
                }}
                track_script {{
                    chk_haproxy
                }}
                notify_master "{tmp_path}/missing-notify.sh master"
            }}
            """
        )
    )
    (tmp_path / "keepalived.conf").write_text(
        textwrap.dedent(
            f"""\
            global_defs {{
                router_id lb1
            }}
            vrrp_script chk_haproxy {{
                script "{check_path}"
                interval 2
                weight 2
            }}
            include conf.d/*.conf
            virtual_server 192.0.2.100 80 {{
                delay_loop 6
                real_server 10.0.0.1 80 {{
                    weight 1
                }}
            }}
            """
        )
    )
    (tmp_path / "haproxy.cfg").write_text(
        textwrap.dedent(
            """\
            global
                maxconn 4096
            defaults
                mode http
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend www
                bind :80
                option httpclose
                default_backend web
            backend web
                server w1 10.0.0.1:8000 check
            backend old
                server o1 10.0.0.2:443 ssl verify none
            listen stats
                bind :8404
                stats enable
                stats uri /stats
                stats auth admin:123456
                stats admin if TRUE
            """
        )
    )


@pytest.fixture
def imported(tmp_path):
    check = tmp_path / "check_haproxy.sh"
    check.write_text(CHECK)
    check.chmod(0o755)
    conf(tmp_path, check)
    result = run_module(
        "config_import",
        {
            "keepalived_conf": str(tmp_path / "keepalived.conf"),
            "haproxy_cfg": str(tmp_path / "haproxy.cfg"),
        },
        tmp_path,
        check_mode=True,
    )
    assert not result.get("failed"), result.get("msg")
    return result


def rules(result):
    return {(f["rule"], f["variable"]) for f in result["findings"]}


def test_the_include_is_read_and_the_variables_are_the_roles(imported):
    variables = imported["variables"]
    assert imported["changed"] is False
    assert variables["keepalived_router_id"] == "lb1"
    assert variables["keepalived_priority"] == 101
    assert variables["keepalived_state"] == "MASTER"
    (instance,) = variables["keepalived_instances"]
    assert instance["virtual_router_id"] == 51
    assert instance["virtual_ipaddresses"][0]["address"] == "192.0.2.100"
    assert instance["extra"] == ["garp_master_delay 1"]
    assert variables["haproxy_stats_enabled"] is True
    assert variables["haproxy_stats_port"] == 8404
    assert [b["name"] for b in variables["haproxy_backends"]] == ["web", "old"]
    assert imported["origins"]["keepalived_instances[VI_1]"].endswith("conf.d/instance.conf:1")


def test_the_planted_mistakes_are_found(imported):
    found = {rule for rule, _variable in rules(imported)}
    for rule in (
        "check-script-repairs",
        "script-missing",
        "script-as-root",
        "weak-password",
        "vip-without-dev",
        "option-httpclose",
        "verify-none",
        "unused-backend",
        "stats-admin-true",
    ):
        assert rule in found, (rule, sorted(found))


def test_the_take_over_leaves_out_the_repairing_check_and_the_missing_hook(imported):
    variables = imported["variables"]
    assert "keepalived_scripts" not in variables or not any(
        s["name"] == "chk_haproxy" for s in variables["keepalived_scripts"]
    )
    (instance,) = variables["keepalived_instances"]
    assert "track_scripts" not in instance
    assert "notify_master" not in instance
    fixed = {f["rule"] for f in imported["fixes"]}
    assert {"check-script-repairs", "script-missing", "script-as-root"} <= fixed


def test_what_cannot_be_taken_over_is_dropped_with_its_line(imported):
    (lvs,) = [d for d in imported["dropped"] if d["section"].startswith("virtual_server")]
    assert lvs["file"].endswith("keepalived.conf") and lvs["line"] == 10


def test_the_programs_are_described_without_their_content(imported, tmp_path):
    files = imported["files"]
    assert files[str(tmp_path / "check_haproxy.sh")]["exists"] is True
    assert files[str(tmp_path / "missing-notify.sh")]["exists"] is False
    assert all("content" not in info for info in files.values())


def test_no_password_outside_the_variables(imported):
    rest = {k: v for k, v in imported.items() if k not in ("variables", "keepalived", "haproxy")}
    text = json.dumps({k: v for k, v in rest.items() if k != "_raw"})
    assert "11111111" not in text and "123456" not in text


def test_nothing_to_import_fails_clearly(tmp_path):
    result = run_module(
        "config_import",
        {"keepalived_conf": str(tmp_path / "nope.conf"), "haproxy_cfg": str(tmp_path / "nope.cfg")},
        tmp_path,
    )
    assert result["failed"] and "nothing to import" in result["msg"]


def test_one_file_is_enough(tmp_path):
    conf(tmp_path, "/bin/true")
    result = run_module(
        "config_import",
        {
            "keepalived_conf": str(tmp_path / "none.conf"),
            "haproxy_cfg": str(tmp_path / "haproxy.cfg"),
        },
        tmp_path,
    )
    assert not result.get("failed"), result.get("msg")
    assert result["keepalived"] is None and result["vips"] == []
    assert "keepalived_instances" not in result["variables"]


def test_a_script_handed_to_an_interpreter_is_read_too(tmp_path):
    check = tmp_path / "check_haproxy.sh"
    check.write_text(CHECK)
    conf(tmp_path, f"/bin/sh {check}")
    result = run_module(
        "config_import",
        {"keepalived_conf": str(tmp_path / "keepalived.conf"), "haproxy_cfg": str(tmp_path / "x")},
        tmp_path,
    )
    assert not result.get("failed"), result.get("msg")
    assert result["files"][str(check)]["exists"] is True
    assert "check-script-repairs" in {f["rule"] for f in result["findings"]}
    assert not result["variables"].get("keepalived_scripts")
