"""The pytest plugin (entry point pytest11 `nslab`), run on test files of
its own through pytester."""

from __future__ import annotations

from pathlib import Path

import pytest

import nslab

LAB = """\
lab: {name}
nodes:
  a: {{ interfaces: {{ eth0: {{ addresses: [10.8.0.1/24] }} }} }}
  b: {{ interfaces: {{ eth0: {{ addresses: [10.8.0.2/24] }} }} }}
links: [[a:eth0, b:eth0]]
"""


def up(name: str) -> bool:
    return (Path("/run/nslab") / name).exists()


def test_a_module_mark_brings_one_lab_up_for_the_module_and_takes_it_down(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", lab=LAB.format(name="plugmod"))
    pytester.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.nslab("lab.yaml")

        def test_one(lab):
            assert lab.name == "plugmod"
            lab.link("b:eth0", "down")

        def test_two(lab):
            # the same lab: the fault of test_one is still in force
            assert lab.faults() == ["link b:eth0 down"]
        """
    )
    r = pytester.runpytest_inprocess()
    r.assert_outcomes(passed=2)
    assert not up("plugmod")


def test_a_test_mark_brings_a_lab_up_for_that_test_only(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", lab=LAB.format(name="plugtest"))
    pytester.makepyfile(
        """
        import os, pytest

        @pytest.mark.nslab("lab.yaml")
        def test_one(lab):
            lab.link("b:eth0", "down")

        @pytest.mark.nslab({"lab": "plugdict", "nodes": {"x": {}}})
        def test_two(lab):
            assert lab.name == "plugdict"
            assert not os.path.exists("/run/nslab/plugtest")

        @pytest.mark.nslab("lab.yaml")
        def test_three(lab):
            assert lab.faults() == []
        """
    )
    r = pytester.runpytest_inprocess()
    r.assert_outcomes(passed=3)
    assert not up("plugtest") and not up("plugdict")


def test_a_failed_test_reports_the_lab_and_its_faults_and_the_lab_goes_down(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", lab=LAB.format(name="plugfail"))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.nslab("lab.yaml")
        def test_fails(lab):
            lab.partition(["a"], ["b"])
            assert lab.ping("a", "b")
        """
    )
    r = pytester.runpytest_inprocess()
    r.assert_outcomes(failed=1)
    out = r.stdout.str()
    assert "nslab lab plugfail: faults in force" in out
    assert "partition a | b" in out
    assert "nslab lab plugfail: show" in out
    assert "10.8.0.2/24" in out  # b's address, as show gives it
    assert not up("plugfail")


def test_nslab_keep_leaves_the_lab_up(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", lab=LAB.format(name="plugkeep"))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.nslab("lab.yaml")
        def test_fails(lab):
            assert False
        """
    )
    r = pytester.runpytest_inprocess("--nslab-keep")
    r.assert_outcomes(failed=1)
    assert "left up (--nslab-keep): plugkeep" in r.stdout.str()
    assert up("plugkeep")
    nslab.Lab.up_str(LAB.format(name="plugkeep")).down()
    assert not up("plugkeep")


def test_the_lab_fixture_without_a_mark_says_what_to_add(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_x(lab):
            pass
        """
    )
    r = pytester.runpytest_inprocess()
    r.assert_outcomes(errors=1)
    assert "needs @pytest.mark.nslab(FILE)" in r.stdout.str()
