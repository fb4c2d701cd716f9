#!/usr/bin/env python3
"""Where a server's CPU went, from a `bench --perf DIR` profile: shares by place (kernel,
libc, SQLite, our binary) and, inside the binary, by crate.

    python3 bench/scripts/perf_summary.py DIR/server-<pid>.perf.data [top]
"""
import collections
import re
import subprocess
import sys


def samples(path):
    out = subprocess.run(
        ["perf", "report", "-i", path, "--stdio", "--no-children", "--sort", "dso,symbol",
         "--percent-limit", "0", "-F", "overhead,dso,sym"],
        capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
        if m:
            yield float(m.group(1)), m.group(2), m.group(4).strip()


def crate(sym):
    s = sym.lstrip("<&*( ")
    s = re.sub(r"^(dyn |impl )", "", s)
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", s)
    return m.group(1) if m else "(other)"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    by_place, by_crate, by_sym = (collections.Counter() for _ in range(3))
    for pct, dso, sym in samples(path):
        if dso.startswith("[kernel"):
            place = "kernel"
        elif dso.startswith("libc"):
            place = "libc (memcpy, malloc)"
        elif dso in ("bench", "smart-outlet"):
            place = "binary"
            c = crate(sym)
            # libsqlite3-sys is compiled in: its C symbols have no `::`
            if c == "(other)" and sym.startswith("sqlite3"):
                c = "sqlite3 (C)"
            by_crate[c] += pct
        else:
            place = dso
        by_place[place] += pct
        by_sym[f"{dso}: {sym[:110]}"] += pct
    print("by place")
    for k, v in by_place.most_common():
        print(f"  {v:6.1f}%  {k.rstrip()}")
    print("binary, by crate")
    for k, v in by_crate.most_common(top):
        print(f"  {v:6.1f}%  {k.rstrip()}")
    print("top symbols")
    for k, v in by_sym.most_common(top):
        print(f"  {v:6.1f}%  {k.rstrip()}")


if __name__ == "__main__":
    main()
