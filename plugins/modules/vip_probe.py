#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vip_probe
short_description: Measure what clients of a virtual IP see during a fail-over
version_added: 0.1.0
description:
  - Sends HTTP GET requests to O(url) for O(duration) seconds, one every
    O(interval) seconds, each on a NEW TCP connection (so that every request
    goes through ARP, the VIP's current holder and a fresh accept, like a new
    client would), and reports how many failed, the longest outage, every
    outage window, which node answered how often and why requests failed.
  - Meant to run on the controller (C(delegate_to=localhost)) with C(async)
    and C(poll=0) while a fault is injected on the node holding the VIP; the
    C(halb.cluster.failover_drill) playbook does exactly that.
  - An outage starts with the first failed request of a run of failures and
    ends with the first successful request after it (both measured at the
    moment the request was started). An outage still open when the probe ends
    is reported with C(open=true) and ends at the end of the probe.
  - Only the Python standard library is used. The module changes nothing
    (C(changed) is always false); in check mode it sends no request at all.
author:
  - halb.cluster contributors (!UNKNOWN)
attributes:
  check_mode:
    support: full
    details: In check mode no request is sent; the result has no measurements.
  diff_mode:
    support: none
    details: Changes nothing, so there is nothing to show.
  platform:
    platforms: posix
options:
  url:
    description:
      - The C(http://) URL to request, for example C(http://192.0.2.10:80/)
        or C(http://[2001:db8::10]/). HTTPS is not supported.
    type: str
    required: true
  duration:
    description: How long the probe runs, in seconds (more than 0, at most 600).
    type: float
    default: 10
  interval:
    description:
      - Seconds between the starts of two requests (0 to 60). A request that
        takes longer than this delays the next one; requests never overlap.
    type: float
    default: 0.01
  timeout:
    description:
      - Seconds a request may take (more than 0, at most 30). The connection,
        the request and the response share this budget; a request that runs
        out of it counts as failed with the reason C(timeout).
    type: float
    default: 0.5
  expect_status:
    description: HTTP status codes that count as a success; any other is a failure C(HTTP <code>).
    type: list
    elements: int
    default: [200]
  answer_header:
    description:
      - Name of a response header that says which node answered (for example
        C(X-Served-By)). Without it, the first line of the response body is used.
    type: str
  answer_max_length:
    description: Answers are cut to this many characters before they are counted (1 to 200).
    type: int
    default: 64
notes:
  - The figures are what one client on the controller sees, with the
    granularity of O(interval) plus the time a request takes; they are
    measurements of one run, not guarantees.
  - Each request uses a new connection with the header C(Connection=close); keep-alive
    clients may see fewer or more failures than this.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Probe the VIP while the drill breaks its holder
  halb.cluster.vip_probe:
    url: http://192.0.2.10:80/
    duration: 20
    interval: 0.01
    timeout: 0.5
  delegate_to: localhost
  run_once: true
  async: 80
  poll: 0
  register: probe_job

- name: Collect the probe's figures
  ansible.builtin.async_status:
    jid: "{{ probe_job.ansible_job_id }}"
  delegate_to: localhost
  run_once: true
  register: probe
  until: probe.finished
  retries: 60
  delay: 1

- name: Count which backend answered, from a header
  halb.cluster.vip_probe:
    url: http://192.0.2.10/health
    duration: 5
    answer_header: X-Served-By
  delegate_to: localhost
"""

RETURN = r"""
url:
  description: The URL probed.
  returned: always
  type: str
started_at:
  description:
    - When the probe started, in seconds since the epoch (the controller's clock).
    - Not called C(started), which C(async_status) reads as "the job is still running".
  returned: always
  type: float
elapsed:
  description: How long the probe ran, in seconds.
  returned: always
  type: float
requests:
  description: Requests sent.
  returned: always
  type: int
ok_requests:
  description: Requests that got an expected status.
  returned: always
  type: int
failed_requests:
  description:
    - Requests that failed (no connection, timeout, unexpected status, broken answer).
    - Not called C(failed), which Ansible would read as the task's own failure.
  returned: always
  type: int
longest_outage:
  description: The longest outage in seconds (0 when no request failed).
  returned: always
  type: float
outages:
  description:
    - Every run of failed requests, oldest first. C(start) and C(end) are
      seconds from the start of the probe; C(open) is true when the probe
      ended during the outage.
  returned: always
  type: list
  elements: dict
  sample:
    - {start: 2.013, end: 4.871, duration: 2.858, failed: 131, open: false}
answers:
  description: How often each answer (O(answer_header) or the body's first line) was seen on successful requests.
  returned: always
  type: dict
  sample: {halb-lb1: 180, halb-lb2: 1502}
first_answer:
  description: The answer of the first successful request.
  returned: always
  type: str
last_answer:
  description: The answer of the last successful request.
  returned: always
  type: str
failures:
  description:
    - How often each failure reason was seen, for example C(connection
      refused), C(timeout), C(no route to host), C(connection reset),
      C(HTTP 503).
  returned: always
  type: dict
  sample: {connection refused: 120, timeout: 3}
"""

import errno
import http.client
import socket
import time
import urllib.parse

from ansible.module_utils.basic import AnsibleModule

MAX_DURATION = 600.0
MAX_INTERVAL = 60.0
MAX_TIMEOUT = 30.0
READ_LIMIT = 65536

_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "timeout",
    errno.EPIPE: "connection reset",
    errno.EADDRNOTAVAIL: "address not available",
}


class ProbeArgumentError(ValueError):
    """A parameter the probe cannot work with."""


def parse_url(url):
    """(host, port, path) of an http:// URL, or ProbeArgumentError."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ProbeArgumentError(f"url: {url!r} is not a valid URL ({exc})") from None
    if parts.scheme != "http":
        raise ProbeArgumentError(
            f"url: {url!r} must start with http:// (got scheme {parts.scheme!r})"
        )
    if not parts.hostname:
        raise ProbeArgumentError(f"url: {url!r} names no host")
    if parts.username or parts.password:
        raise ProbeArgumentError("url: credentials in the URL are not supported")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, port or 80, path


def check_values(duration, interval, timeout, answer_max_length, expect_status):
    if not 0 < duration <= MAX_DURATION:
        raise ProbeArgumentError(
            f"duration: {duration} must be more than 0 and at most {MAX_DURATION:g} seconds"
        )
    if not 0 <= interval <= MAX_INTERVAL:
        raise ProbeArgumentError(
            f"interval: {interval} must be between 0 and {MAX_INTERVAL:g} seconds"
        )
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ProbeArgumentError(
            f"timeout: {timeout} must be more than 0 and at most {MAX_TIMEOUT:g} seconds"
        )
    if not 1 <= answer_max_length <= 200:
        raise ProbeArgumentError(
            f"answer_max_length: {answer_max_length} must be between 1 and 200"
        )
    if not expect_status:
        raise ProbeArgumentError("expect_status: give at least one HTTP status code")
    for code in expect_status:
        if not 100 <= code <= 599:
            raise ProbeArgumentError(f"expect_status: {code} is not an HTTP status code (100-599)")


def failure_reason(exc):
    """A short, countable reason for a failed request."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "closed without answer"
    if isinstance(exc, http.client.HTTPException):
        return f"bad answer ({type(exc).__name__})"
    if isinstance(exc, socket.gaierror):
        return "name not resolved"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_REASONS:
        return _ERRNO_REASONS[exc.errno]
    if isinstance(exc, OSError) and exc.errno:
        return f"error {errno.errorcode.get(exc.errno, exc.errno)}"
    return type(exc).__name__


class _DeadlineConnection(http.client.HTTPConnection):
    """An HTTPConnection whose socket timeout shrinks to what is left of the
    request's budget before every read, so one request never takes much longer
    than its timeout."""

    def __init__(self, host, port, deadline):
        super().__init__(host, port, timeout=max(deadline - time.monotonic(), 0.001))
        self.deadline = deadline

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request timeout")
        return left


def one_request(host, port, path, timeout, expect_status, answer_header, max_length):
    """Send one GET on a new connection. Returns (ok, answer or reason)."""
    deadline = time.monotonic() + timeout
    conn = _DeadlineConnection(host, port, deadline)
    try:
        conn.request(
            "GET",
            path,
            headers={"Connection": "close", "User-Agent": "halb.cluster.vip_probe"},
        )
        sock = conn.sock  # getresponse() drops conn.sock when the server closes
        sock.settimeout(conn.remaining())
        response = conn.getresponse()
        if response.status not in expect_status:
            return False, f"HTTP {response.status}"
        if answer_header:
            answer = response.getheader(answer_header) or f"(no {answer_header} header)"
        else:
            body = b""
            while b"\n" not in body and len(body) < READ_LIMIT:
                sock.settimeout(conn.remaining())
                chunk = response.read1(READ_LIMIT - len(body))
                if not chunk:
                    break
                body += chunk
            answer = body.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        return True, (answer[:max_length] if answer else "(empty)")
    except Exception as exc:  # every failure is a figure, never a crash
        return False, failure_reason(exc)
    finally:
        conn.close()


def probe(url, duration, interval, timeout, expect_status, answer_header=None, max_length=64):
    """Run the probe; return the result dictionary (see RETURN)."""
    host, port, path = parse_url(url)
    expect = set(expect_status)
    started_wall = time.time()
    start = time.monotonic()
    end = start + duration
    requests = ok = failed = 0
    answers, failures, outages = {}, {}, []
    first_answer = last_answer = ""
    current = None  # the open outage
    next_at = start
    # Bounded twice: by time, and by a count no probe can reach.
    max_requests = int(duration / max(interval, 0.0005)) + 10
    while requests < max_requests:
        now = time.monotonic()
        if now >= end:
            break
        if next_at > now:
            time.sleep(min(next_at - now, end - now))
            continue
        sent_at = time.monotonic()
        next_at = sent_at + interval
        success, what = one_request(host, port, path, timeout, expect, answer_header, max_length)
        requests += 1
        offset = round(sent_at - start, 3)
        if success:
            ok += 1
            answers[what] = answers.get(what, 0) + 1
            first_answer = first_answer or what
            last_answer = what
            if current is not None:
                current.update(end=offset, duration=round(offset - current["start"], 3))
                outages.append(current)
                current = None
        else:
            failed += 1
            failures[what] = failures.get(what, 0) + 1
            if current is None:
                current = {
                    "start": offset,
                    "end": None,
                    "duration": 0.0,
                    "failed": 0,
                    "open": False,
                }
            current["failed"] += 1
    elapsed = round(time.monotonic() - start, 3)
    if current is not None:
        current.update(end=elapsed, duration=round(elapsed - current["start"], 3), open=True)
        outages.append(current)
    return {
        "url": url,
        "started_at": round(started_wall, 3),
        "elapsed": elapsed,
        "requests": requests,
        "ok_requests": ok,
        "failed_requests": failed,
        "longest_outage": max((o["duration"] for o in outages), default=0.0),
        "outages": outages,
        "answers": answers,
        "first_answer": first_answer,
        "last_answer": last_answer,
        "failures": failures,
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "required": True},
            "duration": {"type": "float", "default": 10.0},
            "interval": {"type": "float", "default": 0.01},
            "timeout": {"type": "float", "default": 0.5},
            "expect_status": {"type": "list", "elements": "int", "default": [200]},
            "answer_header": {"type": "str"},
            "answer_max_length": {"type": "int", "default": 64},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        parse_url(p["url"])
        check_values(
            p["duration"], p["interval"], p["timeout"], p["answer_max_length"], p["expect_status"]
        )
    except ProbeArgumentError as exc:
        module.fail_json(msg=str(exc))
    if module.check_mode:
        module.exit_json(
            changed=False,
            skipped=True,
            msg="check mode: no request sent, nothing measured",
            url=p["url"],
            elapsed=0.0,
            requests=0,
            ok_requests=0,
            failed_requests=0,
            longest_outage=0.0,
            outages=[],
            answers={},
            failures={},
        )
    result = probe(
        p["url"],
        p["duration"],
        p["interval"],
        p["timeout"],
        p["expect_status"],
        p["answer_header"],
        p["answer_max_length"],
    )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
