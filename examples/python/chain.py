#!/usr/bin/env python3
"""A Mininet-style script: build a linear chain of N routers from a dict in
a loop, bring it up, ping end to end, cut the middle, and take it down.

    r1 ── r2 ── r3 ── ... ── rN      link i: 10.0.i.0/30 (r_i .1, r_i+1 .2)

Run as root, in a namespace of its own:
    unshare --net --mount --pid --fork --mount-proc --propagation private \\
        sh -c 'mount -t tmpfs tmpfs /run && python3 examples/python/chain.py 5'
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List

import nslab


def chain(n: int, name: str = "chain") -> Dict[str, Any]:
    """The topology of a chain of `n` routers (n >= 2), as a dict with the
    file's keys."""
    if n < 2:
        raise ValueError("a chain needs at least 2 routers")
    nodes: Dict[str, Any] = {}
    links: List[List[str]] = []
    for i in range(1, n + 1):
        interfaces: Dict[str, Any] = {}
        routes: List[str] = []
        if i > 1:  # towards r(i-1), on link i-1
            interfaces["left"] = {"addresses": [f"10.0.{i - 1}.2/30"]}
            routes += [f"10.0.{j}.0/30 via 10.0.{i - 1}.1" for j in range(1, i - 1)]
        if i < n:  # towards r(i+1), on link i
            interfaces["right"] = {"addresses": [f"10.0.{i}.1/30"]}
            routes += [f"10.0.{j}.0/30 via 10.0.{i}.2" for j in range(i + 1, n)]
            links.append([f"r{i}:right", f"r{i + 1}:left"])
        nodes[f"r{i}"] = {"forwarding": True, "interfaces": interfaces, "routes": routes}
    return {"lab": name, "nodes": nodes, "links": links}


def main(argv: List[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 4
    with nslab.Lab.up_dict(chain(n)) as lab:
        print(f"lab {lab.name}: {n} routers up")
        print("r1 -> r%d: %s" % (n, "ok" if lab.ping("r1", f"r{n}") else "no answer"))
        mid = n // 2
        lab.link(f"r{mid}:right", "down")
        print(f"r{mid}:right down; faults: {lab.faults()}")
        print("r1 -x r%d: %s" % (n, lab.check(f"r1 -x r{n}")))
        lab.heal()
        print("healed; r1 -> r%d: %s" % (n, lab.check(f"r1 -> r{n}", within="3s")))
    print("down")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
