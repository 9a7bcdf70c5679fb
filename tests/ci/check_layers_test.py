#!/usr/bin/env python3
"""check_layers.py must reject what the layer table forbids: builds small
trees in a temp dir and expects failure for each bad one, success for the
good one. usage: check_layers_test.py PATH/TO/check_layers.py"""
import json
import os
import subprocess
import sys
import tempfile

SCRIPT = sys.argv[1]


def run(files, table=None):
    with tempfile.TemporaryDirectory() as root:
        for path, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        cmd = [sys.executable, SCRIPT, root]
        if table is not None:
            with open(os.path.join(root, "table.json"), "w") as f:
                json.dump(table, f)
            cmd += ["--table", os.path.join(root, "table.json")]
        p = subprocess.run(cmd, capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr


GOOD = {
    "gateway/core/framer.h": "#include <string>\n",
    "gateway/core/framer.cc": '#include "gateway/core/framer.h"\n',
    "proxy/hub.h": '#include <uv.h>\n#include "gateway/core/framer.h"\n',
    "tests/proxy/hub_test.cc": '#include "proxy/hub.h"\n#include "tests/support/util.h"\n',
    "tests/support/util.h": "\n",
}

CASES = [
    ("a tree that follows the table passes", GOOD, None, 0, "matches"),
    ("the core including the proxy is rejected",
     {**GOOD, "gateway/core/framer.cc": '#include "proxy/hub.h"\n'}, None, 1,
     'gateway/core may not include "proxy/hub.h"'),
    ("proxy including exporters is rejected",
     {**GOOD, "exporters/metrics/units.h": "\n",
      "proxy/hub.cc": '#include "exporters/metrics/units.h"\n'}, None, 1,
     "proxy may not include"),
    ("anything including the composition root is rejected",
     {**GOOD, "gateway/app/app.h": "\n", "proxy/hub.cc": '#include "gateway/app/app.h"\n'},
     None, 1, "proxy may not include"),
    ("a test may not reach above what it mirrors",
     {**GOOD, "gateway/app/app.h": "\n",
      "tests/proxy/hub_test.cc": '#include "gateway/app/app.h"\n'}, None, 1,
     "tests/proxy may not include"),
    ("libuv in the pure core is rejected",
     {**GOOD, "gateway/core/framer.cc": "#include <uv.h>\n"}, None, 1,
     "is pure and may not include <uv.h>"),
    ("logging in the pure core is rejected",
     {**GOOD, "gateway/core/framer.cc": "#include <spdlog/spdlog.h>\n"}, None, 1,
     "is pure"),
    ("a folder missing from the table is rejected",
     {**GOOD, "gateway/misc/x.h": "\n"}, None, 1, "not in the layer table"),
    ("an include relative to the file is rejected",
     {**GOOD, "gateway/core/framer.cc": '#include "framer.h"\n'}, None, 1,
     "no file under the repo root"),
    ("a cycle in the table is rejected",
     {"config/a.h": "\n"}, {"config": ["proxy"], "proxy": ["config"]}, 1, "cycle"),
    ("a cycle between test folders is rejected (the table allows tests/ to tests/)",
     {**GOOD, "tests/config/a.h": '#include "tests/proxy/b.h"\n',
      "tests/proxy/b.h": '#include "tests/config/a.h"\n'}, None, 1,
     "include cycle between folders: tests/config -> tests/proxy -> tests/config"),
]


def main():
    failed = 0
    for name, files, table, want_rc, want_text in CASES:
        rc, out = run(files, table)
        ok = rc == want_rc and want_text in out
        print(("ok   " if ok else "FAIL ") + name)
        if not ok:
            print(f"  exit {rc} (want {want_rc}), output:\n" + out)
            failed += 1
    # The cycle check itself, independent of the table check.
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(SCRIPT)))
    import check_layers
    ok = check_layers.find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    ok = ok and check_layers.find_cycle({"a": {"b"}, "b": {"c"}}) is None
    print(("ok   " if ok else "FAIL ") + "find_cycle finds a three-folder cycle and no false one")
    failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
