#!/usr/bin/env python3
"""How the build.rs codegen cost grows with the size of a spec.

For N in 10, 100 and 1000 operations it writes a synthetic DataArts spec (the three real
operations plus N-3 copies shaped like them, each with its own request and response schemas),
builds a copy of the crate with it, and reports:

- codegen: the time build.rs spends in progenitor for that spec (reported by build.rs itself
  when HUAWEICLOUD_OPENAPI_CODEGEN_TIMING is set);
- crate build: a clean build of the crate (build script + generated code), dependencies already
  compiled;
- generated: the size of the generated module.

It then checks that touching a file outside openapi/ does not re-run the build script.

Usage: python3 bench/codegen_cost.py [--sizes 10,100,1000]
Needs python3 with PyYAML, and cargo. Copies the files git tracks, so commit first.
"""

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMING_ENV = "HUAWEICLOUD_OPENAPI_CODEGEN_TIMING"


def load_yaml(path: Path):
    """Reads the real spec (PyYAML; the synthetic one is written as JSON, which is YAML)."""
    try:
        import yaml  # type: ignore
    except ImportError:
        sys.exit("bench/codegen_cost.py needs PyYAML: pip install pyyaml")
    return yaml.safe_load(path.read_text())


def synthetic_spec(base: dict, operations: int) -> dict:
    spec = copy.deepcopy(base)
    real_paths = list(base["paths"].items())
    schemas = spec["components"]["schemas"]
    count = sum(len(v) for _, v in real_paths)
    i = 0
    while count < operations:
        i += 1
        for path, item in real_paths:
            if count >= operations:
                break
            new_item = {}
            for verb, op in item.items():
                if count >= operations:
                    break
                new_op = copy.deepcopy(op)
                new_op["operationId"] = f"{op['operationId']}Copy{i}"
                text = json.dumps(new_op)
                # Give each copy its own schemas, as a real spec of that size would have.
                for ref in set(re.findall(r'#/components/schemas/(\w+)', text)):
                    if ref in ("IamProjectId", "PermissionSetId", "WorkspaceId", "MemberType",
                               "MemberOrderBy", "PermissionSetType", "ManagerType"):
                        continue
                    copy_name = f"{ref}Copy{i}"
                    if copy_name not in schemas:
                        schemas[copy_name] = copy.deepcopy(base["components"]["schemas"][ref])
                    text = text.replace(f'#/components/schemas/{ref}"', f'#/components/schemas/{copy_name}"')
                new_item[verb] = json.loads(text)
                count += 1
            spec["paths"][path.replace("/v1/", f"/v1/copy{i}/", 1)] = new_item
    return spec


def newest_generated(target: Path) -> Path:
    """The generated DataArts module of the latest build-script run."""
    return max(target.glob("debug/build/huaweicloud-openapi-*/out/dataarts.rs"),
               key=lambda p: p.stat().st_mtime_ns)


def cargo(args, cwd, env):
    started = time.monotonic()
    proc = subprocess.run(["cargo", *args], cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"cargo {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return elapsed, proc.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    base = load_yaml(ROOT / "openapi" / "dataarts-security.yaml")
    target = ROOT / "target" / "codegen-bench"
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), **{TIMING_ENV: "1"})
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()

    print(f"{'operations':>10} {'codegen ms':>11} {'crate build s':>14} {'generated KiB':>14}")
    with tempfile.TemporaryDirectory(prefix="codegen-bench-") as tmp:
        crate = Path(tmp) / "crate"
        for f in files:
            dest = crate / f
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, dest)
        results = []
        for n in sizes:
            spec = synthetic_spec(base, n)
            (crate / "openapi" / "dataarts-security.yaml").write_text(json.dumps(spec, indent=1))
            cargo(["build", "--lib", "--quiet"], crate, env)  # dependencies, once per size
            cargo(["clean", "-p", "huaweicloud-openapi", "--quiet"], crate, env)
            elapsed, log = cargo(["build", "--lib"], crate, env)
            m = re.search(r"codegen openapi/dataarts-security.yaml: (\d+) operations in (\d+) ms", log)
            if not m:
                sys.exit(f"build.rs did not report its timing:\n{log[-2000:]}")
            generated = newest_generated(target)
            size_kib = generated.stat().st_size / 1024
            results.append((int(m.group(1)), int(m.group(2)), elapsed, size_kib))
            print(f"{m.group(1):>10} {m.group(2):>11} {elapsed:>14.1f} {size_kib:>14.0f}")

        # An edit outside openapi/ must not re-run the build script (and so not codegen). Judged
        # by the generated file's modification time: cargo may replay a cached build script's
        # warnings when it rebuilds the crate, so the timing warning alone proves nothing.
        generated = newest_generated(target)
        before = generated.stat().st_mtime_ns
        (crate / "src" / "lib.rs").write_text((crate / "src" / "lib.rs").read_text() + "\n// touched\n")
        cargo(["build", "--lib"], crate, env)
        if generated.stat().st_mtime_ns != before:
            sys.exit("FAIL: editing src/lib.rs re-ran codegen")
        print("an edit outside openapi/ did not re-run codegen: ok")
        # And an edit inside openapi/ must.
        spec_path = crate / "openapi" / "dataarts-security.yaml"
        spec_path.write_text(spec_path.read_text() + "\n")
        cargo(["build", "--lib"], crate, env)
        if generated.stat().st_mtime_ns == before:
            sys.exit("FAIL: editing the spec did not re-run codegen")
        print("an edit inside openapi/ re-ran codegen: ok")
        if len(results) >= 2:
            (n0, ms0, b0, _), (n1, ms1, b1, _) = results[0], results[-1]
            print(f"{n1 / n0:.0f}x the operations cost {ms1 / max(ms0, 1):.1f}x the codegen time "
                  f"and {b1 / b0:.1f}x the crate build time")


if __name__ == "__main__":
    main()
