"""Stand-ins for firewall-cmd, firewall-offline-cmd and systemctl, for the
firewalld_rules module's tests: one Python script behind three names, its
state a JSON file ($FAKE_FW_STATE) that the test sets up and reads back.
Every call is logged (one JSON argv a line, $FAKE_FW_LOG). The real tools run
in the Molecule scenario firewalld."""

from __future__ import annotations

import json
import os
import pathlib
import sys

SCRIPT = pathlib.Path(__file__).resolve()
ZONE_KEYS = {"rich-rule": "rich_rule", "port": "port", "service": "service"}


def install(directory):
    """firewall-cmd, firewall-offline-cmd and systemctl in ``directory``/bin."""
    bindir = pathlib.Path(directory) / "bin"
    bindir.mkdir(exist_ok=True)
    for name in ("firewall-cmd", "firewall-offline-cmd", "systemctl"):
        tool = bindir / name
        tool.write_text(
            f"#!{sys.executable}\nimport os, runpy\nos.environ['FAKE_FW_NAME'] = {name!r}\n"
            f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
        )
        tool.chmod(0o755)
    return bindir


def host(zones=None, default="public", running=True, masked=False, bound=None):
    """A host's state: each zone's permanent and runtime entries."""
    zones = zones or {}
    names = sorted({"block", "public", "trusted", *zones})
    state = {"default": default, "running": running, "zones": {}, "bound": bound or {}}
    for name in names:
        entries = zones.get(name, {})
        config = {k: list(entries.get(k, [])) for k in ("rich_rule", "port", "service")}
        state["zones"][name] = {"permanent": config, "runtime": json.loads(json.dumps(config))}
    state["unit"] = {
        "LoadState": "masked" if masked else "loaded",
        "UnitFileState": "masked" if masked else ("enabled" if running else "disabled"),
        "ActiveState": "active" if running else "inactive",
    }
    return state


def _zone_text(state, name, config):
    zone = state["zones"][name][config]
    ifaces = [i for i, z in state["bound"].items() if z == name]
    lines = [name + (" (active)" if ifaces else ""), "  target: default",
             "  interfaces: " + " ".join(ifaces), "  sources: ",
             "  services: " + " ".join(zone["service"]), "  ports: " + " ".join(zone["port"]),
             "  protocols: ", "  rich rules: "]  # fmt: skip
    lines += ["\t" + rule for rule in zone["rich_rule"]]
    return "\n".join(lines) + "\n"


def main():
    name = os.environ["FAKE_FW_NAME"]
    args = sys.argv[1:]
    path = os.environ["FAKE_FW_STATE"]
    with open(path) as handle:
        state = json.load(handle)
    with open(os.environ["FAKE_FW_LOG"], "a") as log:
        log.write(json.dumps([name, *args]) + "\n")
    changed = name == "systemctl" and args[0] != "show"
    if name == "systemctl":
        unit = state["unit"]
        if args[0] == "show":
            print("\n".join(f"{k}={v}" for k, v in unit.items()))
        elif args[0] == "unmask":
            unit.update(LoadState="loaded", UnitFileState="disabled")
        elif args[0] in ("enable", "disable"):
            unit["UnitFileState"] = args[0] + "d"
        elif args[0] in ("start", "stop"):
            state["running"] = args[0] == "start"
            unit["ActiveState"] = "active" if state["running"] else "inactive"
            if state["running"]:  # firewalld loads its permanent configuration
                for zone in state["zones"].values():
                    zone["runtime"] = json.loads(json.dumps(zone["permanent"]))
    else:
        if name == "firewall-cmd" and not state["running"]:
            print("FirewallD is not running", file=sys.stderr)
            sys.exit(252)
        config = (
            "permanent" if name == "firewall-offline-cmd" or "--permanent" in args else "runtime"
        )
        zone = next((a.split("=", 1)[1] for a in args if a.startswith("--zone=")), state["default"])
        if zone not in state["zones"]:
            print(f"Error: INVALID_ZONE: {zone}", file=sys.stderr)
            sys.exit(112)
        actions = [a for a in args if a not in ("--permanent",) and not a.startswith("--zone=")]
        kinds = {a.split("=", 1)[0] for a in actions}
        if len(kinds) > 1:  # as firewall-cmd 1.3 and 2.3 do
            print(
                f"firewall-cmd: error: argument {sorted(kinds)[0]}: not allowed with",
                file=sys.stderr,
            )
            sys.exit(2)
        for action in actions:
            if action == "--list-all":
                print(_zone_text(state, zone, config), end="")
            elif action == "--list-all-zones":
                print("\n".join(_zone_text(state, z, config) for z in sorted(state["zones"])))
            elif action == "--get-default-zone":
                print(state["default"])
            elif action == "--get-zones":
                print(" ".join(sorted(state["zones"])))
            elif action == "--get-active-zones":
                for z in sorted(set(state["bound"].values())):
                    print(z)
                    print(
                        "  interfaces: " + " ".join(i for i, b in state["bound"].items() if b == z)
                    )
            elif action.startswith(("--add-", "--remove-")):
                changed = True
                verb, _dash, rest = action[2:].partition("-")
                kind, _eq, value = rest.partition("=")
                if name == "firewall-offline-cmd" and kind == "service" and verb == "remove":
                    print("Can't use lokkit options with other options.", file=sys.stderr)
                    sys.exit(2)
                kind = kind.removesuffix("-from-zone")
                entries = state["zones"][zone][config][ZONE_KEYS[kind]]
                if verb == "add" and value not in entries:
                    entries.append(value)
                elif verb == "remove" and value in entries:
                    entries.remove(value)
            else:
                print(f"unknown option {action}", file=sys.stderr)
                sys.exit(2)
    if changed:  # the module reads side by side: only writers replace the file
        with open(path + ".new", "w") as handle:
            json.dump(state, handle)
        os.replace(path + ".new", path)


if __name__ == "__main__":
    main()
