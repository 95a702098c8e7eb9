"""halb-notify, the program keepalived's notify hook runs (roles/mailx_notify/files).

Imported by path, with a stand-in for s-nail (a small executable in tmp_path
that records what it was asked to send and succeeds, fails or hangs as the
test says): no network at all.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import pathlib
import pwd
import signal
import subprocess
import sys
import time

import pytest

from .programs import ROOT, load

PROGRAM = ROOT / "roles" / "mailx_notify" / "files" / "halb-notify.py"
SECRET = "S3cr@t:pw/x"
SECRET_ENCODED = "S3cr%40t%3Apw%2Fx"


hn = load("mailx_notify", "halb-notify.py", "halb_notify")

FAKE_MAILER = """\
#!{python}
# Stand-in for s-nail: records argv and the body, then does what ./mode says.
import json, os, sys, time
here = {here!r}
mode = open(os.path.join(here, "mode")).read().strip() if os.path.exists(os.path.join(here, "mode")) else "ok"
body = sys.stdin.read()
count_file = os.path.join(here, "calls")
calls = int(open(count_file).read()) if os.path.exists(count_file) else 0
# Atomic, so that the test never reads the file empty while it is written.
open(count_file + ".new", "w").write(str(calls + 1))
os.replace(count_file + ".new", count_file)
if mode == "hang":
    time.sleep(60)
if (mode == "fail" or (mode.startswith("fail-after-") and calls >= int(mode[11:]))
        or (mode.startswith("fail-on-") and mode[8:] in body)):
    print("s-nail: SMTP server: 535 5.7.8 Authentication credentials invalid for "
          "submission://alerts:{encoded}@relay:587 ({secret})")
    sys.exit(4)
with open(os.path.join(here, "sent.jsonl"), "a") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "body": body, "env": {{
        "MAILRC": os.environ.get("MAILRC"), "HOME": os.environ.get("HOME")}}}}) + "\\n")
"""


class Box:
    """A spool, settings and a stand-in mailer in tmp_path."""

    def __init__(self, tmp_path, spool_max=100, timeout=5, max_tries=None):
        self.dir = tmp_path
        self.spool_dir = tmp_path / "spool"
        self.spool_dir.mkdir(mode=0o700)
        self.mailer = tmp_path / "s-nail"
        self.mailer.write_text(
            FAKE_MAILER.format(
                python=sys.executable, here=str(tmp_path), encoded=SECRET_ENCODED, secret=SECRET
            )
        )
        self.mailer.chmod(0o755)
        self.mailrc = tmp_path / "notify.mailrc"
        self.mailrc.write_text(
            f"set v15-compat\nset mta='submission://alerts:{SECRET_ENCODED}@relay.example.test:587'\n"
        )
        self.config = tmp_path / "notify.json"
        self.settings = {
            "hostname": "lb1.example.test",
            "from": "lb-alerts@example.test",
            "recipients": ["ops@example.test", "oncall@example.test"],
            "relay": "relay.example.test:587 (starttls)",
            "mailer": str(self.mailer),
            "mailrc": str(self.mailrc),
            "user": pwd.getpwuid(os.geteuid()).pw_name,
            "spool_dir": str(self.spool_dir),
            "spool_max": spool_max,
            "timeout": timeout,
            "flush_budget": 60,
        }
        if max_tries is not None:
            self.settings["max_tries"] = max_tries
        self.config.write_text(json.dumps(self.settings))
        self.cfg = hn.load_config(str(self.config))
        self.spool = hn.Spool(self.cfg["spool_dir"], self.cfg["spool_max"])

    def mode(self, mode):
        (self.dir / "mode").write_text(mode)

    def sent(self):
        path = self.dir / "sent.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def calls(self):
        path = self.dir / "calls"
        return int(path.read_text()) if path.exists() else 0

    def queued(self):
        return [seq for seq, _path in self.spool.entries()]

    def event(self, state="MASTER", priority="150", name="VI_1", kind="INSTANCE"):
        return self.spool.enqueue(hn.make_alert(self.cfg, kind, name, state, priority))[0]


@pytest.fixture
def box(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(hn, "log", lambda priority, message: logged.append(message))
    monkeypatch.setattr(hn, "drop_privileges", lambda user: None)
    monkeypatch.setattr(hn.syslog, "openlog", lambda *a, **k: None)
    monkeypatch.setenv("HALB_NOTIFY_CONFIG", str(tmp_path / "notify.json"))
    b = Box(tmp_path)
    b.logged = logged
    return b


def test_events_get_increasing_sequence_numbers_under_the_lock(box):
    assert [box.event(s) for s in ("BACKUP", "MASTER", "FAULT")] == [1, 2, 3]
    assert box.queued() == [1, 2, 3]
    names = sorted(os.listdir(box.spool.queue))
    assert names == ["000000000001.json", "000000000002.json", "000000000003.json"]
    alert = json.loads((pathlib.Path(box.spool.queue) / names[2]).read_text())
    assert alert["state"] == "FAULT" and alert["seq"] == 3 and alert["host"] == "lb1.example.test"
    assert os.listdir(box.spool.tmp) == []
    assert (box.spool_dir / "seq").read_text().strip() == "3"


def test_the_sequence_goes_on_after_the_queue_is_sent_and_survives_a_lost_seq_file(box):
    box.event()
    box.event()
    assert hn.flush(box.cfg, box.spool) == 0
    assert box.queued() == []
    assert box.event() == 3
    (box.spool_dir / "seq").unlink()
    box.event()  # 4: the queue still holds 3
    assert box.queued() == [3, 4]


def test_the_hook_only_queues_and_touches_the_trigger(box):
    before = time.monotonic()
    assert hn.main(["INSTANCE", "VI_1", "MASTER", "150"]) == 0
    assert time.monotonic() - before < 5
    assert box.queued() == [1]
    assert box.calls() == 0  # nothing is sent from keepalived's hook
    assert (box.spool_dir / "trigger").exists()
    assert any(
        m.startswith("queued alert #1: lb1.example.test: VI_1 is now MASTER") for m in box.logged
    )


def test_flush_sends_oldest_first_and_removes_each_after_success(box):
    for state in ("BACKUP", "MASTER", "FAULT"):
        box.event(state)
    assert hn.main(["--flush"]) == 0
    sent = box.sent()
    assert [s["argv"][s["argv"].index("-C") + 1] for s in sent] == [
        "X-Halb-Notify-Event: lb1.example.test 1",
        "X-Halb-Notify-Event: lb1.example.test 2",
        "X-Halb-Notify-Event: lb1.example.test 3",
    ]
    subjects = [s["argv"][s["argv"].index("-s") + 1] for s in sent]
    assert [s.split(" is now ")[1].split()[0] for s in subjects] == ["BACKUP", "MASTER", "FAULT"]
    for s in sent:
        # s-nail reads only the role's resource file; recipients after "-.".
        assert s["argv"][0] == "-:u"
        assert s["argv"][-3:] == ["-.", "ops@example.test", "oncall@example.test"]
        assert s["env"]["MAILRC"] == str(box.mailrc)
        assert s["env"]["HOME"] == str(box.spool_dir)
    assert box.queued() == []
    status = box.spool.read_status()
    assert status["last_error"] == "" and status["queued"] == 0


def test_flush_stops_at_the_first_failure_and_keeps_the_rest_in_order(box):
    for state in ("BACKUP", "MASTER", "FAULT"):
        box.event(state)
    box.mode("fail-after-1")
    assert hn.main(["--flush"]) == 1
    assert len(box.sent()) == 1
    assert box.calls() == 2  # the second attempt failed, the third was not tried
    assert box.queued() == [2, 3]
    status = box.spool.read_status()
    assert "535 5.7.8" in status["last_error"] and status["queued"] == 2
    warning = [m for m in box.logged if m.startswith("could not send")]
    assert warning and "2 alert(s) stay" in warning[0]
    # Never the password, in any form, in what is logged or kept.
    for text in [*box.logged, json.dumps(status)]:
        assert SECRET not in text and SECRET_ENCODED not in text
    # The relay works again: the rest go out, in order, exactly once.
    box.mode("ok")
    assert hn.main(["--flush"]) == 0
    events = [s["argv"][s["argv"].index("-C") + 1].split()[-1] for s in box.sent()]
    assert events == ["1", "2", "3"]
    assert box.queued() == []


def test_a_relay_that_does_not_answer_is_given_up_after_the_timeout(box):
    box.cfg["timeout"] = 1
    box.event()
    box.mode("hang")
    before = time.monotonic()
    assert hn.flush(box.cfg, box.spool) == 1
    assert time.monotonic() - before < 10
    assert box.queued() == [1]
    assert any("no result from the relay within 1s" in m for m in box.logged)


def test_only_one_flush_runs_at_a_time(box):
    box.event()
    fd = os.open(box.spool.flush_lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert hn.flush(box.cfg, box.spool) == 0
        assert box.calls() == 0 and box.queued() == [1]
    finally:
        os.close(fd)
    assert hn.flush(box.cfg, box.spool) == 0
    assert box.queued() == []


def test_the_spool_is_bounded_and_the_next_mail_says_what_was_dropped(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(hn, "log", lambda priority, message: logged.append(message))
    box = Box(tmp_path, spool_max=3)
    for i in range(5):
        box.event(priority=str(100 + i))
    assert box.queued() == [3, 4, 5]
    assert [m for m in logged if "dropped the oldest" in m] == [
        "spool full (3): dropped the oldest alert #1",
        "spool full (3): dropped the oldest alert #2",
    ]
    alerts = [json.loads(pathlib.Path(p).read_text()) for _seq, p in box.spool.entries()]
    assert [a["dropped_before"] for a in alerts] == [0, 1, 1]
    _subject, body = hn.render(alerts[1], box.cfg)
    assert (
        "1 older alert(s) were dropped: the spool of lb1.example.test was full (3 alerts)." in body
    )


def test_a_broken_entry_does_not_block_the_others(box):
    box.event("BACKUP")
    pathlib.Path(box.spool.queue, "000000000001.json").write_text("{not json")
    box.event("MASTER")
    assert hn.flush(box.cfg, box.spool) == 0
    assert len(box.sent()) == 1 and box.queued() == []
    assert os.listdir(box.spool.bad) == ["000000000001.json"]


def test_the_message_names_host_instance_state_priority_and_time(box):
    when = "2026-11-21T10:56:19+01:00"
    alert = dict(hn.make_alert(box.cfg, "INSTANCE", "VI_1", "MASTER", "150", when=when), seq=7)
    subject, body = hn.render(alert, box.cfg, sent_at=alert["epoch"])
    assert subject == f"lb1.example.test: VI_1 is now MASTER (priority 150) at {when}"
    assert body.splitlines()[:9] == [
        subject,
        "",
        "Host:      lb1.example.test",
        "Instance:  VI_1",
        "State:     MASTER",
        "Priority:  150",
        f"Time:      {when}",
        "Event:     #7 of lb1.example.test (numbered in order)",
        "",
    ]
    assert "via relay.example.test:587 (starttls)" in body
    assert "waited" not in body
    _subject, late = hn.render(alert, box.cfg, sent_at=alert["epoch"] + 600)
    assert "This alert waited 10 min in the spool of lb1.example.test." in late
    group = hn.make_alert(box.cfg, "GROUP", "VG_1", "BACKUP", "0")
    assert hn.summary(group).startswith("lb1.example.test: group VG_1 is now BACKUP (priority 0)")
    assert "Group:     VG_1" in hn.render(group, box.cfg)[1]


def test_a_backend_alert_says_what_clients_get_and_that_a_mail_follows(box):
    """halb-backends queues BACKEND alerts through the same spool."""
    when = "2026-12-04T23:10:00+00:00"
    down = dict(hn.make_alert(box.cfg, "BACKEND", "be_web", "DOWN", "0", when=when), seq=3)
    subject, body = hn.render(down, box.cfg, sent_at=down["epoch"])
    assert subject == (
        f"lb1.example.test: backend be_web has no UP server on the node that holds the VIP, "
        f"at {when}"
    )
    assert "Backend:   be_web" in body and "Servers:   0 UP" in body
    assert "get 503" in body and "a mail follows" in body and "Priority" not in body
    assert "(HAProxy backend check)" in body
    up = hn.make_alert(box.cfg, "BACKEND", "be_web", "UP", "2", when=when)
    assert (
        hn.summary(up) == f"lb1.example.test: backend be_web is UP again (2 servers UP) at {when}"
    )
    assert "503" not in hn.render(up, box.cfg)[1]


def test_a_backend_alert_is_queued_by_the_hook(box):
    assert hn.main(["BACKEND", "be_web", "DOWN", "0"]) == 0
    ((_seq, path),) = box.spool.entries()
    alert = json.loads(pathlib.Path(path).read_text())
    assert (alert["type"], alert["name"], alert["state"]) == ("BACKEND", "be_web", "DOWN")
    assert not any("unexpected state" in line for line in box.logged)


def test_the_time_is_iso_8601_with_a_zone(box):
    alert = hn.make_alert(box.cfg, "INSTANCE", "VI_1", "BACKUP", "140")
    parsed = datetime.datetime.fromisoformat(alert["time"])
    assert parsed.tzinfo is not None
    assert abs(parsed.timestamp() - time.time()) < 5


def test_the_host_name_falls_back_to_the_system_one(box):
    box.cfg["hostname"] = ""
    assert hn.make_alert(box.cfg, "INSTANCE", "VI_1", "MASTER", "1")["host"] == (
        hn.socket.gethostname()
    )


def test_odd_arguments_are_made_safe_for_a_mail_header(box):
    alert = hn.make_alert(box.cfg, "instance", "VI_1\r\nBcc: x@evil", "master", "15x0")
    assert alert["name"] == "VI_1??Bcc:?x@evil"
    assert alert["type"] == "INSTANCE" and alert["state"] == "MASTER"
    assert alert["priority"] == "15x0"
    assert "\n" not in hn.summary(alert)


def test_scrub_hides_the_password():
    text = f"error for submission://alerts:{SECRET_ENCODED}@relay:587 and {SECRET}"
    out = hn.scrub(text, [SECRET_ENCODED, SECRET])
    assert SECRET not in out and SECRET_ENCODED not in out
    assert "submission://alerts:********@relay:587" in out
    assert hn.scrub("smtp://u:p4ss@h") == "smtp://u:********@h"


def test_the_password_is_read_from_the_resource_file_for_scrubbing(box):
    assert set(hn._secrets(str(box.mailrc))) == {SECRET_ENCODED, SECRET}
    assert hn._secrets(str(box.dir / "missing")) == []


def test_test_mode_sends_at_once_without_the_spool(box, capsys):
    box.event()
    assert hn.main(["--test"]) == 0
    [sent] = box.sent()
    assert sent["argv"][2].startswith("lb1.example.test: test message from halb-notify at ")
    assert "-C" not in sent["argv"]
    assert box.queued() == [1]
    box.mode("fail")
    assert hn.main(["--test"]) == 1
    assert any(m.startswith("test message NOT sent") for m in box.logged)
    assert not any(SECRET in m or SECRET_ENCODED in m for m in box.logged)


def test_status_shows_the_spool(box, capsys):
    box.event()
    assert hn.main(["--status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["queued"] == 1 and status["relay"] == "relay.example.test:587 (starttls)"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["INSTANCE", "VI_1", "MASTER"],
        ["--flush", "INSTANCE", "VI_1", "MASTER", "1"],
        ["--keepalived-stopped", "INSTANCE", "VI_1", "STOP", "1"],
        ["--keepalived-stopped", "--flush"],
    ],
)
def test_wrong_arguments_are_refused(box, argv):
    with pytest.raises(SystemExit) as info:
        hn.main(argv)
    assert info.value.code == 2


def test_missing_or_broken_settings_fail_clearly(box, tmp_path):
    assert hn.main(["--config", str(tmp_path / "nope.json"), "--flush"]) == 1
    assert any("cannot read" in m for m in box.logged)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"from": "a@b.c"}))
    assert hn.main(["--config", str(broken), "--flush"]) == 1
    assert any("missing recipients, mailer, mailrc, spool_dir" in m for m in box.logged)


def _start(box, *argv):
    """The program as a process of its own, as keepalived or systemd start it."""
    return subprocess.Popen(
        [sys.executable, str(PROGRAM), *argv],
        env=dict(os.environ, HALB_NOTIFY_CONFIG=str(box.config)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_many_hooks_at_once_each_get_their_own_number(tmp_path):
    """Real processes, as keepalived starts them: the lock keeps numbers unique."""
    box = Box(tmp_path)
    procs = [_start(box, "INSTANCE", "VI_1", "BACKUP", str(i)) for i in range(12)]
    for proc in procs:
        out, _err = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
    assert box.queued() == list(range(1, 13))
    priorities = sorted(
        int(json.loads(pathlib.Path(p).read_text())["priority"]) for _seq, p in box.spool.entries()
    )
    assert priorities == list(range(12))
    assert box.calls() == 0


def test_the_program_is_plain_python3_with_a_shebang():
    first = PROGRAM.read_text().splitlines()[0]
    assert first == "#!/usr/bin/python3"
    compile(PROGRAM.read_text(), str(PROGRAM), "exec")


def _wait_until_waiting_for_the_lock(proc, box):
    """Until the hook has opened the spool's lock (it then waits for it)."""
    lock = os.path.realpath(box.spool.lock_path)
    fds = pathlib.Path(f"/proc/{proc.pid}/fd")
    for _attempt in range(500):
        with contextlib.suppress(FileNotFoundError):
            if any(os.path.realpath(fd) == lock for fd in fds.iterdir()):
                return
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.01)
    raise AssertionError("the hook never opened the lock")


def test_the_hook_outlives_a_stopping_keepalived_and_still_queues_its_alert(tmp_path):
    """keepalived runs the hook with STOP and exits; systemd then sends SIGTERM
    to the hook. Here the hook waits for the lock held by another hook, gets
    SIGTERM, SIGHUP and SIGINT there, and still queues its alert."""
    box = Box(tmp_path)
    box.spool.prepare()
    with hn.flocked(box.spool.lock_path, 0) as locked:
        assert locked
        proc = _start(box, "INSTANCE", "VI_1", "STOP", "150")
        _wait_until_waiting_for_the_lock(proc, box)
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            proc.send_signal(signum)
        time.sleep(0.3)
        assert proc.poll() is None, "the hook died of a stop signal"
        assert box.queued() == []
    out, _err = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    entries = box.spool.entries()
    assert [seq for seq, _path in entries] == [1]
    assert json.loads(pathlib.Path(entries[0][1]).read_text())["state"] == "STOP"


def test_flush_test_and_status_still_stop_on_sigterm(tmp_path):
    """Only the hook ignores the stop signals: a flush stuck on a hanging relay
    is stopped by systemd as usual."""
    box = Box(tmp_path, timeout=60)
    box.event("MASTER")
    box.mode("hang")
    proc = _start(box, "--flush")
    for _attempt in range(500):
        if box.calls():
            break
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.01)
    try:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGTERM
        assert box.queued() == [1]
    finally:
        _kill_mailers(box)


def _kill_mailers(box):
    """The stand-in mailer left hanging by a flush that was stopped."""
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(box.mailer).encode() in cmdline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(entry.name), signal.SIGKILL)


def test_in_process_main_leaves_the_signal_handlers_alone(box):
    before = {signum: signal.getsignal(signum) for signum in hn.STOP_SIGNALS}
    assert hn.main(["INSTANCE", "VI_1", "STOP", "150"]) == 0
    assert {signum: signal.getsignal(signum) for signum in hn.STOP_SIGNALS} == before


def _run(box, *argv):
    proc = _start(box, *argv)
    out, _err = proc.communicate(timeout=60)
    return proc.returncode, out.decode()


def test_an_unsendable_alert_goes_to_dead_letter_after_n_tries_and_the_next_is_delivered(
    tmp_path,
):
    """Real processes: the relay refuses one alert (not the others) every time."""
    box = Box(tmp_path, max_tries=3)
    assert _run(box, "INSTANCE", "POISON", "MASTER", "150")[0] == 0
    assert _run(box, "INSTANCE", "VI_1", "BACKUP", "100")[0] == 0
    box.mode("fail-on-POISON")
    for tries in (1, 2):
        assert _run(box, "--flush")[0] == 1
        assert box.queued() == [1, 2] and box.sent() == []
        alert = json.loads(pathlib.Path(box.spool.entries()[0][1]).read_text())
        assert alert["tries"] == tries and "535 5.7.8" in alert["last_error"]
        assert SECRET not in alert["last_error"] and SECRET_ENCODED not in alert["last_error"]
    # The third failure: the alert behind it goes through, so this one is given up.
    assert _run(box, "--flush")[0] == 0
    assert box.queued() == []
    [sent] = box.sent()
    assert "VI_1 is now BACKUP" in sent["argv"][sent["argv"].index("-s") + 1]
    dead = pathlib.Path(box.spool.dead_path)
    assert dead.stat().st_mode & 0o777 == 0o600
    [record] = [json.loads(line) for line in dead.read_text().splitlines()]
    assert record["seq"] == 1 and record["tries"] == 3 and record["alert"]["name"] == "POISON"
    assert "535 5.7.8" in record["why"] and SECRET not in dead.read_text()
    code, out = _run(box, "--status")
    assert code == 0
    status = json.loads(out[out.index("{") :])
    assert status["queued"] == 0
    report = status["dead_letter"]
    assert report["count"] == 1 and report["oldest"]["seq"] == 1
    assert "POISON is now MASTER" in report["oldest"]["summary"] and "535 5.7.8" in report["why"]
    # Later alerts flow as usual.
    assert _run(box, "INSTANCE", "VI_1", "MASTER", "150")[0] == 0
    assert _run(box, "--flush")[0] == 0 and len(box.sent()) == 2


def test_a_relay_that_is_down_never_sends_alerts_to_dead_letter(tmp_path):
    box = Box(tmp_path, max_tries=2)
    box.event("BACKUP")
    box.event("MASTER")
    box.mode("fail")
    for _flush in range(5):
        assert hn.flush(box.cfg, box.spool) == 1
    assert box.queued() == [1, 2]
    assert box.spool.dead_letters() == []
    box.mode("ok")
    assert hn.flush(box.cfg, box.spool) == 0 and len(box.sent()) == 2


def test_an_oversized_entry_goes_to_dead_letter_at_once(box):
    box.event("BACKUP")
    pathlib.Path(box.spool.queue, "000000000001.json").write_text(
        json.dumps({"host": "x" * (hn.MAX_ENTRY + 1)})
    )
    box.event("MASTER")
    assert hn.flush(box.cfg, box.spool) == 0
    assert box.queued() == [] and len(box.sent()) == 1
    [record] = box.spool.dead_letters()
    assert record["seq"] == 1 and "too large" in record["why"] and record["alert"] is None
    report = hn.dead_letter_status(box.spool)
    assert report["count"] == 1 and report["oldest"]["summary"] is None


def test_the_dead_letter_file_is_bounded(tmp_path):
    box = Box(tmp_path, spool_max=3)
    box.spool.prepare()
    for seq in range(1, 6):
        path = pathlib.Path(box.spool.queue, f"{seq:012d}.json")
        path.write_text("{}")
        box.spool.bury(seq, str(path), {"tries": 9}, f"reason {seq}")
    assert [r["seq"] for r in box.spool.dead_letters()] == [3, 4, 5]


@pytest.mark.parametrize(
    ("priority", "expected"),
    [("150", "150"), ("-1", "-1"), ("\u0661\u0662\u0663", "???"), ("9" * 100, "9" * 16)],
)
def test_every_hook_argument_is_bounded_printable_ascii(box, priority, expected):
    alert = hn.make_alert(box.cfg, "I" * 500, "N\u2028" * 500, "S\x85" * 500, priority)
    assert alert["priority"] == expected
    assert len(alert["type"]) == 64 and len(alert["name"]) == 128 and len(alert["state"]) == 64
    for key in ("type", "name", "state", "priority", "host"):
        assert all(0x21 <= ord(c) <= 0x7E for c in alert[key]), key


# --- the front: roles/mailx_notify/files/halb-notify (sh) -------------------

FRONT = ROOT / "roles" / "mailx_notify" / "files" / "halb-notify"

# Stands in for halb-notify.py beside the front: says it runs and how it found
# the stop signals, then takes its time, as Python's start-up does on a busy host.
FAKE_PROGRAM = """\
import json, signal, sys, time
here = {here!r}
seen = {{s.name: signal.getsignal(s) == signal.SIG_IGN
         for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}}
with open(here + "/started", "w") as out:
    json.dump({{"argv": sys.argv[1:], "ignored": seen}}, out)
time.sleep(0.5)
open(here + "/done", "w").close()
"""


def _front(tmp_path):
    front = tmp_path / "halb-notify"
    front.write_text(FRONT.read_text())
    front.chmod(0o755)
    (tmp_path / "halb-notify.py").write_text(FAKE_PROGRAM.format(here=str(tmp_path)))
    return front


def _started(tmp_path, proc):
    for _attempt in range(1000):
        if (tmp_path / "started").exists():
            try:
                return json.loads((tmp_path / "started").read_text())
            except ValueError:
                pass  # being written
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.01)
    raise AssertionError("the program behind the front never started")


needs_sh_and_python3 = pytest.mark.skipif(
    not (os.path.exists("/bin/sh") and os.path.exists("/usr/bin/python3")),
    reason="the front is /bin/sh and runs /usr/bin/python3",
)


@needs_sh_and_python3
def test_the_front_ignores_the_stop_signals_before_python_has_started(tmp_path):
    """keepalived sends SIGTERM to its hook when its VRRP process exits, about a
    second after the STOP hook started: on a busy host before Python could set
    anything up (a CI run lost its STOP alert so). The front ignores the
    signals in its first command, and the program inherits that."""
    front = _front(tmp_path)
    proc = subprocess.Popen(
        _with_default_signals([str(front), "INSTANCE", "VI_1", "STOP", "150"]),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    started = _started(tmp_path, proc)
    assert started == {
        "argv": ["INSTANCE", "VI_1", "STOP", "150"],
        "ignored": {"SIGTERM": True, "SIGHUP": True, "SIGINT": True},
    }
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        proc.send_signal(signum)
    out, _err = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert (tmp_path / "done").exists()


# The dispositions keepalived and systemd start a hook or a unit with. A test
# run under nohup or in a background job inherits SIGHUP or SIGINT ignored,
# and a non-interactive sh cannot reset a signal that was ignored when it
# started (POSIX): the front is started through this, from the defaults.
_DEFAULT_SIGNALS = (
    "import os, signal, sys\n"
    "for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\n"
    "    signal.signal(signum, signal.SIG_DFL)\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def _with_default_signals(argv):
    return [sys.executable, "-c", _DEFAULT_SIGNALS, *argv]


@needs_sh_and_python3
@pytest.mark.parametrize("mode", ["--flush", "--test", "--status"])
def test_the_front_leaves_flush_test_and_status_stoppable(tmp_path, mode):
    front = _front(tmp_path)
    proc = subprocess.Popen(
        _with_default_signals([str(front), mode]),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    started = _started(tmp_path, proc)
    assert started["argv"] == [mode]
    assert started["ignored"] == {"SIGTERM": False, "SIGHUP": False, "SIGINT": False}
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM
    assert not (tmp_path / "done").exists()


def test_the_front_is_posix_sh_that_runs_the_program_beside_it():
    lines = FRONT.read_text().splitlines()
    assert lines[0] == "#!/bin/sh"
    code = [line for line in lines if line.strip() and not line.startswith("#")]
    # Nothing runs before the signals are ignored, and the program replaces the shell.
    assert code[0].startswith("case ") and "trap '' TERM HUP INT" in "\n".join(code[:4])
    assert code[-1] == 'exec /usr/bin/python3 "$0.py" "$@"'


# --- STOP alerts after keepalived stopped (keepalived.service's ExecStopPost) ---

KEEPALIVED_CONF = """\
global_defs {
    router_id lb1
}
vrrp_sync_group G1 {
    group {
        VI_1
    }
}
vrrp_instance VI_1 {
    state BACKUP
}
vrrp_instance VI_2{
    state BACKUP
}
"""


def _stopped(box, tmp_path, conf=KEEPALIVED_CONF, env=None, monkeypatch=None):
    path = tmp_path / "keepalived.conf"
    if conf is not None:
        path.write_text(conf)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    return hn.main(["--keepalived-stopped", "--keepalived-config", str(path)])


def _alerts(box):
    return [json.loads(pathlib.Path(path).read_text()) for _seq, path in box.spool.entries()]


def test_the_hook_records_the_last_state_of_each_instance_and_group_only(box):
    for argv in (
        ["INSTANCE", "VI_1", "BACKUP", "100"],
        ["INSTANCE", "VI_1", "MASTER", "150"],
        ["GROUP", "G1", "MASTER", "0"],
        ["BACKEND", "be_web", "DOWN", "0"],
    ):
        assert hn.main(argv) == 0
    assert box.spool.read_states() == {
        "INSTANCE VI_1": {"state": "MASTER", "priority": "150"},
        "GROUP G1": {"state": "MASTER", "priority": "0"},
    }


def test_a_stop_nobody_queued_is_queued_after_keepalived_stopped(box, tmp_path, monkeypatch):
    """The hook died with keepalived (or keepalived died): ExecStopPost queues
    the STOP alert of every instance and group keepalived.conf still has and
    whose last queued state is not STOP, saying how keepalived ended."""
    for argv in (
        ["INSTANCE", "VI_1", "MASTER", "150"],
        ["INSTANCE", "VI_2", "BACKUP", "100"],
        ["GROUP", "G1", "MASTER", "0"],
        ["INSTANCE", "VI_OLD", "MASTER", "100"],  # no longer in keepalived.conf
        ["INSTANCE", "VI_2", "STOP", "100"],  # its hook queued its STOP
    ):
        assert hn.main(argv) == 0
    (box.spool_dir / "trigger").unlink()
    env = {"SERVICE_RESULT": "signal", "EXIT_CODE": "killed", "EXIT_STATUS": "KILL"}
    assert _stopped(box, tmp_path, env=env, monkeypatch=monkeypatch) == 0
    new = _alerts(box)[5:]
    assert [(a["type"], a["name"], a["state"], a["priority"]) for a in new] == [
        ("INSTANCE", "VI_1", "STOP", "150"),
        ("GROUP", "G1", "STOP", "0"),
    ]
    assert "result signal, killed KILL" in new[0]["detail"]
    assert (box.spool_dir / "trigger").exists()
    assert sum("after keepalived stopped" in m for m in box.logged) == 2
    # Run again (a second stop without a start): nothing more.
    assert _stopped(box, tmp_path, env=env, monkeypatch=monkeypatch) == 0
    assert len(_alerts(box)) == 7
    # The mail says what happened.
    _subject, body = hn.render(new[0], box.cfg)
    assert "keepalived stopped before its notify hook had queued this alert" in body
    assert "ExecStopPost" in body


def test_the_hook_does_not_queue_a_stop_that_was_queued_after_keepalived_stopped(box, tmp_path):
    """If the hook outlives keepalived and ExecStopPost ran first (a unit
    with KillMode=process), the STOP alert still goes out once."""
    assert hn.main(["INSTANCE", "VI_1", "MASTER", "150"]) == 0
    assert _stopped(box, tmp_path) == 0
    assert hn.main(["INSTANCE", "VI_1", "STOP", "150"]) == 0
    assert [a["state"] for a in _alerts(box)] == ["MASTER", "STOP"]
    assert any(m.startswith("already queued after keepalived stopped") for m in box.logged)
    # After a start, the next stop is queued by the hook as usual.
    assert hn.main(["INSTANCE", "VI_1", "BACKUP", "100"]) == 0
    assert hn.main(["INSTANCE", "VI_1", "STOP", "100"]) == 0
    assert _stopped(box, tmp_path) == 0
    assert [a["state"] for a in _alerts(box)] == ["MASTER", "STOP", "BACKUP", "STOP"]


@pytest.mark.parametrize("conf", [None, "include /etc/keepalived/conf.d/*.conf\n"])
def test_without_a_readable_single_keepalived_conf_every_recorded_instance_counts(
    box, tmp_path, conf
):
    assert hn.main(["INSTANCE", "VI_X", "MASTER", "150"]) == 0
    assert _stopped(box, tmp_path, conf=conf) == 0
    assert [(a["name"], a["state"]) for a in _alerts(box)] == [("VI_X", "MASTER"), ("VI_X", "STOP")]


def test_nothing_recorded_means_nothing_queued_after_keepalived_stopped(box, tmp_path):
    assert _stopped(box, tmp_path) == 0
    assert box.queued() == []
    assert not (box.spool_dir / "trigger").exists()


def test_the_recorded_states_are_bounded(box):
    for k in range(hn.MAX_STATES + 5):
        box.spool.enqueue(hn.make_alert(box.cfg, "INSTANCE", f"VI_{k}", "BACKUP", "1"))
    states = box.spool.read_states()
    assert len(states) == hn.MAX_STATES
    assert "INSTANCE VI_0" not in states and f"INSTANCE VI_{hn.MAX_STATES + 4}" in states


def test_keepalived_names_reads_instances_and_groups_made_safe(tmp_path):
    path = tmp_path / "keepalived.conf"
    path.write_text(KEEPALIVED_CONF + "  vrrp_instance \x1bbad{\n}\n")
    assert hn.keepalived_names(str(path)) == {
        "GROUP G1",
        "INSTANCE VI_1",
        "INSTANCE VI_2",
        "INSTANCE ?bad",
    }


def test_the_stop_detail_is_made_safe_for_a_mail():
    detail = hn.stop_detail({"SERVICE_RESULT": "exit-code\nBcc: x", "EXIT_CODE": "exited"})
    assert "\n" not in detail and "exit-code?Bcc:?x" in detail
    assert "no exit status" in hn.stop_detail({})
