"""Helpers for the verify step of the haproxy scenario: real traffic from the
controller (the gateway of the scenario's network) to the load balancer, the
runtime API through docker exec. Every loop is bounded in time.
"""

from __future__ import annotations

import base64
import csv
import http.client
import io
import os
import socket
import ssl
import threading
import time

# Re-exported: the tests call them through this module.
from halb_common import container, sh, wait_for  # noqa: F401 # pylint: disable=unused-import

LB = os.environ["HALB_LB"]
LB_ADDRESS = os.environ["HALB_LB_ADDRESS"]
WEBS = os.environ["HALB_WEBS"].split(",")
STATS_PASSWORD = os.environ["HALB_STATS_PASSWORD"]
PKI = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
SOCKET = "/run/haproxy/admin.sock"


def api(command):
    """A runtime API command on the load balancer's admin socket."""
    return sh(LB, f"echo {command!r} | socat -t 5 stdio unix-connect:{SOCKET}")[1]


def stat(backend, server):
    """The `show stat` row of one server, as a dict (status, check_status ...)."""
    text = api("show stat").lstrip("# ")
    for row in csv.DictReader(io.StringIO(text)):
        if row["pxname"] == backend and row["svname"] == server:
            return row
    raise AssertionError(f"{backend}/{server} not in show stat")


def worker_pid():
    """The PID of the current worker (changes on every reload)."""
    for line in api("show info").splitlines():
        if line.startswith("Pid:"):
            return int(line.split()[1])
    raise AssertionError("show info has no Pid")


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to LB_ADDRESS with ``host`` as SNI and Host (curl --resolve)."""

    def connect(self):
        sock = socket.create_connection((LB_ADDRESS, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def tls_context(ca=True):
    context = ssl.create_default_context(cafile=os.path.join(PKI, "ca.pem") if ca else None)
    return context


def request(
    host="app.example.test",
    path="/",
    port=80,
    tls=False,
    method="GET",
    body=None,
    auth=None,
    address=None,
    timeout=10.0,
    context=None,
):
    """One request on a new connection; returns (status, headers, body text)."""
    headers = {"Host": host, "Connection": "close"}
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if tls:
        conn = _TLSConnection(host, port, timeout=timeout, context=context or tls_context())
    else:
        conn = http.client.HTTPConnection(address or LB_ADDRESS, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return (
            response.status,
            dict(response.getheaders()),
            response.read().decode(errors="replace"),
        )
    finally:
        conn.close()


class Stream:
    """Requests in a loop on fresh connections until stopped; counts every failure.

    Use as a context manager; at most ``limit`` seconds in any case.
    """

    def __init__(self, host="app.example.test", limit=120.0, threads=2):
        self.host = host
        self.limit = limit
        self.ok = 0
        self.failures = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, daemon=True) for _thread in range(threads)
        ]

    def _run(self):
        deadline = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                status, _headers, body = request(self.host, timeout=10.0)
                good = status == 200 and body.strip() in WEBS
                error = None if good else f"{status} {body[:80]!r}"
            except OSError as exc:  # refused, reset, timeout
                error = repr(exc)
            with self._lock:
                if error is None:
                    self.ok += 1
                else:
                    self.failures.append(error)
            time.sleep(0.01)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return False
