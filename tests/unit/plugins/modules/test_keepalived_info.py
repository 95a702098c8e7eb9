"""keepalived_info's side of the conversation with keepalived: the signal,
waiting for the dump, reading it, removing a dump it made, a keepalived that
does not answer. A stand-in process plays keepalived (it writes the recorded
dump when signalled); the real keepalived answers in the default scenario."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.halb.cluster.plugins.modules import keepalived_info as ki

RECORDED = pathlib.Path(__file__).parents[1] / "module_utils" / "vrrp_state"


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, signals):
        self.signals = signals

    def fail_json(self, msg, **_):
        raise Failed(msg)


@pytest.fixture
def keepalived(tmp_path):
    """A process that writes the recorded JSON dump to tmp_path/keepalived.json on SIGUSR2
    (and nothing on SIGUSR1), like keepalived on its JSON signal."""
    dump = tmp_path / "keepalived.json"
    script = textwrap.dedent(
        f"""
        import signal, shutil, time
        def on_json(*_):
            shutil.copy({str(RECORDED / "keepalived.json")!r}, {str(dump)!r})
        signal.signal(signal.SIGUSR2, on_json)
        signal.signal(signal.SIGUSR1, lambda *_: None)
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    yield proc, dump
    proc.kill()
    proc.wait(timeout=10)


def use(monkeypatch, tmp_path, json_signal):
    monkeypatch.setattr(
        ki,
        "DUMPS",
        (
            ("json", "JSON", str(tmp_path / "keepalived.json"), ki.vrrp.parse_json),
            ("data", "DATA", str(tmp_path / "keepalived.data"), ki.vrrp.parse_data),
        ),
    )
    numbers = {"JSON": json_signal, "DATA": int(signal.SIGUSR1)}
    monkeypatch.setattr(ki, "signal_number", lambda module, name: numbers[name])


def test_the_dump_is_read_and_removed_when_it_did_not_exist(monkeypatch, tmp_path, keepalived):
    proc, dump = keepalived
    use(monkeypatch, tmp_path, int(signal.SIGUSR2))
    source, instances = ki.read_dump(FakeModule({}), proc.pid, timeout=10)
    assert (
        source == "json" and instances[0]["name"] == "VI_WEB" and instances[0]["state"] == "MASTER"
    )
    assert not dump.exists()


def test_a_dump_that_existed_before_is_left(monkeypatch, tmp_path, keepalived):
    proc, dump = keepalived
    dump.write_text("[]")
    old = time.time() - 60
    os.utime(dump, (old, old))
    use(monkeypatch, tmp_path, int(signal.SIGUSR2))
    source, instances = ki.read_dump(FakeModule({}), proc.pid, timeout=10)
    assert instances[0]["vips"] == ["172.30.77.100"]
    assert dump.exists()


def test_a_keepalived_that_writes_nothing_is_a_clear_failure(monkeypatch, tmp_path, keepalived):
    proc, _dump = keepalived
    use(monkeypatch, tmp_path, None)  # no JSON support: SIGUSR1, which this stand-in ignores
    with pytest.raises(Failed, match=r"keepalived did not write .*keepalived.data within 1 s"):
        ki.read_dump(FakeModule({}), proc.pid, timeout=1)


def test_pid_file(tmp_path):
    pid_file = tmp_path / "keepalived.pid"
    assert ki.keepalived_pid(str(pid_file)) is None
    pid_file.write_text(f"{os.getpid()}\n")
    assert ki.keepalived_pid(str(pid_file)) == os.getpid()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=10)
    pid_file.write_text(f"{dead.pid}\n")
    assert ki.keepalived_pid(str(pid_file)) is None
    pid_file.write_text("garbage")
    assert ki.keepalived_pid(str(pid_file)) is None
