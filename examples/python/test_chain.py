"""The Mininet-style chain (chain.py) as a test: every length builds, routes
end to end, and breaks where it is cut."""

from __future__ import annotations

import pytest

import nslab
from chain import chain


@pytest.mark.parametrize("n", [2, 5])
def test_a_chain_of_n_routers_routes_end_to_end_and_breaks_where_cut(n: int) -> None:
    with nslab.Lab.up_dict(chain(n, name=f"chain{n}")) as lab:
        assert sorted(lab.nodes) == sorted(f"r{i}" for i in range(1, n + 1))
        assert lab.ping("r1", f"r{n}")
        assert lab.ping(f"r{n}", "r1")
        lab.link(f"r{n // 2}:right", "down")
        assert lab.faults() == [f"link r{n // 2}:right down"]
        assert not lab.ping("r1", f"r{n}")
        lab.heal()
        assert lab.check(f"r1 -> r{n}", within="3s")
    assert not lab.is_up
