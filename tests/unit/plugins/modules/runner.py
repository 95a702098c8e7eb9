"""Run a module of this collection as Ansible runs it: a subprocess with its
arguments in a JSON file. The daemon's checker is a stand-in whose verdict
the test sets through the environment (the real binaries run in Molecule)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

MODULES = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "modules"


def fake_checker(directory, name):
    """A stand-in checker: logs its arguments to $FAKE_LOG, prints $FAKE_SAY
    to stderr, exits $FAKE_RC (printing a line with $FAKE_PASSWORD when that
    is not 0) or kills itself with SIGTERM when $FAKE_TERM is set."""
    bindir = pathlib.Path(directory) / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / name
    fake.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "$FAKE_LOG"\n'
        'if [ -n "$FAKE_SAY" ]; then echo "$FAKE_SAY" >&2; fi\n'
        'if [ "${FAKE_RC:-0}" != 0 ]; then echo "(Line 12) near $FAKE_PASSWORD" >&2; fi\n'
        'if [ -n "$FAKE_TERM" ]; then kill -TERM $$; fi\n'
        'exit "${FAKE_RC:-0}"\n'
    )
    fake.chmod(0o755)
    return str(fake)


def run_module(name, args, workdir, check_mode=False, diff=True, env=None):
    """Run plugins/modules/<name>.py with ``args``; return its JSON result (plus
    ``_raw``: everything it printed)."""
    workdir = pathlib.Path(workdir)
    args = {
        **args,
        "_ansible_check_mode": check_mode,
        "_ansible_diff": diff,
        "_ansible_tmpdir": str(workdir),
        "_ansible_remote_tmp": str(workdir),
        "_ansible_keep_remote_files": False,
    }
    argsfile = workdir / "args.json"
    argsfile.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run(
        [sys.executable, str(MODULES / f"{name}.py"), str(argsfile)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), **(env or {})},
        timeout=60,
        check=False,
    )
    result = json.loads(proc.stdout)
    result["_raw"] = proc.stdout + proc.stderr
    return result
