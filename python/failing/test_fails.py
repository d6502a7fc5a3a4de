"""A test that fails on purpose with a lab up and faults in force (run by
tests/python/run, which then checks that nothing of it is left)."""

from __future__ import annotations

import pytest

import nslab

pytestmark = pytest.mark.nslab(
    {
        "lab": "leftover",
        "nodes": {
            "a": {"interfaces": {"eth0": {"addresses": ["10.7.0.1/24"]}}},
            "b": {
                "interfaces": {"eth0": {"addresses": ["10.7.0.2/24"]}},
                "serve": ["tcp/7000"],
                "run": ["sleep 600"],
            },
        },
        "links": [["a:eth0", "b:eth0"]],
    }
)


def test_fails_with_faults_in_force(lab: nslab.Lab) -> None:
    lab.partition(["a"], ["b"])
    lab.stop("b")
    assert lab.ping("a", "b"), "fails on purpose"
