"""keepalived alerts by e-mail, end to end: real keepalived, real s-nail, a real
relay that demands STARTTLS and AUTH (aiosmtpd). Every wait is bounded."""

from __future__ import annotations

import datetime
import json
import pathlib
import shlex
import urllib.parse

import halb_mail as M
import pytest

APPLY_ROLE = pathlib.Path(M.SCENARIO) / "apply_role.yml"
RECIPIENTS = ["ops@example.test", "oncall@example.test"]
RELAY_USER = "lb-alerts@example.test"
PRIORITY = {M.LBS[0]: "150", M.LBS[1]: "140"}


def _parsed(alert):
    match = M.SUBJECT_RE.match(alert["subject"])
    assert match, alert["subject"]
    return match.groupdict()


def _states(alerts):
    return [_parsed(a)["state"] for a in alerts]


def _secret_forms(password):
    return {password, urllib.parse.quote(password, safe="")}


def _assert_in_order_exactly_once():
    """Per host, the sequence numbers of every alert the relay ever got
    increase in arrival order: nothing out of order, nothing twice."""
    seen = {}
    for message in M.messages():
        if message["event"]:
            host, seq = message["event"]
            seen.setdefault(host, []).append(seq)
    for host, seqs in seen.items():
        assert seqs == sorted(set(seqs)), f"{host}: {seqs}"


def _assert_well_formed(alert, lb, since):
    fields = _parsed(alert)
    assert fields["host"] == M.NAMES[lb]
    assert fields["name"] == "VI_1"
    assert fields["priority"] == PRIORITY[lb]
    when = datetime.datetime.fromisoformat(fields["time"])
    assert when.tzinfo is not None, fields["time"]
    assert since <= when <= datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=5)
    body = alert["body"]
    assert alert["subject"] in body
    for line in (
        f"Host:      {M.NAMES[lb]}",
        "Instance:  VI_1",
        f"State:     {fields['state']}",
        f"Priority:  {fields['priority']}",
        f"Time:      {fields['time']}",
    ):
        assert line in body, body
    # Sent through the relay's SUBMISSION port, after STARTTLS, authenticated.
    assert alert["listener"] == "starttls:587"
    assert alert["tls"] and alert["authenticated"]
    assert alert["login"] == RELAY_USER
    assert alert["mail_from"] == "lb-alerts@example.test"
    assert alert["rcpt_tos"] == RECIPIENTS
    assert str(alert["mail"]["From"]) == "lb-alerts@example.test"


def test_a_failover_is_mailed_naming_host_instance_state_priority_and_time(mail):
    lb1, lb2 = M.LBS
    M.wait_for(
        lambda: M.holds_vip(lb1) and not M.holds_vip(lb2), timeout=30, what="lb1 holding the VIP"
    )
    base = len(M.messages())
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=2)

    M.sh(lb1, "systemctl stop keepalived.service")
    M.wait_for(lambda: M.holds_vip(lb2), timeout=30, what="lb2 taking the VIP")
    M.wait_for(
        lambda: "MASTER" in _states(M.alerts(base, M.NAMES[lb2])),
        timeout=45,
        what="lb2's MASTER alert at the relay",
    )
    M.sh(lb1, "systemctl start keepalived.service")
    M.wait_for(lambda: M.holds_vip(lb1), timeout=30, what="lb1 taking the VIP back")
    M.wait_for(
        lambda: (
            _states(M.alerts(base, M.NAMES[lb1]))[-1:] == ["MASTER"]
            and _states(M.alerts(base, M.NAMES[lb2]))[-1:] == ["BACKUP"]
        ),
        timeout=45,
        what="lb1's MASTER and lb2's BACKUP alerts at the relay",
    )

    lb2_states = _states(M.alerts(base, M.NAMES[lb2]))
    assert lb2_states == ["MASTER", "BACKUP"], lb2_states
    lb1_states = _states(M.alerts(base, M.NAMES[lb1]))
    # Stopped (keepalived says STOP), then back: BACKUP at start, then MASTER.
    assert lb1_states == ["STOP", "BACKUP", "MASTER"], lb1_states
    for lb in (lb1, lb2):
        for alert in M.alerts(base, M.NAMES[lb]):
            _assert_well_formed(alert, lb, since)
    _assert_in_order_exactly_once()
    # Each alert left the spool once it was sent.
    for lb in (lb1, lb2):
        assert M.queued(lb) == []


def test_the_stop_alert_is_queued_although_keepalived_stopped_before_the_hook_was_done(mail):
    """keepalived runs the hook with STOP, and the hook gets SIGTERM when
    keepalived's VRRP process exits about a second later. Here the hook waits
    for the spool's lock (held by another hook for 3 s, as when several
    instances change state at once), so it is still running then, and the
    node has 5 % of a CPU while keepalived stops, as on a busy CI machine,
    where a hook could die before Python had even started (a CI run lost its
    alert so; held to 5 %, 7 alerts of 16 were lost before the shell front).
    Its alert must get through all the same."""
    lb = M.LBS[1]
    name = M.NAMES[lb]
    since = M.now(lb)
    base = len(M.messages())
    node = M.container(lb)
    try:
        node.update(cpu_period=100000, cpu_quota=5000)
        try:
            M.sh(
                lb,
                f"runuser -u {M.USER} -- flock {M.SPOOL}/lock sleep 3 & sleep 1; "
                "systemctl stop keepalived.service; wait",
            )
        finally:
            node.update(cpu_period=100000, cpu_quota=-1)
        M.wait_for(
            lambda: "STOP" in _states(M.alerts(base, name)),
            timeout=45,
            what=f"{name}'s STOP alert at the relay",
        )
    finally:
        M.sh(lb, "systemctl start keepalived.service")
    out = M.journal(lb, since)
    lines = out.splitlines()
    stopped = [i for i, line in enumerate(lines) if line == "Stopped"]
    queued = [i for i, line in enumerate(lines) if "queued alert" in line and "STOP" in line]
    # The race really happened: keepalived was gone before the alert was queued.
    assert stopped and queued and stopped[0] < queued[0], out
    M.wait_for(
        lambda: "BACKUP" in _states(M.alerts(base, name)),
        timeout=45,
        what=f"{name} back as BACKUP",
    )
    assert _states(M.alerts(base, name)) == ["STOP", "BACKUP"]
    _assert_in_order_exactly_once()


def test_a_keepalived_that_dies_still_has_its_stop_alert_sent_and_comes_back(mail):
    """A keepalived that is killed (a crash, the OOM killer) runs no hook at
    all, as a hook killed with keepalived before its first command queues
    nothing (the window the test above narrows; a CI run lost a STOP alert so
    on a busy machine). keepalived.service's ExecStopPost queues the STOP
    alert nobody queued, saying how keepalived ended; systemd starts
    keepalived again (Restart=on-failure) and its BACKUP alert follows."""
    lb = M.LBS[1]
    name = M.NAMES[lb]
    since = M.now(lb)
    base = len(M.messages())
    M.sh(lb, "systemctl kill --signal=SIGKILL keepalived.service")
    M.wait_for(
        lambda: len(M.alerts(base, name)) >= 2,
        timeout=60,
        what=f"{name}'s STOP and BACKUP alerts at the relay",
    )
    alerts = M.alerts(base, name)
    assert _states(alerts) == ["STOP", "BACKUP"], [a["subject"] for a in alerts]
    assert (
        "keepalived stopped before its notify hook had queued this alert (systemd: result "
        "signal, killed KILL)" in alerts[0]["body"]
    ), alerts[0]["body"]
    assert "queued alert" in M.journal(lb, since) and "after keepalived stopped" in M.journal(
        lb, since
    )
    # The way back: keepalived runs again on lb2, as BACKUP, and lb1 kept the VIP.
    assert M.sh(lb, "systemctl is-active keepalived.service")[1].strip() == "active"
    assert M.holds_vip(M.LBS[0]) and not M.holds_vip(lb)
    _assert_in_order_exactly_once()


def test_a_burst_of_alerts_leaves_the_path_unit_working(mail):
    """Every alert starts the flush service. Ten alerts in a few seconds (a
    flapping pair) must not trip systemd's start limit, which would fail the
    path unit and leave every later alert to the timer."""
    lb = M.LBS[1]
    name = M.NAMES[lb]
    base = len(M.messages())
    states = ["FAULT", "BACKUP"] * 5
    for count, state in enumerate(states, start=1):
        rc, _took = M.notify(lb, "INSTANCE", "VI_BURST", state, "140")
        assert rc == 0
        # The path unit sends each at once; the timer (15 s) would be too late.
        M.wait_for(
            lambda count=count: len(M.alerts(base, name)) >= count,
            timeout=10,
            interval=0.2,
            what=f"alert {count} of the burst at the relay",
        )
    assert [_parsed(a)["name"] for a in M.alerts(base, name)] == ["VI_BURST"] * len(states)
    assert _states(M.alerts(base, name)) == states
    _rc, out = M.sh(lb, "systemctl is-active halb-notify-flush.path", check=False)
    assert out.strip() == "active", out
    _assert_in_order_exactly_once()


def test_keepalived_runs_the_hook_as_the_script_user(mail):
    for lb in M.LBS:
        _rc, out = M.sh(lb, f"stat -c '%U %G %a' {M.SPOOL}/seq {M.SPOOL}/queue")
        assert out.split() == [M.USER, M.USER, "600", M.USER, M.USER, "700"], out
        _rc, conf = M.sh(lb, "cat /etc/keepalived/keepalived.conf")
        assert f'notify "{M.PROGRAM}" {M.USER}' in conf


def test_the_password_file_is_not_world_readable(mail):
    for lb in M.LBS:
        _rc, out = M.sh(lb, "stat -c '%n %a %U %G' /etc/halb/notify.mailrc /etc/halb/notify.json")
        lines = [line.split() for line in out.splitlines()]
        assert lines == [
            ["/etc/halb/notify.mailrc", "640", "root", M.USER],
            ["/etc/halb/notify.json", "640", "root", M.USER],
        ], out
        # The password is in that file and nowhere else the role writes.
        encoded = urllib.parse.quote(M.PASSWORD, safe="")
        M.sh(lb, f"grep -qF '{encoded}' /etc/halb/notify.mailrc")
        for secret in _secret_forms(M.PASSWORD):
            rc, out = M.sh(
                lb,
                f"grep -rlF -- '{secret}' /etc/halb/notify.json /etc/systemd/system "
                f"/usr/local/libexec/halb {M.SPOOL} /etc/keepalived",
                check=False,
            )
            assert rc == 1, out
            # Nor in any journal line since the containers started.
            rc, out = M.sh(
                lb, f"journalctl --no-pager -o cat | grep -cF -- '{secret}'", check=False
            )
            assert out.strip() == "0", out


def test_a_wrong_password_keeps_the_alerts_until_it_is_fixed_and_is_never_shown(mail):
    lb = M.LBS[0]
    name = M.NAMES[lb]
    wrong = "Wr0ng:Pass/76!"
    since = M.now(lb)
    base = len(M.messages())
    auth_base = len(M.auth_attempts())
    restored = False
    try:
        proc = M.playbook(
            APPLY_ROLE,
            "--diff",
            "-v",
            "--limit",
            lb,
            "-e",
            json.dumps({"mailx_notify_relay_password": wrong}),
            timeout=600,
        )
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-4000:]
        for secret in _secret_forms(wrong) | _secret_forms(M.PASSWORD):
            assert secret not in out
        # The resource file changed, and nothing of it was shown (no diff, no content).
        assert "/etc/halb/notify.mailrc" in out
        assert "set mta=" not in out

        for state in ("BACKUP", "MASTER"):
            rc, took = M.notify(lb, "INSTANCE", "VI_1", state, "150")
            assert rc == 0 and took < 10, (rc, took)
        M.wait_for_failed_flush(lb, since, left=2)
        assert len(M.queued(lb)) == 2
        assert M.alerts(base, name) == []
        refused = [a for a in M.auth_attempts()[auth_base:] if not a["ok"]]
        assert refused and refused[-1]["login"] == RELAY_USER and refused[-1]["tls"]

        proc = M.playbook(APPLY_ROLE, "--diff", "-v", "--limit", lb, timeout=600)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-4000:]
        restored = True
        for secret in _secret_forms(wrong) | _secret_forms(M.PASSWORD):
            assert secret not in out
        # The role's handler sends the spool at once; the timer would too.
        M.wait_for(
            lambda: len(M.alerts(base, name)) >= 2,
            timeout=60,
            what="the spooled alerts at the relay",
        )
        assert _states(M.alerts(base, name)) == ["BACKUP", "MASTER"]
        assert M.queued(lb) == []
        _assert_in_order_exactly_once()
        journal = M.journal(lb, since)
        assert "could not send via relay.example.test:587" in journal
        for secret in _secret_forms(wrong) | _secret_forms(M.PASSWORD):
            assert secret not in journal
    finally:
        if not restored:
            M.playbook(APPLY_ROLE, "--limit", lb, timeout=600)


def test_relay_down_the_hook_returns_at_once_and_the_timer_delivers_later(mail):
    lb = M.LBS[1]
    name = M.NAMES[lb]
    since = M.now(lb)
    base = len(M.messages())
    M.sh(M.RELAY, "systemctl stop halb-relay.service")
    try:
        for state in ("FAULT", "BACKUP"):
            rc, took = M.notify(lb, "INSTANCE", "VI_1", state, "140")
            # keepalived is never held up: the hook only queues.
            assert rc == 0 and took < 10, (rc, took)
        M.wait_for_failed_flush(lb, since, left=2)
        assert len(M.queued(lb)) == 2
        assert "Connection refused" in M.journal(lb, since)
    finally:
        M.sh(M.RELAY, "systemctl start halb-relay.service")
    M.sh(
        M.RELAY,
        "for i in $(seq 1 50); do ss -ltn | grep -q ':587 ' && exit 0; sleep 0.2; done; exit 1",
    )
    # No new event: only the timer (every 15 s) can send them now.
    M.wait_for(
        lambda: len(M.alerts(base, name)) >= 2, timeout=60, what="the timer sending the spool"
    )
    assert _states(M.alerts(base, name)) == ["FAULT", "BACKUP"]
    assert M.queued(lb) == []
    _assert_in_order_exactly_once()
    _rc, log = M.sh(lb, f"journalctl --no-pager -o cat -u halb-notify-flush.timer --since @{since}")
    _rc, runs = M.sh(
        lb, f"journalctl --no-pager -o cat -u halb-notify-flush.service --since @{since}"
    )
    assert "Finished halb-notify-flush.service" in runs, runs + log


def _variant(lb, name, sed):
    """A copy of the role's settings with s-nail's settings edited by ``sed``,
    readable by the script user (the password stays on the host)."""
    directory = f"/run/halb-variant-{name}"
    M.sh(
        lb,
        f"install -d -m 0750 -o root -g {M.USER} {directory} && "
        f"sed -e {shlex.quote(sed)} /etc/halb/notify.mailrc > {directory}/notify.mailrc && "
        f"chgrp {M.USER} {directory}/notify.mailrc && chmod 0640 {directory}/notify.mailrc && "
        'python3 -c \'import json, sys; c = json.load(open("/etc/halb/notify.json")); '
        'c["mailrc"] = sys.argv[1] + "/notify.mailrc"; c["relay"] = sys.argv[2]; '
        'json.dump(c, open(sys.argv[1] + "/notify.json", "w"))\' '
        f"{directory} {name} && chgrp {M.USER} {directory}/notify.json && "
        f"chmod 0640 {directory}/notify.json",
    )
    return f"{directory}/notify.json"


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(mail):
    lb = M.LBS[0]
    base = len(M.messages())
    auth_base = len(M.auth_attempts())
    try:
        # The impostor on :2587 carries relay.example.test, signed by another CA.
        config = _variant(lb, "impostor", "s/:587'$/:2587'/")
        rc, out = M.sh(lb, f"{M.PROGRAM} --config {config} --test", check=False)
        assert rc == 1, out
        assert "test message NOT sent via impostor" in out, out
        assert "certificate" in out.lower(), out
        assert M.messages()[base:] == []
        # The password never reached it: no AUTH on that listener.
        assert [a for a in M.auth_attempts()[auth_base:] if a["listener"] == "starttls:2587"] == []

        # Control: the real relay's implicit-TLS port with the same settings works.
        config = _variant(
            lb, "tls465", "s#submission://#submissions://#; s/:587'$/:465'/; /smtp-use-starttls/d"
        )
        rc, out = M.sh(lb, f"{M.PROGRAM} --config {config} --test", check=False)
        assert rc == 0, out
        received = M.messages()[base:]
        assert len(received) == 1 and received[0]["listener"] == "tls:465"
        assert received[0]["authenticated"] and received[0]["login"] == RELAY_USER
        assert received[0]["subject"].startswith(f"{M.NAMES[lb]}: test message from halb-notify")
    finally:
        M.sh(lb, "rm -rf /run/halb-variant-impostor /run/halb-variant-tls465")


def test_the_timer_and_the_path_unit_run_the_flush_as_the_script_user(mail):
    for lb in M.LBS:
        for unit in ("halb-notify-flush.timer", "halb-notify-flush.path"):
            _rc, out = M.sh(lb, f"systemctl is-enabled {unit}; systemctl is-active {unit}")
            assert out.split() == ["enabled", "active"], (unit, out)
        _rc, out = M.sh(
            lb, "systemctl show -p User -p Group -p Type --value halb-notify-flush.service"
        )
        assert out.split() == ["oneshot", M.USER, M.USER], out
        _rc, out = M.sh(lb, "systemctl show -p TimersMonotonic --value halb-notify-flush.timer")
        assert "15s" in out, out
        _rc, out = M.sh(lb, f"stat -c '%a %U %G %F' {M.SPOOL} {M.PROGRAM} /usr/local/libexec/halb")
        assert out.splitlines() == [
            f"700 {M.USER} {M.USER} directory",
            "755 root root regular file",
            "755 root root directory",
        ], out


def test_the_hosts_carry_their_meaningful_names(mail):
    for lb in M.LBS:
        _rc, out = M.sh(lb, "hostname; cat /etc/hostname")
        assert out.split() == [M.NAMES[lb], M.NAMES[lb]], out


@pytest.mark.parametrize("bad", [["INSTANCE", "VI_1", "MASTER"], []])
def test_the_hook_refuses_a_call_without_the_four_arguments(mail, bad):
    rc, took = M.notify(M.LBS[0], *bad)
    assert rc == 2 and took < 10
