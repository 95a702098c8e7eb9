"""The molecule verifiers' reads of the containers, against a fake docker
exec that loses output as the real one does under load (exit 0, nothing
printed: docker/docker-py#2042; seen in CI on 2026-12-05, when the adopt
take-over's monitor saw the VIP's holder vanish for one sample, and when
the pairs scenario read a node's config checksums as nothing): halb_common.sh
reads the command's output again without running it twice, and
halb_pair.holds_vip does not read a lost output as "no VIP here"."""

from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys

import pytest

HELPERS = pathlib.Path(__file__).resolve().parents[2] / "molecule" / "shared" / "tests"
OWN = "172.30.99.11"
VIP = "172.30.99.100"
SHOW = (
    f"2: eth0    inet {OWN}/24 brd 172.30.99.255 scope global eth0\\       valid_lft forever\n"
    f"2: eth0    inet {VIP}/24 scope global secondary eth0\\       valid_lft forever\n"
    "2: eth0    inet6 fd00:99::100/64 scope global nodad \\       valid_lft forever\n"
)


class FakeContainer:
    """exec_run answers from ``replies`` (rc, bytes) in turn, the last one forever."""

    status = "running"

    def __init__(self, replies):
        self.replies = list(replies)
        self.calls = 0

    def exec_run(self, _argv):
        self.calls += 1
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def reload(self):
        return None


@pytest.fixture(name="pair")
def fixture_pair(monkeypatch):
    monkeypatch.setenv("HALB_HOSTS", "lb1,lb2")
    monkeypatch.setenv("HALB_ADDRESSES", f"{OWN},172.30.99.12")
    monkeypatch.setenv("HALB_VIP", VIP)
    monkeypatch.setenv("HALB_VIP6", "fd00:99::100")
    monkeypatch.setenv("HALB_SCENARIO", "unit")
    monkeypatch.syspath_prepend(str(HELPERS))
    for name in ("halb_pair", "halb_common"):
        sys.modules.pop(name, None)
    module = importlib.import_module("halb_pair")
    yield module
    for name in ("halb_pair", "halb_common"):
        sys.modules.pop(name, None)


def _use(monkeypatch, pair, fake):
    monkeypatch.setattr(pair, "container", lambda _name: fake)


def test_a_lost_output_is_read_again(monkeypatch, pair):
    fake = FakeContainer([(0, b""), (0, SHOW.encode())])
    _use(monkeypatch, pair, fake)
    assert pair.holds_vip("lb1") is True
    assert fake.calls == 2


def test_a_node_that_cannot_be_read_is_unknown_not_a_non_holder(monkeypatch, pair):
    fake = FakeContainer([(0, b"")])
    _use(monkeypatch, pair, fake)
    assert pair.holds_vip("lb1") is None
    assert fake.calls == 3  # bounded
    fake = FakeContainer([(1, SHOW.encode())])  # the exec failed
    _use(monkeypatch, pair, fake)
    assert pair.holds_vip("lb1") is None


def test_a_read_without_the_vip_is_a_non_holder(monkeypatch, pair):
    own_only = SHOW.splitlines(keepends=True)[0].encode()
    _use(monkeypatch, pair, FakeContainer([(0, own_only)]))
    assert pair.holds_vip("lb1") is False
    assert pair.holds_vip("lb1", vip="fd00:99::100") is False


def test_the_ipv6_vip_is_compared_as_an_address(monkeypatch, pair):
    _use(monkeypatch, pair, FakeContainer([(0, SHOW.encode())]))
    assert pair.holds_vip("lb1", vip="fd00:99:0::100") is True
    # Another node's own address does not make a read of lb2 an answer.
    assert pair.holds_vip("lb2") is None


def test_a_paused_node_holds_nothing_and_is_not_read(monkeypatch, pair):
    fake = FakeContainer([(0, SHOW.encode())])
    fake.status = "paused"
    _use(monkeypatch, pair, fake)
    assert pair.holds_vip("lb1") is False
    assert fake.calls == 0


def test_holders_leaves_out_a_node_it_could_not_read(monkeypatch, pair):
    fakes = {"lb1": FakeContainer([(0, b""), (0, SHOW.encode())]), "lb2": FakeContainer([(0, b"")])}
    monkeypatch.setattr(pair, "container", fakes.__getitem__)
    assert pair.holders() == ["lb1"]


def test_the_adopt_monitor_judges_only_samples_that_read_both_nodes(monkeypatch, pair):
    monkeypatch.syspath_prepend(str(HELPERS.parents[1] / "adopt" / "tests"))
    sys.modules.pop("adopt", None)
    adopt = importlib.import_module("adopt")
    assert adopt.halb_pair is pair
    fakes = {"lb1": FakeContainer([(0, b"")]), "lb2": FakeContainer([(0, b"")])}
    monkeypatch.setattr(pair, "container", fakes.__getitem__)
    assert adopt.Monitor._holds("lb1") is None  # pylint: disable=protected-access
    vip = adopt.Monitor()
    vip.samples = [(0.0, ("lb1",)), (0.1, None), (0.2, ("lb1",)), (0.3, ()), (0.4, ("lb1",))]
    assert vip.unread == 1 and len(vip.known) == 4
    assert vip.seen == [("lb1",), ()] and vip.most == 1
    vip.samples[3] = (0.3, None)
    assert vip.seen == [("lb1",)] and vip.longest_none == 0.0
    assert "(2 with a node that could not be read)" in str(vip)
    sys.modules.pop("adopt", None)


class LocalContainer:
    """A container whose docker exec runs the command on this machine (as the
    test's user) and loses the output of the calls numbered in ``lose``
    (1-based), returning exit 0 and nothing, as docker has."""

    status = "running"

    def __init__(self, lose=()):
        self.lose = set(lose)
        self.argvs = []

    def exec_run(self, argv):
        self.argvs.append(argv)
        proc = subprocess.run(argv, capture_output=True, check=False, timeout=30)
        if len(self.argvs) in self.lose:
            return 0, b""
        return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(name="common")
def fixture_common(pair, monkeypatch, tmp_path):
    module = sys.modules["halb_common"]
    monkeypatch.setattr(module, "EXEC_DIR", str(tmp_path / "exec"))
    return module


def _local(monkeypatch, common, fake):
    monkeypatch.setattr(common, "container", lambda _name: fake)


@pytest.mark.parametrize(
    "command, rc, text",
    [
        ("echo hello", 0, "hello\n"),
        ("printf no-newline", 0, "no-newline"),
        ("true", 0, ""),
        ("echo out; echo err >&2; exit 3", 3, "out\nerr\n"),
        ("printf '\\n\\n'", 0, "\n\n"),
        ("echo a # a comment", 0, "a\n"),
        ("cat <<'EOF'\nhere doc\nEOF", 0, "here doc\n"),
    ],
)
def test_sh_returns_what_the_command_printed_and_its_status(monkeypatch, common, command, rc, text):
    _local(monkeypatch, common, LocalContainer())
    assert common.sh("node", command, check=False) == (rc, text)


def test_sh_reads_a_lost_output_again_without_running_the_command_twice(
    monkeypatch, common, tmp_path
):
    counter = tmp_path / "runs"
    fake = LocalContainer(lose={1, 2})
    _local(monkeypatch, common, fake)
    assert common.sh("node", f"echo run >>{counter}; sha256sum {counter}") == (
        0,
        subprocess.run(
            ["sha256sum", str(counter)], capture_output=True, text=True, check=True
        ).stdout,
    )
    assert counter.read_text() == "run\n"  # ran once
    assert len(fake.argvs) == 3 and fake.argvs[1][0] == "cat"


def test_sh_fails_when_every_read_is_lost(monkeypatch, common):
    _local(monkeypatch, common, LocalContainer(lose={1, 2, 3}))
    with pytest.raises(AssertionError, match="the output was lost 3 times"):
        common.sh("node", "echo hello", check=False)


def test_sh_check_names_the_node_the_command_and_its_status(monkeypatch, common):
    _local(monkeypatch, common, LocalContainer())
    with pytest.raises(AssertionError, match=r"node: 'echo no; exit 4' exited 4: no"):
        common.sh("node", "echo no; exit 4")


def test_sh_reports_a_failed_exec_as_docker_did(monkeypatch, common):
    class Gone:
        def exec_run(self, _argv):
            return 137, b"killed"

    _local(monkeypatch, common, Gone())
    assert common.sh("node", "echo hello", check=False) == (137, "killed")
