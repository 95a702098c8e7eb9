"""halb_common.SteadyLoad, the Molecule verifiers' client, against real HTTP
servers on 127.0.0.1 that stop answering for a while: ``shared_with`` tells
the failures a control client saw at the same time (the web servers or the
machine stalled) from the failures only the client under test saw (the
pair's). The rolling restart's test relies on it since a CI-equivalent run
of 2026-12-06 lost every request for 4 s at no VIP move."""

from __future__ import annotations

import http.server
import importlib
import pathlib
import sys
import threading
import time

import pytest

HELPERS = pathlib.Path(__file__).resolve().parents[2] / "molecule" / "shared" / "tests"
WAIT = 20.0  # bound of every wait; never reached when all is well


class Stallable(http.server.ThreadingHTTPServer):
    """Answers 200 at once, except while ``answering`` is clear: then each
    request waits (bounded) until it is set again."""

    daemon_threads = True

    def __init__(self):
        self.answering = threading.Event()
        self.answering.set()
        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def stop(self):
        self.answering.set()
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=WAIT)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.server.answering.wait(timeout=WAIT)
        try:
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")
        except OSError:  # the client gave up on this late answer
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(name="common")
def fixture_common(monkeypatch):
    monkeypatch.syspath_prepend(str(HELPERS))
    sys.modules.pop("halb_common", None)
    yield importlib.import_module("halb_common")
    sys.modules.pop("halb_common", None)


@pytest.fixture(name="servers")
def fixture_servers():
    started = [Stallable(), Stallable()]
    yield started
    for server in started:
        server.stop()


def _stall(servers, seconds):
    for server in servers:
        server.answering.clear()
    time.sleep(seconds)  # the stall itself (not a bound of any assertion)
    for server in servers:
        server.answering.set()


def _run(common, servers, stalled):
    vip, control = servers
    load = common.SteadyLoad(vip.url, timeout=0.3)
    web = common.SteadyLoad(control.url, interval=0.05, timeout=0.3)
    with load, web:
        time.sleep(0.3)
        _stall(stalled, 1.2)
        time.sleep(0.3)
    return load, web


def test_failures_while_the_control_failed_too_are_shared(common, servers):
    load, web = _run(common, servers, stalled=servers)
    assert load.failed >= 2 and web.failed >= 2, (str(load), str(web))
    assert load.requests > load.failed and web.requests > web.failed
    assert {reason for _second, reason in load.failures} == {"TimeoutError: timed out"}
    assert load.shared_with(web) == load.failures
    assert len(load.spans) == load.failed
    assert all(end - begin >= 0.25 for begin, end in load.spans), load.spans


def test_failures_the_control_did_not_see_are_not_shared(common, servers):
    load, web = _run(common, servers, stalled=servers[:1])
    assert load.failed >= 2, str(load)
    assert web.failed == 0, str(web)
    assert load.shared_with(web) == []
    assert load.shared_with() == []
