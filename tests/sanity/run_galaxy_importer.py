"""galaxy-importer on the built tarball, as Galaxy runs it on an upload (`make sanity`).

usage: python run_galaxy_importer.py TARBALL WORK_DIR

Run it with the Python of the venv that has galaxy-importer (build/sanity-venv):
that venv's bin directory goes first on PATH, so the importer finds its own
ansible-doc and ansible-lint there.

galaxy.yml has no `repository` yet: the collection has no public home, and
the importer stops at once without one ("'repository' is required"). So the
importer gets a copy of the tarball whose MANIFEST.json names a placeholder
under the reserved .invalid domain (RFC 2606), and checks everything else.
The tarball itself is left as it is. Once galaxy.yml has a real repository,
the copy is the tarball unchanged.

Fails (exit 1) when the import fails or when the importer logs an ERROR or a
WARNING that ALLOWED does not justify.
"""

import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import time

HERE = pathlib.Path(__file__).resolve().parent
CONFIG = HERE / "galaxy-importer.cfg"
PLACEHOLDER_REPOSITORY = "https://halb-cluster-has-no-public-repository-yet.invalid/"
DONE = "Importer processing completed successfully"
RECORD = re.compile(r"^(ERROR|WARNING): ")

# Importer messages that do not fail the check: (pattern, why). Keep it short;
# every entry says why the message is not a defect of the collection.
ALLOWED = []


def with_placeholder_repository(tarball, out_dir):
    """Return a copy of TARBALL in OUT_DIR whose MANIFEST.json has a repository."""
    out = out_dir / tarball.name
    with tarfile.open(tarball) as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if os.path.normpath(member.name) == "MANIFEST.json":
                manifest = json.loads(data)
                info = manifest["collection_info"]
                if info.get("repository"):
                    return tarball
                info["repository"] = PLACEHOLDER_REPOSITORY
                data = json.dumps(manifest, indent=4).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    print(
        f"galaxy-importer: galaxy.yml has no repository; importing a copy whose MANIFEST.json says {PLACEHOLDER_REPOSITORY}"
    )
    return out


def main(argv):
    """Import the tarball, print the importer's log, judge its errors and warnings."""
    tarball, work = pathlib.Path(argv[1]).resolve(), pathlib.Path(argv[2]).resolve()
    work.mkdir(parents=True, exist_ok=True)
    artifact = with_placeholder_repository(tarball, work)
    env = dict(os.environ, GALAXY_IMPORTER_CONFIG=str(CONFIG))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "galaxy_importer.main", str(artifact)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    took = time.monotonic() - start
    print(proc.stdout, end="")

    records = [line for line in proc.stdout.splitlines() if RECORD.match(line)]
    allowed, unexpected = [], []
    for line in records:
        why = next((why for pattern, why in ALLOWED if re.search(pattern, line)), None)
        (allowed if why else unexpected).append((line, why))
    for line, why in allowed:
        print(f"galaxy-importer: allowed ({why}): {line}")
    for line, _why in unexpected:
        print(f"galaxy-importer: NOT ALLOWED: {line}")
    done = proc.returncode == 0 and DONE in proc.stdout
    print(
        f"galaxy-importer: {'imported' if done else 'IMPORT FAILED'} in {took:.0f} s, "
        f"{len(unexpected)} unexpected and {len(allowed)} allowed errors/warnings"
    )
    return 0 if done and not unexpected else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
