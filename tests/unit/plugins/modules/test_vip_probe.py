"""The vip_probe module, run as Ansible runs it (a subprocess with JSON
arguments), against real HTTP servers on 127.0.0.1 that the tests start,
break and stop. Outages are made by closing the listening socket (connection
refused), by answering 503 and by answering too late (timeout). The tests
wait for events (requests seen by a server), never for a time, and assert
the figures with generous bounds."""

from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from .runner import run_module

WAIT = 20.0  # upper bound of every wait for an event; never reached when all is well
# The probe's own per-request timeout in the tests that count answers: a
# request the server saw is answered unless the machine stalls this long. With
# the module's default (0.5 s), one late answer under load was counted as a
# timeout and a test that had waited for 20 requests found 19 answers.
PATIENT = 5.0


class Responder(http.server.ThreadingHTTPServer):
    """A whoami-like server on 127.0.0.1: answers "<name>\\n" (and X-Served-By),
    or a status, or too late, as ``mode`` says. Counts the requests it saw."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name, port=0):
        self.name = name
        self.mode = "ok"
        self.seen = 0
        self.stalls = {}  # request number -> seconds its answer is held back (a loaded machine)
        self.release = threading.Event()  # ends the "slow" answers at shutdown
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def wait_seen(self, count):
        """Wait (bounded) until the server saw ``count`` more requests."""
        with self.lock:
            target = self.seen + count
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self.lock:
                if self.seen >= target:
                    return
            time.sleep(0.01)
        raise AssertionError(f"{self.name}: fewer than {count} requests within {WAIT}s")

    def stop(self):
        self.release.set()
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=WAIT)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        server = self.server
        with server.lock:
            server.seen += 1
            stall = server.stalls.get(server.seen, 0)
        time.sleep(stall)
        if server.mode == "slow":
            server.release.wait(timeout=2.0)
        if server.mode == "503":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = f"{server.name}\nsecond line\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Served-By", f"hdr-{server.name}")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def servers():
    started = []

    def start(name, port=0):
        server = Responder(name, port)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.thread.is_alive():
            server.stop()


class Background:
    """The module running in a thread (it is a subprocess of that thread)."""

    def __init__(self, tmp_path, args, check_mode=False):
        self.result = None
        self.thread = threading.Thread(
            target=self._run, args=(tmp_path, args, check_mode), daemon=True
        )
        self.thread.start()

    def _run(self, tmp_path, args, check_mode):
        self.result = run_module("vip_probe", args, tmp_path, check_mode=check_mode)

    def join(self):
        self.thread.join(timeout=120)
        assert self.result is not None, "the module did not finish"
        return self.result


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_steady_server_no_failure(tmp_path, servers):
    server = servers("node-a")
    result = run_module(
        "vip_probe", {"url": server.url, "duration": 1.0, "timeout": PATIENT}, tmp_path
    )
    assert result["changed"] is False
    assert result["failed_requests"] == 0, result
    assert result["requests"] == result["ok_requests"] >= 10
    assert result["longest_outage"] == 0.0
    assert result["outages"] == []
    assert result["answers"] == {"node-a": result["ok_requests"]}
    assert result["first_answer"] == result["last_answer"] == "node-a"
    assert result["failures"] == {}
    assert 0.9 <= result["elapsed"] < 5
    assert abs(result["started_at"] - time.time()) < 60
    assert "started" not in result and "finished" not in result  # async_status reads those


@pytest.mark.parametrize("stall", [0.0, 0.7], ids=["prompt", "last-answer-late"])
def test_refused_outage_then_another_node(tmp_path, servers, stall):
    """node-a answers, goes away (refused), node-b takes its port: one closed
    outage between the two, both answers counted."""
    first = servers("node-a")
    first.stalls[20] = stall
    port = first.server_address[1]
    probe = Background(
        tmp_path, {"url": first.url, "duration": 6.0, "interval": 0.01, "timeout": PATIENT}
    )
    first.wait_seen(20)
    first.stop()
    time.sleep(stall + 0.5)  # the late answer, then the outage to be measured (not an assertion)
    second = servers("node-b", port)
    second.wait_seen(20)
    result = probe.join()
    assert result["answers"]["node-a"] >= 20, result
    assert result["answers"]["node-b"] >= 20, result
    assert result["first_answer"] == "node-a"
    assert result["last_answer"] == "node-b"
    assert result["failures"].get("connection refused", 0) >= 1, result["failures"]
    assert result["failed_requests"] == sum(result["failures"].values())
    assert result["requests"] == result["ok_requests"] + result["failed_requests"]
    closed = [o for o in result["outages"] if not o["open"]]
    assert len(closed) >= 1 and not any(o["open"] for o in result["outages"])
    assert 0.3 <= result["longest_outage"] <= 5.5, result["outages"]
    longest = max(result["outages"], key=lambda o: o["duration"])
    assert longest["end"] > longest["start"] >= 0
    assert longest["failed"] >= 1
    assert sum(o["failed"] for o in result["outages"]) == result["failed_requests"]


def test_http_status_is_a_failure(tmp_path, servers):
    server = servers("node-a")
    server.stalls[15] = 0.7  # one late 503 is still a 503, not a timeout
    probe = Background(
        tmp_path, {"url": server.url, "duration": 4.0, "interval": 0.01, "timeout": PATIENT}
    )
    server.wait_seen(10)
    server.mode = "503"
    server.wait_seen(10)
    server.mode = "ok"
    server.wait_seen(10)
    result = probe.join()
    assert result["failures"] == {"HTTP 503": result["failed_requests"]}, result["failures"]
    assert result["failed_requests"] >= 10
    assert result["answers"] == {"node-a": result["ok_requests"]}
    assert result["ok_requests"] >= 20
    assert result["last_answer"] == "node-a"
    assert result["outages"] and not result["outages"][-1]["open"]
    assert 0.0 < result["longest_outage"] < 4.0


def test_an_answer_later_than_the_timeout_is_a_failure(tmp_path, servers):
    """The server holds its answers back until released: the probe gives up on
    the first one (its second request can only come after that), then counts
    answers again once the server answers."""
    server = servers("node-a")
    probe = Background(
        tmp_path, {"url": server.url, "duration": 4.0, "interval": 0.01, "timeout": 0.3}
    )
    server.wait_seen(10)
    server.mode = "slow"
    server.wait_seen(2)
    server.mode = "ok"
    server.release.set()
    server.wait_seen(10)
    result = probe.join()
    assert result["failures"].get("timeout", 0) >= 1, result["failures"]
    assert result["answers"] == {"node-a": result["ok_requests"]}
    assert result["last_answer"] == "node-a"
    assert result["outages"] and 0.0 < result["longest_outage"] < 4.0


def test_outage_still_open_at_the_end(tmp_path, servers):
    server = servers("node-a")
    probe = Background(
        tmp_path, {"url": server.url, "duration": 2.0, "interval": 0.01, "timeout": PATIENT}
    )
    server.wait_seen(10)
    server.stop()
    result = probe.join()
    assert result["outages"][-1]["open"] is True
    assert result["outages"][-1]["end"] == result["elapsed"]
    assert result["longest_outage"] > 0
    assert result["ok_requests"] >= 10 and result["failed_requests"] >= 1


def test_nothing_listening(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    result = run_module("vip_probe", {"url": url, "duration": 0.5, "interval": 0.05}, tmp_path)
    assert result["ok_requests"] == 0 and result["failed_requests"] == result["requests"] >= 2
    assert list(result["failures"]) == ["connection refused"]
    assert len(result["outages"]) == 1 and result["outages"][0]["open"] is True
    assert result["outages"][0]["start"] < 0.1
    assert result["answers"] == {} and result["first_answer"] == ""


def test_answer_from_header_and_truncated(tmp_path, servers):
    server = servers("node-a")
    result = run_module(
        "vip_probe",
        {
            "url": server.url,
            "duration": 0.3,
            "timeout": PATIENT,
            "answer_header": "X-Served-By",
            "answer_max_length": 5,
        },
        tmp_path,
    )
    assert result["failed_requests"] == 0
    assert list(result["answers"]) == ["hdr-n"]


def test_check_mode_sends_nothing(tmp_path, servers):
    server = servers("node-a")
    result = run_module("vip_probe", {"url": server.url, "duration": 5}, tmp_path, check_mode=True)
    assert result["changed"] is False
    assert result["requests"] == 0
    assert "check mode" in result["msg"]
    assert server.seen == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"url": "https://127.0.0.1/"}, "must start with http://"),
        ({"url": "127.0.0.1:80"}, "must start with http://"),
        ({"url": "http:///path"}, "names no host"),
        ({"url": "http://127.0.0.1:99999/"}, "not a valid URL"),
        ({"url": "http://u:p@127.0.0.1/"}, "credentials"),
        ({"url": "http://127.0.0.1/", "duration": 0}, "duration"),
        ({"url": "http://127.0.0.1/", "duration": 601}, "duration"),
        ({"url": "http://127.0.0.1/", "interval": -1}, "interval"),
        ({"url": "http://127.0.0.1/", "timeout": 0}, "timeout"),
        ({"url": "http://127.0.0.1/", "timeout": 31}, "timeout"),
        ({"url": "http://127.0.0.1/", "expect_status": []}, "expect_status"),
        ({"url": "http://127.0.0.1/", "expect_status": [700]}, "expect_status"),
        ({"url": "http://127.0.0.1/", "answer_max_length": 0}, "answer_max_length"),
    ],
)
def test_bad_values_are_refused(tmp_path, args, message):
    result = run_module("vip_probe", args, tmp_path)
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert "requests" not in result
