"""_vrrp_state: keepalived's state dumps (recorded from Debian 12's
keepalived 2.2.7 in the default scenario, password replaced)."""

from __future__ import annotations

import pathlib

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _vrrp_state as vrrp

HERE = pathlib.Path(__file__).parent / "vrrp_state"
EXPECTED = {
    "name": "VI_WEB",
    "state": "MASTER",
    "interface": "eth0",
    "virtual_router_id": 77,
    "priority": 150,
    "effective_priority": 150,
    "vips": ["172.30.77.100"],
}


@pytest.mark.parametrize(
    ("name", "parse"), [("keepalived.json", vrrp.parse_json), ("keepalived.data", vrrp.parse_data)]
)
def test_both_dumps_give_the_same_instances(name, parse):
    assert parse((HERE / name).read_text()) == [EXPECTED]


def test_summary_says_what_is_held_and_never_the_password():
    instances = vrrp.parse_json((HERE / "keepalived.json").read_text())
    addresses = vrrp.local_addresses((HERE / "ip-addr.txt").read_text())
    assert "172.30.77.100" in addresses and "127.0.0.1" in addresses
    result = vrrp.summary(instances, addresses)
    assert result["master"] == ["VI_WEB"] and result["backup"] == [] and result["fault"] == []
    assert result["vips"] == ["172.30.77.100"] and result["vips_held"] == ["172.30.77.100"]
    assert "S3cr3t-vrrp" not in repr(result)
    assert "S3cr3t-vrrp" in (HERE / "keepalived.json").read_text()  # the fixture does carry it


def test_a_backup_holds_nothing():
    text = (HERE / "keepalived.json").read_text().replace('"state":2', '"state":1')
    result = vrrp.summary(vrrp.parse_json(text), {"172.30.77.12"})
    assert result["backup"] == ["VI_WEB"] and result["vips_held"] == []


@pytest.mark.parametrize(
    ("number", "name", "key"), [(3, "FAULT", "fault"), (0, "INIT", "other"), (98, "STOP", "other")]
)
def test_other_states(number, name, key):
    text = (HERE / "keepalived.json").read_text().replace('"state":2', f'"state":{number}')
    result = vrrp.summary(vrrp.parse_json(text), set())
    assert result["instances"][0]["state"] == name and result[key] == ["VI_WEB"]


def test_two_instances_and_ipv6_in_the_data_dump():
    text = (HERE / "keepalived.data").read_text()
    second = text[text.index(" VRRP Instance = ") : text.index("------< VRRP Sockpool")]
    second = second.replace("VI_WEB", "VI_V6").replace("State = MASTER", "State = BACKUP")
    second = second.replace(
        "172.30.77.100/24 dev eth0 scope global set", "fd00:77::100/64 dev eth0 scope global"
    )
    text = text.replace("------< VRRP Sockpool", second + "------< VRRP Sockpool")
    instances = vrrp.parse_data(text)
    assert [(i["name"], i["state"], i["vips"]) for i in instances] == [
        ("VI_WEB", "MASTER", ["172.30.77.100"]),
        ("VI_V6", "BACKUP", ["fd00:77::100"]),
    ]


@pytest.mark.parametrize("text", ["", "{", "{}", '[{"data": {}}]'])
def test_unreadable_json_is_an_error(text):
    with pytest.raises(vrrp.VrrpStateError):
        vrrp.parse_json(text)
