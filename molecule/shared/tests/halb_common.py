"""What every scenario's verifier needs: commands in the containers (docker
exec through the docker SDK) and ansible-playbook runs against molecule's
inventory, and the run of a scenario's bad_inputs.yml. Imported by the
verifiers of every scenario."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import time
import uuid

import docker
import yaml

_client = None


def container(name):
    global _client
    if _client is None:
        _client = docker.from_env(timeout=30)
    return _client.containers.get(name)


# Where sh() keeps each command's output in the container (a tmpfs) until it
# has been read whole; files older than two minutes go with a later call.
EXEC_DIR = "/run/halb-exec"
EXEC_READS = 3


def sh(name, command, check=True):
    """Run a shell command in a container (docker exec); return (rc, output).

    A docker exec can lose its output: the command ran and exited 0, but the
    stream came back empty (docker/docker-py#2042, moby/moby#27289; seen in
    CI on 2026-12-05 under load, when a sha256sum read as nothing). So the
    command's output and exit status go to a file in the container, framed
    by markers, and the exec prints that file; when a marker is missing the
    file is read again (the command is never run twice), EXEC_READS reads at
    most. An exec that failed itself (a container going away) is returned as
    docker reported it."""
    token = uuid.uuid4().hex
    path = f"{EXEC_DIR}/{token}"
    begin, end = f"halb-exec {token} begin", f"halb-exec {token} rc="
    script = (
        f"mkdir -p {EXEC_DIR} && find {EXEC_DIR} -type f -mmin +2 -delete"
        f" && printf '%s\\n' '{begin}' >{path} || exit 125\n"
        f"( {command}\n) >>{path} 2>&1\n"
        f"printf '\\n%s%s\\n' '{end}' \"$?\" >>{path}\n"
        f"cat {path}\n"
    )
    argv = ["/bin/sh", "-c", script]
    for _read in range(EXEC_READS):
        rc, out = container(name).exec_run(argv)
        text = out.decode(errors="replace")
        framed = re.fullmatch(
            rf"{re.escape(begin)}\n(.*)\n{re.escape(end)}(\d+)\n", text, flags=re.DOTALL
        )
        if rc == 0 and framed:
            rc, text = int(framed[2]), framed[1]
            break
        if rc != 0:  # the exec failed (125: the file could not be written): as docker said
            break
        argv = ["cat", path]  # exit 0 without the frame: read what the command wrote again
    else:
        raise AssertionError(
            f"{name}: {command!r}: the output was lost {EXEC_READS} times (last: {rc}, {text!r})"
        )
    if check and rc != 0:
        raise AssertionError(f"{name}: {command!r} exited {rc}: {text}")
    return rc, text


def playbook(path, *options, timeout=900):
    """ansible-playbook ``path`` against molecule's inventory, without colour;
    returns the CompletedProcess (the caller asserts on it). The inventory is
    molecule's whole inventory directory, as molecule passes it: its
    ansible_inventory.yml, and the hosts file and group_vars a scenario links."""
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    return subprocess.run(
        ["ansible-playbook", *options, "-i", inventory, str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"},
    )


def wait_for(predicate, timeout=30.0, interval=0.2, what="condition"):
    """Poll until predicate() is truthy; return its value; fail after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def bad_inputs(path, hosts, minimum, secrets=(), log_dir=None):
    """Run a scenario's bad_inputs.yml (one failed role run per case; the
    playbook itself asserts that each failed naming its variable and that
    nothing changed) and check what it reports: every case refused on every
    host, at least ``minimum`` cases, no secret in the output. Returns the
    cases."""
    path = pathlib.Path(path)
    proc = playbook(path, timeout=1200)
    if log_dir is not None:
        (pathlib.Path(log_dir) / "bad_inputs.log").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
    cases = yaml.safe_load(path.read_text())[0]["vars"]["halb_cases"]
    assert len(cases) >= minimum
    for host in hosts:
        assert f"{len(cases)} bad inputs refused on {host}" in proc.stdout
    for secret in secrets:
        assert secret not in proc.stdout + proc.stderr
    return cases


class Background:
    """A loop (``_run``) in a daemon thread for the time of a ``with`` block;
    ``_stop`` is set on leaving it, and the join is bounded by ``limit``."""

    def __init__(self, limit=900.0):
        import threading

        self.limit = limit
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=self.limit)
        return False


class SteadyLoad(Background):
    """A client on the controller that opens a NEW connection every ``interval``
    seconds to ``url`` (GET, ``Connection: close``, ``timeout`` each) until
    stopped, in a background thread; bounded by ``limit`` seconds in any case.

        with SteadyLoad("http://172.30.77.100/") as load:
            ...                      # the operation under test
        load.failed, load.requests, load.failures  # [(second, reason)]

    ``spans`` holds each failed request's (start, end) on the monotonic
    clock, so that failures of two clients can be compared (``shared_with``).
    """

    def __init__(self, url, interval=0.01, timeout=0.5, limit=900.0):
        super().__init__(limit)
        self.url, self.interval, self.timeout = url, interval, timeout
        self.requests = 0
        self.failures = []
        self.spans = []

    @property
    def failed(self):
        return len(self.failures)

    def _one(self):
        import urllib.request

        try:
            request = urllib.request.Request(self.url, headers={"Connection": "close"})
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
                return None if response.status == 200 else f"HTTP {response.status}"
        except Exception as exc:  # every failure is a figure
            return type(exc).__name__ + ": " + str(exc)[:80]

    def _run(self):
        start = time.monotonic()
        next_at = start
        while not self._stop.is_set() and time.monotonic() - start < self.limit:
            now = time.monotonic()
            if next_at > now:
                self._stop.wait(next_at - now)
                continue
            next_at = now + self.interval
            reason = self._one()
            self.requests += 1
            if reason:
                self.failures.append((round(now - start, 3), reason))
                self.spans.append((now, time.monotonic()))

    def shared_with(self, *controls):
        """The failures of this client during which one of the ``controls``
        (clients of the same kind, run at the same time) failed as well."""
        return [
            failure
            for failure, (begin, end) in zip(self.failures, self.spans, strict=True)
            if any(b <= end and begin <= e for control in controls for b, e in control.spans)
        ]

    def __str__(self):
        return f"{self.failed} of {self.requests} requests failed: {self.failures[:10]}"


def address(name):
    """The IPv4 address of a container on its one docker network."""
    (network,) = container(name).attrs["NetworkSettings"]["Networks"].values()
    return network["IPAddress"]


def module(host, name, args, check=False, timeout=300):
    """Run one module of ours on ``host`` (ad hoc, through molecule's inventory);
    return its result dict (``failed`` and ``msg`` included when it failed)."""
    import json

    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    proc = subprocess.run(
        [
            "ansible",
            host,
            "-i",
            inventory,
            "-m",
            name,
            *(["-a", json.dumps(args)] if args else []),
            *(["--check"] if check else []),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={
            **os.environ,
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
            "ANSIBLE_NOCOLOR": "1",
        },
    )
    try:
        data = json.loads(proc.stdout)
        return data["plays"][0]["tasks"][0]["hosts"][host]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(
            f"no result from {name} on {host}: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
        ) from exc


def recap(stdout):
    """{host: {"ok": n, "changed": n, "failed": n, ...}} from PLAY RECAP."""
    hosts = {}
    for line in stdout.split("PLAY RECAP", 1)[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            hosts[match.group(1)] = {
                key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(2))
            }
    return hosts
