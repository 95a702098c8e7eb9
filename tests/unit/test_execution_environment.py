"""The execution environment's definitions say what the collection needs.

meta/execution-environment.yml (ships in the tarball) names the Python and
system requirements ansible-builder adds to an EE image; the top-level
execution-environment.yml (does not ship) is what `make ee` builds. These
tests check that the collection's claim "no Python package beyond
ansible-core" is true of every plugin's imports, that the files the metadata
names ship, and that the versions the image installs are the pinned ones.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What ansible-core brings into every EE (it depends on these): a plugin may
# import them without listing them.
ANSIBLE_CORE_PROVIDES = {
    "ansible",
    "ansible_collections",
    "yaml",
    "jinja2",
    "markupsafe",
    "cryptography",
    "packaging",
    "resolvelib",
}


def _read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def _requirement_names(text):
    """The distribution names of a pip requirements file, lower-case."""
    names = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def _pins(text):
    """{name: version} of the `name==version` lines of a requirements file."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def _imports(source):
    """The top-level module names a Python source imports (absolute imports only)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def third_party_imports(sources, declared):
    """{module: [files]} of the imports that are neither the standard library,
    nor what ansible-core provides, nor a declared requirement."""
    missing = {}
    for name, source in sources.items():
        for module in sorted(_imports(source)):
            if module in sys.stdlib_module_names or module == "__future__":
                continue
            if module in ANSIBLE_CORE_PROVIDES or module.lower().replace("_", "-") in declared:
                continue
            missing.setdefault(module, []).append(name)
    return missing


@pytest.fixture(scope="module")
def meta():
    return yaml.safe_load(_read("meta/execution-environment.yml"))


@pytest.fixture(scope="module")
def definition():
    return yaml.safe_load(_read("execution-environment.yml"))


def test_meta_names_files_from_the_collection_root(meta):
    assert meta["version"] == 1
    deps = meta["dependencies"]
    assert set(deps) == {"python", "system"}
    for path in deps.values():
        # ansible-builder resolves them from the collection's root, not meta/.
        assert os.path.isfile(os.path.join(ROOT, path)), path


def test_every_plugin_import_is_stdlib_ansible_core_or_declared(meta):
    declared = _requirement_names(_read(meta["dependencies"]["python"]))
    sources = {}
    for base, _dirs, files in os.walk(os.path.join(ROOT, "plugins")):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(base, file)
                with open(path, encoding="utf-8") as f:
                    sources[os.path.relpath(path, ROOT)] = f.read()
    assert sources
    assert third_party_imports(sources, declared) == {}


def test_the_import_check_finds_an_undeclared_package():
    sources = {
        "plugins/filter/a.py": "import os\nimport requests.adapters\nfrom jmespath import search\nfrom . import x\n",
        "plugins/filter/b.py": "from __future__ import annotations\nimport yaml\nfrom ansible.errors import AnsibleError\n",
    }
    assert third_party_imports(sources, set()) == {
        "jmespath": ["plugins/filter/a.py"],
        "requests": ["plugins/filter/a.py"],
    }
    assert third_party_imports(sources, {"requests", "jmespath"}) == {}


def test_python_requirements_say_none(meta):
    # The collection needs no Python package beyond ansible-core; the file
    # says so in a comment rather than being empty without a word.
    text = _read(meta["dependencies"]["python"])
    assert _requirement_names(text) == set()
    assert "none" in text


def test_bindep_has_the_ssh_client_for_debian_and_rpm(meta):
    lines = [
        line.split("#", 1)[0].strip() for line in _read(meta["dependencies"]["system"]).splitlines()
    ]
    lines = [line for line in lines if line]
    assert "openssh-client [platform:dpkg]" in lines
    assert "openssh-clients [platform:rpm]" in lines


def test_definition_pins_are_requirements_ee_pins(definition):
    pins = _pins(_read("requirements-ee.txt"))
    deps = definition["dependencies"]
    named = [
        deps["ansible_core"]["package_pip"],
        deps["ansible_runner"]["package_pip"],
        *deps["python"],
    ]
    named.append(definition["options"]["container_init"]["package_pip"])
    for requirement in named:
        name, version = requirement.split("==")
        assert pins.get(name.lower()) == version, requirement
    # One ansible-core: the test venv's, the EE tools', the image's.
    assert _pins(_read("requirements.txt"))["ansible-core"] == pins["ansible-core"]


def test_definition_builds_offline_from_the_context(definition):
    assert definition["version"] == 3
    assert definition["build_arg_defaults"]["ANSIBLE_GALAXY_CLI_COLLECTION_OPTS"] == "--offline"
    sources = [entry["src"] for entry in definition["additional_build_files"]]
    assert all(src.startswith("build/ee/context-src/") for src in sources), sources
    steps = "\n".join(definition["additional_build_steps"]["prepend_base"])
    assert "no-index = true" in steps
    assert "RUN rm -f /etc/pip.conf" in definition["additional_build_steps"]["append_final"]
    # No package index host anywhere in what builds the image.
    for path in (
        "execution-environment.yml",
        "mk/ee.mk",
        "scripts/ensure-ee.sh",
        "scripts/ensure-ee-base.sh",
    ):
        assert not re.search(r"https?://|index-url|--index", _read(path)), path


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    out = tmp_path_factory.mktemp("ee-tarball")
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    proc = subprocess.run(
        [galaxy, "collection", "build", "--force", "--output-path", str(out), ROOT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tarball,) = out.glob("*.tar.gz")
    with tarfile.open(tarball) as tar:
        return set(tar.getnames())


def test_meta_ships_and_the_build_files_do_not(shipped, meta):
    assert "meta/execution-environment.yml" in shipped
    for path in meta["dependencies"].values():
        assert path in shipped
    for path in (
        "execution-environment.yml",
        "requirements-ee.in",
        "requirements-ee.txt",
        "mk/ee.mk",
    ):
        assert path not in shipped, path
