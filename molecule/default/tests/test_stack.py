"""The whole stack end to end, with real traffic from the controller.

site.yml deployed rsyslog, HAProxy, mailx_notify, keepalived and firewalld on
the pair; nginx web1/web2 and the SMTP relay run next to it. The controller
(the docker network's gateway) sends HTTP to the VIP, as a client would, and
faults are injected with docker exec / the docker SDK. Every wait is bounded;
the `pair` fixture puts the pair back after each test, also on failure.
"""

from __future__ import annotations

import base64
import collections
import os
import pathlib
import re
import ssl
import time
import urllib.error
import urllib.request
import uuid

import halb_mail as mail
from halb_common import playbook, wait_for

VIP = os.environ["HALB_VIP"]
WEB_NAMES = os.environ["HALB_WEB_NAMES"].split(",")
# The pair (the trixie scenario runs some of these tests with its own names).
LBS = os.environ["HALB_LBS"].split(",")
SECRETS = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "secrets"
LOG_DIR = "/var/log/haproxy"


def get(url, timeout=2.0, auth=None, insecure=False):
    """(status, body) of one request with a NEW connection; (None, reason) on failure."""
    request = urllib.request.Request(url)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    context = None
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        return None, str(exc)


def served_by(timeout=2.0):
    """The web server that answered a request to the VIP, or None."""
    status, body = get(f"http://{VIP}/", timeout=timeout)
    return body.strip() if status == 200 else None


def vip_serves():
    return served_by(timeout=1.0) in WEB_NAMES


def stats_password():
    return (SECRETS / "stats-password").read_text().strip()


def alert_subjects(since):
    return [m["subject"] for m in mail.alerts(since)]


# --- traffic -----------------------------------------------------------------


def test_requests_to_the_vip_are_spread_over_both_web_servers(pair):
    pair.normal_holder()
    answers = collections.Counter(served_by() for _request in range(20))
    # Round robin over two healthy servers: 10 each; allow for a retry.
    assert set(answers) == set(WEB_NAMES), answers
    assert min(answers.values()) >= 8, answers


def test_https_on_the_vip_answers_with_the_self_signed_certificate(pair):
    pair.normal_holder()
    seen = {get(f"https://{VIP}/", insecure=True)[1].strip() for _request in range(6)}
    assert seen == set(WEB_NAMES)
    # Verified against the system's CAs it is refused: it is a lab certificate.
    status, reason = get(f"https://{VIP}/")
    assert status is None and "CERTIFICATE_VERIFY_FAILED" in reason


def test_the_stats_page_wants_the_password_and_shows_both_servers_up(pair):
    pair.normal_holder()
    status, _body = get(f"http://{VIP}:8404/stats")
    assert status == 401
    status, csv = get(f"http://{VIP}:8404/stats;csv", auth=("admin", stats_password()))
    assert status == 200
    rows = {line.split(",")[1]: line.split(",")[17] for line in csv.splitlines()[1:] if line}
    assert rows.get("web1") == "UP" and rows.get("web2") == "UP", rows


def test_haproxy_log_lines_land_in_the_rsyslog_files(pair, nodes):
    holder = pair.normal_holder()
    marker = f"/halb-e2e-{uuid.uuid4().hex}"
    status, _body = get(f"http://{VIP}{marker}")
    assert status == 404  # nginx's answer, through HAProxy

    def logged():
        return nodes[holder].run(f"grep -F {marker} {LOG_DIR}/info.log").rc == 0

    wait_for(logged, timeout=30, what=f"{marker} in {holder}:{LOG_DIR}/info.log")
    line = nodes[holder].check_output(f"grep -F {marker} {LOG_DIR}/info.log")
    assert "fe_web be_web/web" in line and " 404 " in line
    # Only on loopback: rsyslog listens on 127.0.0.1:514, nowhere else.
    listeners = nodes[holder].check_output("ss -Hulnp 'sport = :514'")
    assert "127.0.0.1:514" in listeners and "0.0.0.0:514" not in listeners


# --- fail-over ---------------------------------------------------------------


def test_stopping_haproxy_on_the_master_moves_the_vip_and_mails_the_alert(pair):
    holder = pair.normal_holder()
    backup = pair.other(holder)
    since = len(mail.messages())
    pair.sh(holder, "systemctl stop haproxy.service")
    # HAProxy's unit wrote 1 into the track file keepalived watches.
    assert pair.sh(holder, "cat /run/halb/haproxy-down")[1].strip() == "1"
    pair.settled_holder(timeout=30, expect=backup)
    wait_for(vip_serves, timeout=30, what="the VIP to serve again from the backup")
    wanted = f"{mail.NAMES[backup]}: VI_WEB is now MASTER"
    wait_for(
        lambda: any(s.startswith(wanted) for s in alert_subjects(since)),
        timeout=90,
        interval=1,
        what=f"the alert {wanted!r} at the relay",
    )
    # Back: HAProxy starts, the file says 0, lb1 takes the VIP back (preemption).
    pair.sh(holder, "systemctl start haproxy.service")
    assert pair.sh(holder, "cat /run/halb/haproxy-down")[1].strip() == "0"
    pair.settled_holder(timeout=30, expect=holder)
    wait_for(vip_serves, timeout=30, what="the VIP to serve again from the master")


def test_killing_haproxy_moves_the_vip_through_the_track_file(pair):
    """SIGKILL: no clean stop. systemd notices at once and the unit's stop hook
    writes the track file, so keepalived acts before its periodic check runs."""
    holder = pair.normal_holder()
    backup = pair.other(holder)
    stamp = mail.now(holder)
    pair.sh(holder, "systemctl kill --signal=SIGKILL haproxy.service")
    # systemd restarts HAProxy 100 ms later and the file says 0 again, so the
    # backup holds the VIP only until the master preempts it back (a few
    # seconds): watch for it holding the VIP, not for a stable hold.
    wait_for(
        lambda: backup in pair.holders(),
        timeout=30,
        interval=0.1,
        what=f"{backup} to take the VIP",
    )
    pair.settled_holder(timeout=60, expect=holder)
    wait_for(vip_serves, timeout=30, what="the VIP to serve again")
    log = mail.journal(holder, stamp)
    # FAULT comes from the track file (weight 0); chk_haproxy (weight -60)
    # only lowers the priority, and it noticed later, if at all.
    fault = log.find("(VI_WEB) Entering FAULT STATE")
    script = log.find("Script `chk_haproxy` now returning")
    assert fault != -1, log[-3000:]
    assert script == -1 or fault < script, log[-3000:]


def test_pausing_the_master_moves_the_vip_and_preemption_brings_it_back(pair):
    holder = pair.normal_holder()
    backup = pair.other(holder)
    pair.container(holder).pause()
    pair.settled_holder(timeout=30, skip=(holder,), expect=backup)
    wait_for(vip_serves, timeout=30, what="the VIP to serve again from the backup")
    pair.container(holder).unpause()
    # Preemption (the default): the master takes the VIP back once it is heard again.
    pair.settled_holder(timeout=60, expect=holder)
    # Once settled, never two holders.
    assert pair.never_two_holders(8) == 1
    wait_for(vip_serves, timeout=30, what="the VIP to serve again from the master")


def test_the_failover_drill_reports_the_outage(pair):
    pair.normal_holder()
    drill = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "playbooks/failover_drill.yml"
    started = time.monotonic()
    proc = playbook(drill, "-e", "drill_fault=stop_haproxy", timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    # The figures, printed by the drill: the VIP moved to lb2, the alert left.
    figures = proc.stdout[proc.stdout.index("The figures") :]
    master, backup = LBS
    assert f'"from": "{master}"' in figures, figures
    assert f'"to": "{backup}"' in figures, figures
    assert re.search(r"\"alert_delivered\": \"yes\"", figures), figures
    # Preemption: once lb1 is back at full priority it takes the VIP back, and
    # the drill waits for that before it says who holds the VIP.
    assert re.search(r"\"restored_host_at_full_priority\": true", figures), figures
    assert f'"holder_after_restore": "{master}"' in figures, figures
    outage = float(re.search(r"\"outage_s\": \"?([0-9.]+)", figures).group(1))
    assert 0 <= outage < 30, figures
    assert time.monotonic() - started < 600
    pair.normal_holder()
