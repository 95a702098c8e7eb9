"""The mailx_notify scenario's SMTP relay (aiosmtpd from Debian's python3-aiosmtpd).

Run by its unit as `/usr/bin/python3 /usr/local/bin/halb-relay SETTINGS` (relay.yml):
no shebang, not executable.

Listeners, from the JSON settings given as the only argument:
  starttls  SUBMISSION: STARTTLS is required before anything else, then AUTH
  tls       SUBMISSIONS: TLS from the first byte, then AUTH
Each listener has its own certificate, so one can be an impostor signed by a
CA the load balancers do not trust. AUTH accepts only the configured user and
password.

Every message accepted is appended as one JSON line to messages.jsonl (the
listener, whether the session was TLS and authenticated, the envelope and the
raw message); every AUTH attempt to auth.jsonl (never the password). The
verifier reads both with docker exec.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

_lock = threading.Lock()
_counter = itertools.count(1)


def _continue_numbering(path):
    """Go on numbering after the messages an earlier run recorded."""
    global _counter
    try:
        with open(path, encoding="utf-8") as handle:
            _counter = itertools.count(sum(1 for _line in handle) + 1)
    except FileNotFoundError:
        pass


def _append(path, record):
    with _lock, open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _now():
    return datetime.datetime.now().astimezone().isoformat(timespec="milliseconds")


class Listener:
    """One port: its authenticator and its DATA handler."""

    def __init__(self, settings, spec):
        self.name = f"{spec['mode']}:{spec['port']}"
        self.user = settings["user"].encode()
        self.password = settings["password"].encode()
        self.out = settings["out_dir"]

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        login = auth_data.login.decode(errors="replace") if auth_data else None
        _append(
            os.path.join(self.out, "auth.jsonl"),
            {
                "time": _now(),
                "listener": self.name,
                "mechanism": mechanism,
                "login": login,
                "ok": ok,
                "tls": session.ssl is not None or self.name.startswith("tls:"),
                "peer": session.peer[0],
            },
        )
        # handled=False: the server answers 535 to a refused login.
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)

    async def handle_DATA(self, server, session, envelope):
        _append(
            os.path.join(self.out, "messages.jsonl"),
            {
                "n": next(_counter),
                "time": _now(),
                "listener": self.name,
                "peer": session.peer[0],
                "tls": session.ssl is not None or self.name.startswith("tls:"),
                "authenticated": bool(session.authenticated),
                "login": session.auth_data,
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", errors="replace"),
            },
        )
        return "250 2.0.0 OK: queued"


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        settings = json.load(handle)
    os.makedirs(settings["out_dir"], exist_ok=True)
    _continue_numbering(os.path.join(settings["out_dir"], "messages.jsonl"))
    controllers = []
    for spec in settings["listeners"]:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(spec["cert"], spec["key"])
        listener = Listener(settings, spec)
        common = {
            "hostname": settings.get("address", "0.0.0.0"),
            "port": spec["port"],
            "authenticator": listener.authenticate,
            "server_hostname": "relay.example.test",
        }
        if spec["mode"] == "starttls":
            controller = Controller(
                listener,
                tls_context=context,
                require_starttls=True,
                auth_require_tls=True,
                **common,
            )
        else:
            # The whole session is TLS; aiosmtpd 1.4 does not count implicit TLS
            # for auth_require_tls, so that check is off here.
            controller = Controller(listener, ssl_context=context, auth_require_tls=False, **common)
        controller.start()
        controllers.append(controller)
        print(f"halb-relay: listening on {listener.name}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: done.set())
    signal.signal(signal.SIGINT, lambda *_args: done.set())
    done.wait()
    for controller in controllers:
        controller.stop()


if __name__ == "__main__":
    main()
