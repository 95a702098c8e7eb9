# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send one command to HAProxy's runtime API and read the whole answer.

The API's non-interactive mode: connect, send one line, read until HAProxy
closes the connection. Standard library only. The address comes from
_runtime_api.parse_socket.
"""

from __future__ import annotations

import errno
import socket

from ansible_collections.halb.cluster.plugins.module_utils._runtime_api import (
    RuntimeApiError,
    describe_socket,
)

MAX_ANSWER = 64 * 1024 * 1024


def _reason(exc):
    code = getattr(exc, "errno", None)
    if isinstance(exc, socket.timeout):
        return "no answer in time"
    if code == errno.ENOENT:
        return "no such socket (is HAProxy running, and is this its stats socket path?)"
    if code == errno.ECONNREFUSED:
        return "connection refused (nothing listens there)"
    if code == errno.EACCES:
        return "permission denied (run as root or as a member of the socket's group)"
    if code == errno.ENOTSOCK:
        return "not a socket"
    return str(exc)


def send(address, command, timeout=10.0):
    """Send ``command`` and return HAProxy's answer as text."""
    if "\n" in command or "\r" in command:
        raise RuntimeApiError(f"refusing to send a command with a line break: {command!r}")
    if address[0] == "unix":
        family, target = socket.AF_UNIX, address[1]
    else:
        family = socket.AF_INET6 if ":" in address[1] else socket.AF_INET
        target = (address[1], address[2])
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(target)
        except OSError as exc:
            raise RuntimeApiError(
                f"cannot connect to HAProxy's runtime API at {describe_socket(address)}: {_reason(exc)}"
            ) from exc
        chunks = []
        size = 0
        try:
            sock.sendall(command.encode() + b"\n")
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_ANSWER:
                    raise RuntimeApiError(
                        f"the answer to {command!r} is larger than {MAX_ANSWER} bytes"
                    )
        except OSError as exc:
            raise RuntimeApiError(
                f"HAProxy's runtime API at {describe_socket(address)} failed during {command!r}: {_reason(exc)}"
            ) from exc
        return b"".join(chunks).decode("utf-8", "replace")
    finally:
        sock.close()
