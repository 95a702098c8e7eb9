"""The open-loop client against real servers on loopback."""

from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest
from halb_bench.client import OpenLoopClient


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b"ok\n"
        self.send_response(type(self).status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (_Handler,), {"status": 200})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, handler
    httpd.shutdown()
    httpd.server_close()


def test_a_request_every_interval_all_answered(server):
    httpd, _handler = server
    port = httpd.server_address[1]
    with OpenLoopClient("127.0.0.1", port, interval=0.02, timeout=1.0) as client:
        time.sleep(0.5)
    assert 20 <= len(client.records) <= 30, len(client.records)
    assert all(ok for _sent, ok, _took, _reason in client.records)
    sent = [r[0] for r in sorted(client.records)]
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert max(gaps) < 0.2


def test_http_errors_refusals_and_hangs_are_failures_with_reasons(server):
    httpd, handler = server
    handler.status = 503
    with OpenLoopClient("127.0.0.1", httpd.server_address[1], interval=0.05, timeout=1.0) as client:
        time.sleep(0.3)
    assert client.records and not any(r[1] for r in client.records)
    assert {r[3] for r in client.records} == {"HTTP/1.0 503 Service Unavailable"}

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with OpenLoopClient("127.0.0.1", port, interval=0.05, timeout=1.0) as client:
        time.sleep(0.2)
    assert {r[3] for r in client.records} == {"ConnectionRefusedError"}

    # A listener that never answers: every request times out, yet requests
    # keep being sent every interval (open loop).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(128)
    try:
        with OpenLoopClient(
            "127.0.0.1", silent.getsockname()[1], interval=0.05, timeout=0.3
        ) as client:
            time.sleep(0.6)
    finally:
        silent.close()
    assert len(client.records) >= 8
    assert {r[3] for r in client.records} == {"timeout"}
    assert all(0.25 <= r[2] <= 1.0 for r in client.records)


def test_between_selects_by_send_time(server):
    httpd, _handler = server
    with OpenLoopClient("127.0.0.1", httpd.server_address[1], interval=0.02) as client:
        time.sleep(0.3)
    records = sorted(client.records)
    middle = records[len(records) // 2][0]
    assert client.between(middle, records[-1][0])[0][0] == middle
    assert len(client.between(0, middle)) + len(client.between(middle, 1e12)) == len(records) + 1
