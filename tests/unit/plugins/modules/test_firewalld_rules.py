"""The firewalld_rules module, run as Ansible runs it (a subprocess with JSON
arguments), against stand-ins for firewall-cmd, firewall-offline-cmd and
systemctl that keep a host's zones in a JSON file (fake_firewalld.py). The
rule logic is _firewalld.py's (tested in module_utils/test__firewalld.py);
these tests cover the glue: what is read, in which order it is changed, what
is refused before anything changes. The real tools run in Molecule."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.halb.cluster.plugins.filter.firewalld import firewalld_errors

from . import fake_firewalld
from .runner import run_module

VRRP4 = 'rule family="ipv4" destination address="224.0.0.18" protocol value="vrrp" accept'
VRRP6 = 'rule family="ipv6" destination address="ff02::12" protocol value="vrrp" accept'
STATS = 'rule family="ipv4" source address="10.0.0.0/24" port port="8404" protocol="tcp" accept'
VRRP = [{"interface": "eth0"}, {"interface": "eth0", "family": 6}]
PORTS = [80, {"port": 8404, "sources": ["10.0.0.0/24"]}]
WANTED = [
    {"zone": "public", "rich_rule": VRRP4},
    {"zone": "public", "rich_rule": VRRP6},
    {"zone": "public", "port": "80/tcp"},
    {"zone": "public", "rich_rule": STATS},
]


class Host:
    """A fake host: its state file, the calls log, the module's paths."""

    def __init__(self, tmp_path, **state):
        self.dir = tmp_path
        self.bin = fake_firewalld.install(tmp_path)
        self.state_path = tmp_path / "state.json"
        self.log = tmp_path / "calls.log"
        self.record = tmp_path / "lib" / "firewalld-rules.json"
        self.facts = tmp_path / "facts.d"
        self.facts.mkdir()
        self.set(fake_firewalld.host(**state))

    def set(self, state):
        self.state_path.write_text(json.dumps(state))

    def state(self):
        return json.loads(self.state_path.read_text())

    def rules(self, config="permanent", zone="public"):
        entries = self.state()["zones"][zone][config]
        return {(k, v) for k, values in entries.items() for v in values}

    def calls(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def run(self, check_mode=False, diff=True, **args):
        args = {
            "vrrp": VRRP,
            "ports": PORTS,
            "state_file": str(self.record),
            "facts_dir": str(self.facts),
            **args,
        }
        self.log.unlink(missing_ok=True)
        return run_module(
            "firewalld_rules",
            args,
            self.dir,
            check_mode=check_mode,
            diff=diff,
            env={
                "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
                "FAKE_FW_STATE": str(self.state_path),
                "FAKE_FW_LOG": str(self.log),
            },
        )


def as_set(entries):
    return {(k, v) for e in entries for k, v in e.items() if k != "zone"}


@pytest.fixture
def fresh(tmp_path):
    """A fresh host: firewalld installed with its unit masked, not running."""
    return Host(tmp_path, running=False, masked=True)


@pytest.fixture
def running(tmp_path):
    """A host where firewalld runs with its default zone."""
    return Host(tmp_path)


def test_fresh_host_rules_written_offline_then_firewalld_started(fresh):
    result = fresh.run()
    assert result["changed"] and result["offline"], result["_raw"]
    assert result["rules"] == WANTED
    calls = fresh.calls()
    tools = [c[0] for c in calls]
    assert "firewall-cmd" not in tools  # the daemon is down: offline only
    adds = [c for c in calls if any(a.startswith("--add-") for a in c)]
    # One call per kind (the rich rules together, the port), before firewalld
    # is unmasked and started.
    assert [c[:2] for c in adds] == [["firewall-offline-cmd", "--zone=public"]] * 2
    assert [len(c) for c in adds] == [2 + 3, 2 + 1]
    assert calls[-3:] == [
        ["systemctl", "unmask", "--", "firewalld.service"],
        ["systemctl", "enable", "--", "firewalld.service"],
        ["systemctl", "start", "--", "firewalld.service"],
    ]
    assert result["service"] == ["unmask", "enable", "start"]
    assert as_set(WANTED) <= fresh.rules("permanent") and as_set(WANTED) <= fresh.rules("runtime")
    assert json.loads(fresh.record.read_text()) == WANTED
    assert stat.S_IMODE(fresh.record.stat().st_mode) == 0o644
    assert stat.S_IMODE(fresh.record.parent.stat().st_mode) == 0o755


def test_a_second_run_changes_nothing_and_reads_little(fresh):
    fresh.run()
    result = fresh.run()
    assert not result["changed"], result["_raw"]
    assert not result["added"] and not result["removed"] and result["service"] == []
    assert "diff" not in result
    # systemd once, then side by side the default zone's runtime and
    # permanent rules and the bindings: no write.
    calls = fresh.calls()
    assert calls[0] == [
        "systemctl",
        "show",
        "--property=LoadState,UnitFileState,ActiveState",
        "--",
        "firewalld.service",
    ]
    assert sorted(calls[1:]) == [
        ["firewall-cmd", "--get-active-zones"],
        ["firewall-cmd", "--list-all"],
        ["firewall-cmd", "--permanent", "--list-all"],
    ]


def test_check_mode_predicts_and_changes_nothing(running):
    before = running.state()
    result = running.run(check_mode=True)
    assert result["changed"], result["_raw"]
    assert as_set(result["added"]) == as_set(WANTED)
    assert running.state() == before and not running.record.exists()
    assert not [c for c in running.calls() if any(a.startswith(("--add", "--remove")) for a in c)]
    headers = [d["before_header"] for d in result["diff"]]
    assert headers == ["permanent zone public", "runtime zone public", str(running.record)]
    assert VRRP4 + "\n" in result["diff"][0]["after"]
    assert VRRP4 not in result["diff"][0]["before"]


def test_online_rules_are_permanent_and_immediate_in_one_call_each(running):
    result = running.run()
    assert result["changed"] and not result["offline"]
    assert as_set(WANTED) <= running.rules("permanent") and as_set(WANTED) <= running.rules(
        "runtime"
    )
    adds = [c for c in running.calls() if any(a.startswith("--add-") for a in c)]
    assert [c[:2] for c in adds] == [["firewall-cmd", "--permanent"]] * 2 + [
        ["firewall-cmd", "--zone=public"]
    ] * 2
    assert result["service"] == []


def test_only_the_missing_half_is_added(running):
    running.run()
    state = running.state()
    state["zones"]["public"]["runtime"]["rich_rule"].remove(VRRP4)  # lost at run time only
    running.set(state)
    result = running.run()
    assert result["added"] == [{"zone": "public", "rich_rule": VRRP4}]
    adds = [c for c in running.calls() if any(a.startswith("--add-") for a in c)]
    assert adds == [["firewall-cmd", "--zone=public", f"--add-rich-rule={VRRP4}"]]


def test_stale_entries_are_removed_others_are_never_touched(running):
    state = running.state()
    state["zones"]["public"]["permanent"]["port"] = ["22/tcp", "8118/tcp"]
    state["zones"]["public"]["runtime"]["port"] = ["22/tcp", "8118/tcp"]
    running.set(state)
    running.record.parent.mkdir()
    running.record.write_text(json.dumps([{"zone": "public", "port": "8118/tcp"}]))
    result = running.run()
    assert result["removed"] == [{"zone": "public", "port": "8118/tcp"}]
    for config in ("permanent", "runtime"):
        assert ("port", "8118/tcp") not in running.rules(config)
        assert ("port", "22/tcp") in running.rules(config)  # not the role's: kept
    # With prune off nothing is removed.
    running.record.write_text(json.dumps([{"zone": "public", "port": "22/tcp"}]))
    assert running.run(prune=False)["removed"] == []
    assert ("port", "22/tcp") in running.rules()


def test_a_list_not_known_refuses_to_prune_with_the_roles_message(running):
    running.run()
    before = running.state()
    record = running.record.read_text()
    result = running.run(vrrp=None, ports=None)
    assert result.get("failed"), result["_raw"]
    assert result["msg"] == (
        "firewalld_vrrp: not known here (no keepalived_firewalld_vrrp from halb.cluster.keepalived "
        "earlier in the play, no local fact ansible_local.halb_keepalived, no value), so "
        "firewalld_prune would remove what an earlier run added for it on this host: public: "
        f"{VRRP4}; public: {VRRP6}. Run halb.cluster.keepalived earlier in the play, or set "
        "firewalld_vrrp (the rules wanted; [] removes them), or set firewalld_prune to false. "
        "firewalld_ports: not known here (no haproxy_firewalld_ports from halb.cluster.haproxy "
        "earlier in the play, no local fact ansible_local.halb_haproxy, no value), so "
        "firewalld_prune would remove what an earlier run added for it on this host: public: "
        f"80/tcp; public: {STATS}. Run halb.cluster.haproxy earlier in the play, or set "
        "firewalld_ports (the rules wanted; [] removes them), or set firewalld_prune to false."
    )
    assert result["known"] == {"vrrp": "unknown", "ports": "unknown"}
    assert running.state() == before and running.record.read_text() == record
    # An empty list is known: it removes them.
    assert as_set(running.run(vrrp=[], ports=[])["removed"]) == as_set(WANTED)


def test_lists_not_given_come_from_the_local_facts(running):
    running.run()
    (running.facts / "halb_keepalived.fact").write_text(
        json.dumps({"keepalived_firewalld_vrrp": VRRP})
    )
    (running.facts / "halb_haproxy.fact").write_text(json.dumps({"haproxy_firewalld_ports": PORTS}))
    result = running.run(vrrp=None, ports=None)
    assert not result["changed"], result["_raw"]
    assert result["known"] == {"vrrp": "local fact", "ports": "local fact"}
    assert result["rules"] == WANTED


def test_a_local_fact_with_bad_values_is_refused_naming_the_variable(running):
    (running.facts / "halb_haproxy.fact").write_text(
        json.dumps({"haproxy_firewalld_ports": [70000]})
    )
    result = running.run(ports=None)
    assert (
        result["failed"]
        and "firewalld_ports[0].port: 70000 is out of range 1-65535" in result["msg"]
    )
    assert [c[0] for c in running.calls()] == []


@pytest.mark.parametrize(
    "args",
    [
        {"zone": "dmzz"},
        {"vrrp_zone": "vrrp"},
        {"zone": "dmzz", "vrrp_zone": "trusted"},
    ],
)
def test_zones_the_host_lacks_are_refused_with_the_filters_messages(running, args):
    before = running.state()
    result = running.run(**args)
    report = {"default": "public", "zones": ["block", "public", "trusted"], "interfaces": {}}
    values = {"firewalld_zone": args.get("zone"), "firewalld_vrrp_zone": args.get("vrrp_zone")}
    assert result["errors"] == firewalld_errors(values, report)
    assert (
        result["errors"]
        and "does not exist on this host (allowed: block, public, trusted" in result["msg"]
    )
    assert running.state() == before and not running.record.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"ports": [{"port": 8404, "sources": ['fe80::1%eth0" accept']}]},
            "firewalld_ports[0].sources[0]",
        ),
        (
            {"services": ["ssh; reboot"]},
            "firewalld_services[0]: 'ssh; reboot' is not a firewalld service name",
        ),
        ({"vrrp": [{"interface": 'eth0" accept'}]}, "firewalld_vrrp[0].interface"),
        ({"zone": "a zone"}, "firewalld_zone: 'a zone' is not a firewalld zone name"),
        ({"vrrp": "eth0"}, "firewalld_vrrp"),
    ],
)
def test_hostile_values_are_refused_before_anything_is_run(running, args, message):
    result = running.run(**args)
    assert result["failed"] and message in result["msg"], result["_raw"]
    assert running.calls() == []
    assert "Traceback" not in result["_raw"]


def test_a_tampered_record_is_refused(running):
    running.record.parent.mkdir()
    running.record.write_text(json.dumps([{"zone": "public", "port": "80/tcp --add-masquerade"}]))
    result = running.run()
    assert result["failed"] and "firewalld_state_file[0]" in result["msg"]
    assert not [c for c in running.calls() if any(a.startswith(("--add", "--remove")) for a in c)]


def test_vrrp_goes_to_the_zone_its_interface_is_bound_to(tmp_path):
    host = Host(tmp_path, bound={"eth0": "trusted"})
    result = host.run()
    assert {e["zone"] for e in result["rules"] if "protocol value" in e.get("rich_rule", "")} == {
        "trusted"
    }
    assert ("rich_rule", VRRP4) in host.rules("runtime", zone="trusted")
    assert ("port", "80/tcp") in host.rules("runtime", zone="public")


def test_stopped_keeps_the_rules_and_stops_firewalld(running):
    result = running.run(state="stopped", enabled=False)
    assert result["service"] == ["disable", "stop"]
    assert as_set(WANTED) <= running.rules("permanent")
    assert running.state()["unit"]["ActiveState"] == "inactive"
    # Down, the next run reads and writes offline and leaves it down.
    result = running.run(state="stopped", enabled=False, services=["http"])
    assert result["offline"] and result["added"] == [{"zone": "public", "service": "http"}]
    assert {c[0] for c in running.calls()} == {"systemctl", "firewall-offline-cmd"}
    # Offline, a service goes with firewall-offline-cmd's zone option (its
    # --remove-service is lokkit's), every other entry as online.
    result = running.run(state="stopped", enabled=False, services=[], ports=[])
    assert as_set(result["removed"]) == {
        ("service", "http"),
        ("port", "80/tcp"),
        ("rich_rule", STATS),
    }
    assert ("service", "http") not in running.rules() and ("port", "80/tcp") not in running.rules()
    assert [
        "firewall-offline-cmd",
        "--zone=public",
        "--remove-service-from-zone=http",
    ] in running.calls()


def test_not_installed_yet(tmp_path):
    host = Host(tmp_path)
    for name in ("firewall-cmd", "firewall-offline-cmd"):
        (host.bin / name).unlink()
    env_path = f"{host.bin}{os.pathsep}/usr/bin:/bin"
    args = {
        "vrrp": VRRP,
        "ports": PORTS,
        "state_file": str(host.record),
        "facts_dir": str(host.facts),
    }
    env = {"PATH": env_path, "FAKE_FW_STATE": str(host.state_path), "FAKE_FW_LOG": str(host.log)}
    result = run_module("firewalld_rules", args, tmp_path, check_mode=True, env=env)
    assert result["changed"] and "not installed yet" in json.dumps(result.get("warnings"))
    result = run_module("firewalld_rules", args, tmp_path, env=env)
    assert result["failed"] and "install firewalld first" in result["msg"]
