"""What every scenario's verifier needs: commands in the containers (docker
exec through the docker SDK) and ansible-playbook runs against molecule's
inventory. Imported by the keepalived verifier (halb_pair) and the haproxy
verifier (halb_lb)."""

from __future__ import annotations

import os
import subprocess
import time

import docker

_client = None


def container(name):
    global _client
    if _client is None:
        _client = docker.from_env(timeout=30)
    return _client.containers.get(name)


def sh(name, command, check=True):
    """Run a shell command in a container (docker exec); return (rc, output)."""
    rc, out = container(name).exec_run(["/bin/sh", "-c", command])
    text = out.decode(errors="replace")
    if check and rc != 0:
        raise AssertionError(f"{name}: {command!r} exited {rc}: {text}")
    return rc, text


def playbook(path, *options, timeout=900):
    """ansible-playbook ``path`` against molecule's inventory, without colour;
    returns the CompletedProcess (the caller asserts on it)."""
    return subprocess.run(
        ["ansible-playbook", *options, "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(path)],
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
