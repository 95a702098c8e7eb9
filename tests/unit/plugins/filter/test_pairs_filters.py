"""pair_batches: the pairs of a run and an order that finishes one pair before
the next (what the rolling restart and the drill's serial batches rely on)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, strategies as st

from ansible_collections.halb.cluster.plugins.filter.pairs import FilterModule
from tests.unit.property.hostile import SETTINGS

PAIR_BATCHES = FilterModule().filters()["pair_batches"]


def _vars(**pairs):
    return {h: {"keepalived_cluster_group": p} for p, hosts in pairs.items() for h in hosts}


def test_pairs_in_order_of_their_first_host_masters_last():
    hostvars = _vars(pair_b=["b1", "b2"], pair_a=["a1", "a2", "a3"])
    got = PAIR_BATCHES(["b1", "a1", "b2", "a2", "a3"], hostvars, ["b1", "a2"])
    assert got["pairs"] == ["pair_b", "pair_a"]
    assert got["members"] == {"pair_b": ["b2", "b1"], "pair_a": ["a1", "a3", "a2"]}
    assert got["order"] == ["b2", "b1", "a1", "a3", "a2"]
    assert got["sizes"] == [2, 3]
    assert got["batch"] == {"b2": 0, "b1": 0, "a1": 1, "a3": 1, "a2": 1}


def test_a_host_without_keepalived_cluster_group_is_in_the_default_pair():
    got = PAIR_BATCHES(["lb1", "lb2"], {"lb1": {}, "lb2": {"keepalived_cluster_group": ""}})
    assert got["pairs"] == ["loadbalancers"]
    assert PAIR_BATCHES(["lb1"], None, None, "mine")["pairs"] == ["mine"]
    assert PAIR_BATCHES([], {})["order"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lb1",), "hosts: 'lb1' is not a list of host names"),
        ((["lb1", 3],), "hosts[1]: 3 is not a host name"),
        ((["lb1", "lb1"],), "hosts[1]: host 'lb1' is listed twice"),
        ((["lb\n1"],), "hosts[0]: 'lb\\n1' is not a host name"),
        (
            (["lb1"], {"lb1": {"keepalived_cluster_group": 5}}),
            "keepalived_cluster_group of 'lb1': 5",
        ),
        (
            (["lb1"], {"lb1": {"keepalived_cluster_group": "a\nb"}}),
            "keepalived_cluster_group of 'lb1'",
        ),
        ((["lb1"], {"lb1": "x"}), "hostvars['lb1']: 'x' is not a mapping"),
        ((["lb1"], "x"), "hostvars: 'x' is not a mapping"),
        ((["lb1"], {}, "lb1"), "last: 'lb1' is not a list of host names"),
        ((["lb1"], {}, [], ""), "default: '' is not an inventory group name"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(args, message):
    with pytest.raises(AnsibleFilterError) as exc:
        PAIR_BATCHES(*args)
    assert message in str(exc.value)


_NAMES = st.text(st.sampled_from("abc12_-"), min_size=1, max_size=4)


@SETTINGS
@given(
    st.lists(
        st.tuples(_NAMES, st.sampled_from(["p1", "p2", "p3", None])), unique_by=lambda t: t[0]
    ),
    st.data(),
)
def test_every_pair_is_one_contiguous_batch(hosts, data):
    """Whatever the input order: every host once, each pair's hosts together
    (so serial 1 or serial = sizes never mixes two pairs), masters last."""
    names = [h for h, _p in hosts]
    hostvars = {h: ({} if p is None else {"keepalived_cluster_group": p}) for h, p in hosts}
    last = data.draw(st.lists(st.sampled_from(names), unique=True) if names else st.just([]))
    got = PAIR_BATCHES(names, hostvars, last)
    assert sorted(got["order"]) == sorted(names)
    assert sum(got["sizes"]) == len(names)
    start = 0
    for pair, size in zip(got["pairs"], got["sizes"], strict=True):
        batch = got["order"][start : start + size]
        start += size
        assert batch == got["members"][pair]
        assert {hostvars[h].get("keepalived_cluster_group") or "loadbalancers" for h in batch} == {
            pair
        }
        flags = [h in last for h in batch]
        assert flags == sorted(flags)
    firsts = [next(h for h in names if got["batch"][h] == i) for i in range(len(got["pairs"]))]
    assert firsts == [h for h in names if h in firsts]


@SETTINGS
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.text(),
        st.lists(st.one_of(st.integers(), st.text(), st.none())),
    )
)
def test_hostile_input_gives_our_error_or_a_result(value):
    for args in (
        (value,),
        (["lb1"], {"lb1": {"keepalived_cluster_group": value}}),
        (["lb1"], {}, value),
    ):
        try:
            PAIR_BATCHES(*args)
        except AnsibleFilterError as exc:
            assert str(exc).split(":", 1)[0] in (
                "hosts",
                "last",
                "keepalived_cluster_group of 'lb1'",
            ) or str(exc).startswith(("hosts[", "last["))


PAIR_SERIAL = FilterModule().filters()["pair_serial"]
GROUPS = {
    "all": ["a1", "a2", "b1", "b2", "b3", "c1", "c2"],
    "ungrouped": [],
    "loadbalancers": ["a1", "a2", "b1", "b2", "b3", "c1", "c2"],
    "pair_a": ["a1", "a2"],
    "pair_b": ["b1", "b2", "b3"],
    "pair_c": ["c1", "c2"],
}


def test_pair_serial_one_batch_per_group_in_the_pattern_order():
    everyone = GROUPS["all"]
    assert PAIR_SERIAL(GROUPS, "pair_c:pair_a:pair_b", everyone) == [2, 2, 3]
    assert PAIR_SERIAL(GROUPS, "pair_b,pair_a", everyone) == [3, 2]
    # --limit: the sizes of what is left; a group left empty is skipped.
    assert PAIR_SERIAL(GROUPS, "pair_a:pair_b:pair_c", ["a1", "b2", "b3"]) == [1, 2]
    # A host in two groups counts at its first (as Ansible's union does).
    assert PAIR_SERIAL({**GROUPS, "x": ["a2", "c1"]}, "pair_a:x", everyone) == [2, 1]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "halb_pair: one pair per batch needs the pair groups in order"),
        (None, "halb_pair: one pair per batch needs the pair groups in order"),
        ("pair_*", "halb_pair: 'pair_*' is not a group name"),
        ("pair_a:!pair_b", "halb_pair: '!pair_b' is not a group name"),
        ("pair_a:&pair_b", "halb_pair: '&pair_b' is not a group name"),
        ("pair_a::pair_b", "halb_pair: '' is not a group name"),
        ("pair_d", "halb_pair: 'pair_d' is not an inventory group"),
        ("all", "halb_pair: 'all' is not an inventory group"),
        ("pair_a\n", "halb_pair: 'pair_a\\n' has a line break"),
    ],
)
def test_pair_serial_refuses_what_it_cannot_batch(pattern, message):
    with pytest.raises(AnsibleFilterError) as exc:
        PAIR_SERIAL(GROUPS, pattern, GROUPS["all"])
    assert message in str(exc.value)


@SETTINGS
@given(
    st.lists(st.sampled_from(["pair_a", "pair_b", "pair_c"]), min_size=1, max_size=4),
    st.lists(st.sampled_from(GROUPS["all"]), unique=True),
)
def test_pair_serial_batches_are_exactly_the_groups(names, selected):
    """Cut Ansible's host list for the pattern (union in order, then the limit)
    by the sizes: every batch is the selected hosts of one named group."""
    union = []
    for name in names:
        union += [h for h in GROUPS[name] if h not in union]
    hosts = [h for h in union if h in selected]
    sizes = PAIR_SERIAL(GROUPS, ":".join(names), selected)
    assert 0 not in sizes and sum(sizes) == len(hosts)
    start = 0
    for size in sizes:
        batch = hosts[start : start + size]
        start += size
        assert any(set(batch) == set(GROUPS[n]) & set(selected) for n in names), (batch, names)


@SETTINGS
@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.text())))
def test_pair_serial_hostile_input_gives_our_error_or_a_result(value):
    for args in ((GROUPS, value, []), (value, "pair_a", []), (GROUPS, "pair_a", value)):
        try:
            PAIR_SERIAL(*args)
        except AnsibleFilterError as exc:
            assert str(exc).startswith(("halb_pair: ", "groups: ", "selected", "groups["))
