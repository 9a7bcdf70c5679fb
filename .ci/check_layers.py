#!/usr/bin/env python3
"""Checks the include graph against the layer table (README.md, Architecture).

Every #include "..." in the source folders is resolved from the repo root;
the including file's folder must be allowed to use the included file's
folder. Also rejected: folders missing from the table, includes that resolve
to no file, a cycle between folders (in the table or in the code), and
libuv, sockets or logging in the pure folders. Exit 0 when clean, 1 with one
line per violation otherwise.

usage: check_layers.py [ROOT] [--table TABLE.json]
"""
import json
import os
import re
import sys

# folder -> folders it may include, directly; a folder may also include
# whatever those may include (the closure), and itself. Keep README.md's
# Architecture table in step with this one.
LAYERS = {
    "gateway/base": [],
    "gateway/zone": ["gateway/core"],
    "config": ["gateway/base", "gateway/zone"],
    "config/ser2net": ["config"],
    "gateway/core": ["gateway/base"],
    "gateway/sim": ["gateway/core"],
    "gateway/loop": [],
    "gateway/runtime": ["gateway/core", "gateway/sim", "gateway/loop", "config"],
    "gateway/cli": ["gateway/runtime"],
    "proxy/telnet": ["config"],
    "proxy": ["proxy/telnet", "gateway/core", "gateway/loop", "config"],
    "exporters/metrics": ["gateway/core"],
    "exporters/json": ["exporters/metrics", "gateway/core"],
    "exporters/http": ["gateway/loop"],
    "exporters/web": [],
    "exporters/api": ["exporters/http", "exporters/json", "exporters/web", "gateway/core",
                      "gateway/loop"],
    "exporters/mqtt": ["exporters/json", "gateway/core", "gateway/loop", "config", "gateway/base"],
    "exporters/mdns": ["exporters/json", "gateway/loop", "config"],
    "exporters/remote_write": ["exporters/metrics", "gateway/loop", "config", "gateway/base"],
    "exporters": ["exporters/metrics", "exporters/http", "gateway/core", "gateway/loop", "config"],
    "gateway/app": ["gateway/runtime", "gateway/cli", "proxy", "exporters", "exporters/api",
                    "exporters/mqtt", "exporters/mdns", "exporters/remote_write",
                    "config/ser2net"],
    "fuzz": ["gateway/core", "proxy/telnet", "config/ser2net", "exporters/http"],
    "bench": ["exporters/metrics", "exporters/json", "exporters/http"],
    "bench/proxy": [],
    "tests/support": [],
}
# tests/<F> may include what F may include, F itself, and any tests/ folder.
TESTS = "tests"

# Pure folders: functions of bytes, no loop, no sockets, no logging.
PURE = ["gateway/base", "gateway/core", "gateway/sim", "proxy/telnet", "exporters/metrics",
        "exporters/json", "exporters/web", "config", "config/ser2net"]
IMPURE_SYSTEM = re.compile(r"^(uv\.h|spdlog/|sys/socket\.h|netinet/|libserialport\.h|pty\.h)")

SOURCE_ROOTS = ["config", "gateway", "proxy", "exporters", "fuzz", "bench", "tests"]
SKIP_DIRS = {"data", "corpus", "__pycache__"}
EXTENSIONS = (".h", ".cc", ".c", ".hpp", ".cpp", ".in")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def closure(table):
    """folder -> every folder it may include; raises on a cycle in the table."""
    out = {}

    def visit(folder, path):
        if folder in out:
            return out[folder]
        if folder in path:
            cycle = path[path.index(folder):] + [folder]
            raise ValueError("layer table has a cycle: " + " -> ".join(cycle))
        allowed = set()
        for dep in table.get(folder, []):
            if dep not in table:
                raise ValueError(f"layer table: {folder} lists unknown folder {dep}")
            allowed.add(dep)
            allowed |= visit(dep, path + [folder])
        out[folder] = allowed
        return allowed

    for folder in table:
        visit(folder, [])
    return out


def find_cycle(edges):
    """A list of folders forming a cycle in {folder: set(folders)}, or None."""
    state = {}

    def dfs(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = dfs(nxt, stack)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = dfs(node, [])
            if found:
                return found
    return None


def source_files(root):
    for top in SOURCE_ROOTS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                if name.endswith(EXTENSIONS):
                    yield os.path.relpath(os.path.join(dirpath, name), root)


def allowed_for(folder, allowed):
    """The set a folder may include, or None if the table does not know it."""
    if folder in allowed:
        return allowed[folder] | {folder}
    if folder.startswith(TESTS + "/"):
        mirrored = folder[len(TESTS) + 1:]
        while mirrored and mirrored not in allowed:
            mirrored = os.path.dirname(mirrored)
        if mirrored:
            return allowed[mirrored] | {mirrored, folder}
    return None


def check(root, table):
    errors = []
    try:
        allowed = closure(table)
    except ValueError as e:
        return [str(e)]
    edges = {}
    for path in source_files(root):
        folder = os.path.dirname(path)
        may = allowed_for(folder, allowed)
        if may is None:
            errors.append(f"{path}: folder {folder} is not in the layer table")
            continue
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
        for lineno, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, inc = m.groups()
            where = f"{path}:{lineno}"
            if kind == "<":
                if folder in PURE and IMPURE_SYSTEM.match(inc):
                    errors.append(f"{where}: {folder} is pure and may not include <{inc}>")
                continue
            target = os.path.normpath(os.path.join(root, inc))
            if not (os.path.isfile(target) or os.path.isfile(target + ".in")):
                errors.append(f'{where}: "{inc}" is no file under the repo root '
                              "(include paths are from the root)")
                continue
            dep = os.path.dirname(os.path.normpath(inc))
            if dep == folder:
                continue
            edges.setdefault(folder, set()).add(dep)
            if dep in may or dep.startswith(TESTS + "/") and folder.startswith(TESTS + "/"):
                continue
            errors.append(f'{where}: {folder} may not include "{inc}" ({dep}); '
                          f"it may include {', '.join(sorted(may - {folder})) or 'nothing of ours'}")
    cycle = find_cycle(edges)
    if cycle:
        errors.append("include cycle between folders: " + " -> ".join(cycle))
    return errors


def main(argv):
    args = argv[1:]
    table = LAYERS
    if "--table" in args:
        i = args.index("--table")
        with open(args[i + 1], encoding="utf-8") as f:
            table = json.load(f)
        del args[i:i + 2]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    errors = check(os.path.abspath(root), table)
    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} violation(s)", file=sys.stderr)
        return 1
    print("check_layers: include graph matches the layer table")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
