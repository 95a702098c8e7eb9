"""The read-only import (converge.yml): every planted mistake is reported
under its rule, the variables written hold what the hand-built files said,
the files are private, and no password is in the report or the logs."""

from __future__ import annotations

import os
import pathlib
import stat

import yaml
from adopt import PLANTED_HAPROXY, PLANTED_KEEPALIVED, PLANTED_PAIR, adopt, leaks
from halb_common import recap
from halb_pair import ADDRESSES, HOSTS, VIP

VRID = int(os.environ["HALB_VRID"])
PRIORITIES = dict(zip(HOSTS, (150, 100), strict=True))
WEB = "172.30.80.21"


def _findings(report, host):
    return report["hosts"][host]["findings"]


def _has(findings, rule, where):
    return any(f["rule"] == rule and where in f.get("variable", "") for f in findings)


def test_every_planted_mistake_is_reported_on_each_node(report):
    for host in HOSTS:
        findings = _findings(report, host)
        for rule, where in {**PLANTED_KEEPALIVED}.items():
            assert _has(findings, rule, where), (host, rule, where, findings)
        for rule, where in PLANTED_HAPROXY.items():
            assert _has(findings, rule, where), (host, rule, where, findings)
        for finding in findings:
            assert finding["severity"] in ("error", "warning"), finding
            assert finding["message"], finding


def test_the_pair_findings(report):
    """weight -20 cannot move the VIP across priorities 150/100: reported for
    the pair (or, as the lint may do, on each node)."""
    everything = report["pair"] + [f for host in HOSTS for f in _findings(report, host)]
    for rule, where in PLANTED_PAIR.items():
        assert _has(everything, rule, where), (rule, where, report["pair"])
    # What is NOT wrong is not reported: the priorities differ, and both
    # nodes agree on VRID, VIP, password and advert interval.
    for rule in ("equal-priorities", "pair-mismatch"):
        assert not any(f["rule"] == rule for f in report["pair"]), report["pair"]


def test_nothing_unreadable_or_dropped(report):
    for host in HOSTS:
        assert report["hosts"][host]["errors"] == [], report["hosts"][host]["errors"]
        assert report["hosts"][host]["dropped"] == [], report["hosts"][host]["dropped"]


def test_the_holder_is_known(report):
    assert report["holders"] == [HOSTS[0]], report["holders"]


def test_the_written_files_are_private(adopted, report):
    written = [pathlib.Path(p) for p in report["written"]]
    expected = [
        adopted / "hosts.yml",
        adopted / "group_vars" / "loadbalancers" / "halb_adopt.yml",
        *(adopted / "host_vars" / host / "halb_adopt.yml" for host in HOSTS),
    ]
    for path in expected:
        assert path in written, (path, written)
    for path in [*written, adopted / ".adopt-report.json"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in {p.parent for p in written}:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


def test_no_password_in_the_report(adopted):
    assert leaks((adopted / ".adopt-report.json").read_text()) == []
    # The report for people: private, no password, every planted rule in it.
    markdown = adopted / "adopt-report.md"
    assert stat.S_IMODE(markdown.stat().st_mode) == 0o600
    text = markdown.read_text()
    assert leaks(text) == []
    for rule in {**PLANTED_KEEPALIVED, **PLANTED_HAPROXY}:
        assert f"[{rule}]" in text, (rule, text[:3000])
    hosts = (adopted / "hosts.yml").read_text()
    assert leaks(hosts) == []
    assert "ansible_connection" not in hosts


def _variables(adopted, host):
    """The variables the written files give ``host``: the group's, then its own."""
    group = yaml.safe_load(
        (adopted / "group_vars" / "loadbalancers" / "halb_adopt.yml").read_text()
    )
    own = yaml.safe_load((adopted / "host_vars" / host / "halb_adopt.yml").read_text()) or {}
    return {**(group or {}), **own}


def _vip_addresses(instance):
    out = []
    for vip in instance.get("virtual_ipaddresses", []):
        out.append((vip.get("address") if isinstance(vip, dict) else str(vip)).split("/")[0])
    return out


def test_the_written_variables_are_the_hand_built_pair(adopted):
    inventory = yaml.safe_load((adopted / "hosts.yml").read_text())
    group = inventory.get("all", {}).get("children", inventory)["loadbalancers"]
    assert sorted(group["hosts"]) == sorted(HOSTS)
    for host in HOSTS:
        variables = _variables(adopted, host)
        (instance,) = [i for i in variables["keepalived_instances"] if i["name"] == "VI_1"]
        assert instance["virtual_router_id"] == VRID
        assert _vip_addresses(instance) == [VIP]
        assert instance["interface"] == "eth0"
        priority = instance.get("priority", variables.get("keepalived_priority"))
        assert priority == PRIORITIES[host], (host, instance, variables.get("keepalived_priority"))
        # The repairing check is left out, with its track_script reference.
        names = [s["name"] for s in variables.get("keepalived_scripts", [])]
        assert "chk_haproxy" not in names, names
        backends = {b["name"]: b for b in variables["haproxy_backends"]}
        assert sorted(backends) == ["be_old", "be_web"]
        servers = [(s["name"], s["address"], int(s["port"])) for s in backends["be_web"]["servers"]]
        assert servers == [("web1", WEB, 8000), ("web2", WEB, 8001)]
        assert backends["be_web"]["balance"] == "roundrobin"
        (frontend,) = variables["haproxy_frontends"]
        assert frontend["name"] == "fe_web"
        assert frontend["default_backend"] == "be_web"
        ports = sorted(int(b["port"]) for b in frontend["binds"])
        assert ports == [80, 443]
    # What differs between the nodes is in host_vars, the rest in group_vars.
    assert ADDRESSES  # both nodes known to the helpers
    assert _variables(adopted, HOSTS[0]) != _variables(adopted, HOSTS[1])


def test_the_import_again_changes_nothing_and_prints_no_password(adopted):
    """The import with its preview (the check-mode diff of the roles against
    the live files, -v): nothing written changes, and neither the preview
    nor anything else prints a password. The output is kept in molecule's
    ephemeral directory (import-again.log, 0600)."""
    log = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "import-again.log"
    files = sorted(
        p
        for p in adopted.rglob("*")
        if p.is_file() and p.name not in (".adopt-report.json", "adopt-report.md")
    )
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}
    proc = adopt(adopted, "--diff", "-v", log=log)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert leaks(proc.stdout + proc.stderr) == []
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == before
    hosts = recap(proc.stdout)
    assert set(HOSTS) <= set(hosts), hosts
    print(f"import with preview: {proc.seconds:.1f} s, recap {hosts}")


def test_no_password_in_the_molecule_log():
    """The molecule run's own log (make molecule / make test tee it to
    build/logs/molecule-adopt.log), when this run has one."""
    log = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "build/logs/molecule-adopt.log"
    if not log.exists():
        return
    assert leaks(log.read_text(errors="replace")) == []
