"""Three replicas of a service (examples/partition.yaml: each answers on
tcp/7000) split by a partition, both sides checked. One lab for the module,
brought up once and taken down after its last test."""

from __future__ import annotations

from typing import Dict

import pytest

import nslab

pytestmark = pytest.mark.nslab("../partition.yaml")


def tcp(src: str, dst: str) -> Dict[str, str]:
    """The map form of a check: `src` reaches `dst`'s responder on 7000."""
    return {"from": src, "to": f"{dst}:7000", "proto": "tcp", "reply-from": dst}


def test_every_replica_reaches_every_other(lab: nslab.Lab) -> None:
    assert all(lab.checks())
    for a, b in [("n1", "n2"), ("n2", "n3"), ("n3", "n1")]:
        assert lab.check(tcp(a, b), within="3s")


def test_a_partition_leaves_the_majority_whole_and_cuts_off_the_minority(lab: nslab.Lab) -> None:
    lab.partition(["n1", "n2"], ["n3"])
    try:
        assert lab.faults() == ["partition n1,n2 | n3"]
        # The majority side still reaches itself ...
        assert lab.check(tcp("n1", "n2"))
        assert lab.check(tcp("n2", "n1"))
        # ... and neither side reaches the other, either way.
        assert not lab.check(tcp("n1", "n3"))
        assert not lab.check(tcp("n3", "n1"))
        assert lab.check("n3 -x n2")
    finally:
        lab.heal()
    assert lab.faults() == []
    assert lab.check(tcp("n3", "n1"), within="3s")


def test_the_files_scenario_splits_and_heals(lab: nslab.Lab) -> None:
    r = lab.test("split")
    assert r.passed, r.report()
    assert [s.passed for s in r.steps] == [True] * len(r.steps)
