"""The inventories we ship pass our own checks, without contacting a host.

Each inventory is loaded the way ansible-playbook loads it (InventoryManager,
VariableManager, the vault), every load-balancer host's variables are put
together as the roles see them (role defaults < inventory < role vars; the
roles assemble what they check in their vars/main.yml, which is templated
here as it is there), and the same checks the roles run before they change
anything are applied:
keepalived per host and as a pair, haproxy, rsyslog, mailx_notify, and
firewalld with what keepalived and haproxy export. Facts (which the roles
gather on the hosts) are stood in for by the addresses the inventory names.
"""

from __future__ import annotations

import os
import pathlib

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.halb.cluster.plugins.filter import haproxy as haproxy_filters
from ansible_collections.halb.cluster.plugins.filter.firewalld import firewalld_errors
from ansible_collections.halb.cluster.plugins.filter.haproxy import (
    haproxy_config_check,
    haproxy_ports,
)
from ansible_collections.halb.cluster.plugins.filter.keepalived import (
    keepalived_host_config,
    keepalived_pairs_errors,
    keepalived_vrrp_firewall,
)
from ansible_collections.halb.cluster.plugins.filter.mailx_notify import mailx_notify_errors
from ansible_collections.halb.cluster.plugins.filter.rsyslog import rsyslog_errors
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_cluster import cluster_errors
from tests.unit.templating import trusted

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Lookups (password, file, env) are plugins: tests/unit/conftest.py loads them
# as the CLI does.
ROLES = ("rsyslog", "haproxy", "mailx_notify", "keepalived", "firewalld")


def _yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


class _Templar:
    def __init__(self, templar):
        self._templar = templar

    def template(self, value):
        return self._templar.template(trusted(value))


def _role_layers():
    defaults, role_vars = {}, {}
    for role in ROLES:
        base = os.path.join(ROOT, "roles", role)
        defaults.update(_yaml(os.path.join(base, "defaults", "main.yml")))
        for name in ("main.yml", "Debian.yml"):
            path = os.path.join(base, "vars", name)
            if os.path.exists(path):
                role_vars.update(_yaml(path))
    # Role files are templates to Ansible, as the inventory's are.
    return trusted(defaults), trusted(role_vars)


class Inventory:
    """One inventory, loaded as ansible-playbook loads it."""

    def __init__(self, path, vault_password_file=None, env=None):
        for key, value in (env or {}).items():
            os.environ[key] = value
        self.loader = DataLoader()
        if vault_password_file:
            with open(vault_password_file, "rb") as handle:
                secret = handle.read().strip()
            self.loader.set_vault_secrets([("default", VaultSecret(secret))])
        self.inventory = InventoryManager(loader=self.loader, sources=[path])
        self.variables = VariableManager(loader=self.loader, inventory=self.inventory)
        # Templates may read other hosts' variables; Ansible's task queue
        # manager sets this private attribute the same way.
        self.variables._hostvars = HostVars(
            inventory=self.inventory, variable_manager=self.variables, loader=self.loader
        )
        self.defaults, self.role_vars = _role_layers()

    def hosts(self, group):
        return [h.name for h in self.inventory.get_hosts(pattern=group)]

    def templar(self, host, extra=None):
        own = self.variables.get_vars(host=self.inventory.get_host(host))
        merged = {**self.defaults, **own, **self.role_vars, **(extra or {})}
        merged.setdefault("inventory_hostname_short", host.split(".")[0])
        return _Templar(Templar(loader=self.loader, variables=merged))


def _facts(inventory, host, templar):
    """Stand-in facts: every interface an instance names, with this host's address."""
    address = templar.template("{{ ansible_host | default(lab_address) }}")
    interfaces = {inst["interface"] for inst in templar.template("{{ keepalived_instances }}")}
    facts = {"interfaces": sorted(interfaces | {"lo"}), "nodename": host, "os_family": "Debian"}
    for name in interfaces:
        facts[name] = {"device": name, "ipv4": {"address": address}, "ipv6": []}
    return facts


def check_inventory(inventory, group="loadbalancers"):
    """Every message our checks give for the load balancers of one pair (the
    inventory group ``group``)."""
    members = inventory.hosts(group)
    assert len(members) == 2, members
    errors, derived, facts = [], {}, {}
    # What the haproxy role exports before keepalived runs (site.yml's order).
    haproxy_export = {
        "haproxy_keepalived_track": {
            "service": "haproxy.service",
            "down_file": "/run/halb/haproxy-down",
            "health": {"url": "http://127.0.0.1:8405/", "backends": ["be_web"]},
        }
    }
    templars = {h: inventory.templar(h, haproxy_export) for h in members}
    for host in members:
        facts[host] = _facts(inventory, host, templars[host])
    for host in members:
        t = templars[host]
        # The role's own assembly (roles/keepalived/vars/main.yml).
        data = t.template("{{ __keepalived_data }}")
        options = t.template("{{ __keepalived_options }}")
        result = keepalived_host_config(data, host, members, facts, **options)
        errors += result["errors"]
        derived[host] = result["config"]
        if result["config"] is None:
            continue

        exports = {
            "__haproxy_nproc_cmd": {"stdout": "2"},
            "keepalived_firewalld_vrrp": keepalived_vrrp_firewall(result["config"]),
        }
        t = inventory.templar(host, exports)
        config = t.template("{{ __haproxy_config }}")
        haproxy_errors = haproxy_config_check(config)["errors"]
        errors += haproxy_errors
        sources = t.template("{{ __haproxy_port_sources }}")
        exports["haproxy_firewalld_ports"] = (
            [] if haproxy_errors else haproxy_ports(config, sources)
        )
        t = inventory.templar(host, exports)
        errors += rsyslog_errors(t.template("{{ __rsyslog_values }}"))
        if t.template("{{ mailx_notify_relay_host | default('', true) }}"):
            errors += mailx_notify_errors(t.template("{{ __mailx_notify_values }}"), host)
        errors += firewalld_errors(t.template("{{ __firewalld_values }}"))
    selected = {h: {"config": derived[h], "facts": facts[h]} for h in members if derived[h]}
    if len(selected) == len(members):
        errors += cluster_errors(selected)
    return errors, derived


def _example():
    base = os.path.join(ROOT, "inventories", "example")
    return Inventory(base, os.path.join(base, "example-vault-password.txt"))


def test_the_example_inventory_has_two_pairs():
    """The shape for N pairs: one child group of loadbalancers per pair, each
    naming itself as keepalived_cluster_group; every load balancer in one."""
    inventory = _example()
    assert inventory.hosts("loadbalancers") == ["lb1", "lb2", "lb3", "lb4"]
    children = [g.name for g in inventory.inventory.groups["loadbalancers"].child_groups]
    assert children == ["pair_a", "pair_b"]
    assert inventory.hosts("pair_a") == ["lb1", "lb2"]
    assert inventory.hosts("pair_b") == ["lb3", "lb4"]
    for pair in children:
        for host in inventory.hosts(pair):
            t = inventory.templar(host)
            assert t.template("{{ keepalived_cluster_group }}") == pair


@pytest.mark.parametrize("pair", ["pair_a", "pair_b"])
def test_each_pair_of_the_example_inventory_passes_our_checks(pair):
    errors, derived = check_inventory(_example(), pair)
    assert errors == []
    first, second = (derived[h] for h in _example().hosts(pair))
    assert [i["state"] for i in first["instances"]] == ["MASTER", "MASTER"]
    assert [i["state"] for i in second["instances"]] == ["BACKUP", "BACKUP"]
    assert first["instances"][0]["authentication"]["password"] == "Ex4mple-"


def test_the_pairs_of_the_example_inventory_differ():
    """Each pair its own VRIDs and VIPs (both pairs share the networks)."""
    inventory = _example()
    seen = {}
    for pair in ("pair_a", "pair_b"):
        _errors, derived = check_inventory(inventory, pair)
        config = derived[inventory.hosts(pair)[0]]
        seen[pair] = {
            (i["interface"], i["virtual_router_id"]): [
                v["address"] for v in i["virtual_ipaddresses"]
            ]
            for i in config["instances"]
        }
    assert seen["pair_a"] == {("eth0", 51): ["192.0.2.100"], ("eth1", 52): ["10.10.0.100"]}
    assert seen["pair_b"] == {("eth0", 61): ["192.0.2.110"], ("eth1", 62): ["10.10.0.110"]}


def _pairs_check(inventory):
    """site.yml's first pre-task, as it runs it (every host of loadbalancers)."""
    return keepalived_pairs_errors(
        inventory.variables._hostvars,
        inventory.inventory.get_groups_dict(),
        inventory.hosts("loadbalancers"),
        "loadbalancers",
        result="all",
    )


def test_the_pairs_of_the_example_inventory_pass_the_checks_across_pairs():
    assert _pairs_check(_example()) == {"errors": [], "warnings": []}


def test_a_vrid_collision_between_the_example_pairs_is_reported():
    """The check above can fail: pair_b given pair_a's public VRID."""
    inventory = _example()
    for host in inventory.hosts("pair_b"):
        t = inventory.templar(host)
        instances = t.template("{{ keepalived_instances }}")
        instances[0]["virtual_router_id"] = 51
        inventory.inventory.get_host(host).vars["keepalived_instances"] = instances
    found = _pairs_check(inventory)
    assert len(found["errors"]) == 1, found
    assert found["errors"][0].startswith(
        "pair_b: keepalived_instances[VI_PUBLIC].virtual_router_id: 51 on segment 192.0.2.0/24"
        " is also the VRID of pair_a (instance VI_PUBLIC)"
    ), found
    # The vault's password never reaches a message.
    assert "Ex4mple" not in str(found)


def test_the_example_inventory_passes_our_checks():
    inventory = _example()
    errors, derived = check_inventory(inventory, "pair_a")
    assert errors == []
    # What the article asks for, as the pair will run it.
    lb1, lb2 = derived["lb1"], derived["lb2"]
    assert [i["name"] for i in lb1["instances"]] == ["VI_PUBLIC", "VI_INTERNAL"]
    assert {i["interface"] for i in lb1["instances"]} == {"eth0", "eth1"}
    assert [i["state"] for i in lb1["instances"]] == ["MASTER", "MASTER"]
    assert [i["state"] for i in lb2["instances"]] == ["BACKUP", "BACKUP"]
    # Both track HAProxy and the standby file; in the sync group the weighted
    # ones with weight 0 (FAULT), as keepalived ignores weights there, and not
    # the backend check (FAULT on both nodes would leave the VIP nowhere).
    for inst in lb1["instances"]:
        assert inst["track_scripts"] == [{"name": "chk_haproxy", "weight": 0}]
        assert inst["track_files"] == [
            {"name": "haproxy_down"},
            {"name": "halb_standby", "weight": 0},
        ]
    # The vault was read: the placeholder, not the template, is the password.
    assert lb1["instances"][0]["authentication"]["password"] == "Ex4mple-"


@pytest.mark.parametrize("pair, hosts", [("pair_a", ("lb1", "lb2")), ("pair_b", ("lb3", "lb4"))])
def test_a_bad_value_in_the_example_inventory_is_reported(pair, hosts):
    """The check above can fail: the same inventory with a broken priority and port."""
    inventory = _example()
    host_vars = inventory.inventory.get_host(hosts[1]).vars
    host_vars["keepalived_priority"] = 150
    host_vars["haproxy_stats_port"] = 70000
    errors, _derived = check_inventory(inventory, pair)
    text = "\n".join(errors)
    assert (
        "haproxy_stats_port (haproxy_listens[stats].binds[0].port): 70000 is out of range 1-65535"
        in text
    )
    assert f"{hosts[0]}, {hosts[1]} all have priority 150" in text


@pytest.mark.parametrize(
    "scenario_hosts", ["inventories/lab", "molecule/default/inventory/hosts.yml"]
)
def test_the_lab_inventory_passes_our_checks(scenario_hosts, tmp_path):
    """The lab (make lab) and the default scenario share group_vars."""
    source = os.path.join(ROOT, scenario_hosts)
    if source.endswith("hosts.yml"):
        # As molecule assembles it: this hosts file next to the lab's group_vars.
        work = tmp_path / "inventory"
        work.mkdir()
        (work / "hosts.yml").symlink_to(source)
        (work / "group_vars").symlink_to(os.path.join(ROOT, "inventories", "lab", "group_vars"))
        source = str(work)
    secrets = tmp_path / "secrets"
    pki = secrets / "pki"
    pki.mkdir(parents=True)
    (pki / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    inventory = Inventory(source, env={"MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path)})
    for host in inventory.hosts("all"):
        inventory.inventory.get_host(host).vars["lab_secrets_dir"] = str(secrets)
    errors, derived = check_inventory(inventory)
    assert errors == []
    assert len(derived) == 2
    inst = next(iter(derived.values()))["instances"][0]
    assert inst["track_scripts"] == [{"name": "chk_haproxy"}]
    # The backend check's track file too (the haproxy role exported its health frontend).
    assert inst["track_files"] == [
        {"name": "haproxy_down"},
        {"name": "haproxy_backends"},
        {"name": "halb_standby"},
    ]
    backends = next(
        t for t in next(iter(derived.values()))["track_files"] if t["name"] == "haproxy_backends"
    )
    assert backends["weight"] == -60 and backends["file"] == "/run/halb-backends/down"
    standby = next(
        t for t in next(iter(derived.values()))["track_files"] if t["name"] == "halb_standby"
    )
    assert standby == {
        "name": "halb_standby",
        "file": "/run/keepalived-standby",
        "weight": -253,
        "init_file": {"value": 0, "overwrite": False},
    }


@pytest.mark.parametrize(
    "inventory, playbook",
    [
        ("inventories/example", "site.yml"),
        ("inventories/example", "playbooks/failover_drill.yml"),
        ("inventories/example", "playbooks/server_state.yml"),
        ("inventories/example", "playbooks/rolling_restart.yml"),
        ("inventories/lab", "site.yml"),
    ],
)
def test_ansible_playbook_syntax_check(inventory, playbook):
    """`ansible-playbook --syntax-check` with the inventory, as the README says to run it."""
    import subprocess
    import sys
    import sysconfig

    # halb.cluster from this tree, as the tests import it (tests/unit/conftest.py's
    # link, or the tree ansible-test runs in); then whatever collection path the
    # caller gives, then the `ansible` bundle if any (the playbooks need no other
    # collection).
    farm = str(pathlib.Path(haproxy_filters.__file__).parents[5])
    given = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)
    paths = [p for p in (farm, *given, sysconfig.get_paths()["purelib"]) if p]
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(paths),
        "ANSIBLE_NOCOLOR": "1",
    }
    assert os.path.isdir(os.path.join(farm, "ansible_collections", "halb", "cluster"))
    binary = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if not os.path.exists(binary):
        pytest.skip("no ansible-playbook beside this Python (ansible-test units): make unit has it")
    proc = subprocess.run(
        [
            binary,
            "--syntax-check",
            "-i",
            os.path.join(ROOT, inventory),
            "--vault-password-file",
            os.path.join(ROOT, "inventories", "example", "example-vault-password.txt"),
            os.path.join(ROOT, playbook),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "playbook:" in proc.stdout
