#!/usr/bin/env python3
"""Non-blank, non-comment lines of each example and of the lecture program(s) it ports.

usage: python3 examples/python/count_lines.py [EXAMPLES_DIR] [PY_DIR]
       (defaults: examples, examples/python; run from the repository root)
PY_DIR/<example>/*.py are the Python program(s) that examples/<example>.rs ports.
A line counts unless it is blank or starts (after indentation) with `#` (Python) or `//` (Rust).
"Without flags" also drops the `struct Args { ... }` block with the attributes above it
(`#[derive(Parser)]`, ...) and the `Args::parse()` line.
"""
import pathlib, sys

def code(path, comment):
    text = path.read_text(encoding="utf-8")
    return [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith(comment)]

def without_flags(lines):
    out, in_args = [], False
    for l in lines:
        if in_args:
            in_args = l.rstrip() != "}"  # the block ends at its column-0 closing brace
        elif l.startswith("struct Args"):
            while out and out[-1].lstrip().startswith("#["):
                out.pop()  # #[derive(Parser)], #[command(...)] above the struct
            in_args = not l.rstrip().endswith((";", "}"))
        elif "Args::parse()" not in l:
            out.append(l)
    return out

ex_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "examples")
py_dir = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "examples/python")
print("| example | Python program(s) | Python lines | Rust lines | Rust lines without flag parsing |")
print("| --- | --- | --- | --- | --- |")
for rs in sorted(ex_dir.glob("*.rs")):
    pys = sorted((py_dir / rs.stem).glob("*.py"))
    counts = [(p.name, len(code(p, "#"))) for p in pys]
    names = " + ".join(f"`{n}` ({c})" for n, c in counts) or "none"
    rust = code(rs, "//")
    print(f"| `{rs.stem}` | {names} | {sum(c for _, c in counts)} | {len(rust)} | {len(without_flags(rust))} |")
for rs in sorted((ex_dir / "common").glob("*.rs")):
    print(f"| shared `common/{rs.name}` (counted once) | | | {len(code(rs, '//'))} | |")
