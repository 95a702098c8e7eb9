# Stand-in for pip's get-pip.py bootstrap script, for ansible-test.
#
# ansible-test bootstraps pip in each of its sanity-test venvs with
# ~/.ansible/test/cache/get_pip_<version>.py, which it downloads from its own
# CI file host unless the file is already there. That host is not reachable
# from our machines, so `make sanity` installs this file under that name
# instead (tests/sanity/ansible-test.sh). It does the same job with what
# every Python has: ensurepip, then pip installs the requested packages
# (ansible-test asks for its pinned pip) from the package index pip is
# configured to use.
#
# ansible-test runs it as: python get_pip_<v>.py [pip options] pip==<v> --no-setuptools --no-wheel
# (get-pip.py's own flags, which pip install does not know). ensurepip also
# installs setuptools on Python 3.11: removed again when --no-setuptools asks
# for none, so that the venvs hold what ansible-test meant them to (its import
# test must not find pkg_resources where a host would not have it).
import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    """Install pip with ensurepip, then the requested packages with it."""
    pip = [sys.executable, "-m", "pip"]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    if args:
        subprocess.check_call([*pip, "install", *args])
    for flag, package in (("--no-setuptools", "setuptools"), ("--no-wheel", "wheel")):
        installed = subprocess.run([*pip, "show", "-q", package], capture_output=True, check=False)
        if flag in sys.argv and installed.returncode == 0:
            subprocess.check_call([*pip, "uninstall", "-y", "-q", package])


if __name__ == "__main__":
    main()
