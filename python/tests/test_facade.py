"""Every operation of nslab.Lab from Python, each asserting what a user
relies on. Run as root in a sandbox of its own (tests/python/run)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, List, Tuple

import pytest

import nslab

LAB = """\
lab: py{n}
nodes:
  a:
    interfaces:
      eth0: {{ addresses: [10.9.0.1/24] }}
  b:
    interfaces:
      eth0: {{ addresses: [10.9.0.2/24] }}
      eth1: {{ addresses: [10.9.1.1/24] }}
  c:
    interfaces:
      eth0: {{ addresses: [10.9.1.2/24] }}
    serve: [tcp/7000]
links:
  - [a:eth0, b:eth0]
  - [b:eth1, c:eth0]
expect:
  - a -> b
  - b -> c
scenarios:
  cut:
    - link: b:eth1 down
    - expect: [b -x c]
  wrong:
    - expect: [a -> c]
"""

_n = 0


def lab_text() -> str:
    global _n
    _n += 1
    return LAB.format(n=_n)


def run_dir(name: str) -> Path:
    return Path("/run/nslab") / name


@pytest.fixture
def lab() -> Iterator[nslab.Lab]:
    with nslab.Lab.up_str(lab_text()) as lab:
        yield lab


def test_up_from_a_file_a_string_and_a_dict_and_the_with_takes_it_down(tmp_path: Path) -> None:
    f = tmp_path / "lab.yaml"
    f.write_text(lab_text())
    makers: List[Callable[[], nslab.Lab]] = [
        lambda: nslab.Lab.up(f),
        lambda: nslab.Lab.up(str(f)),
        lambda: nslab.Lab.up_str(lab_text()),
        lambda: nslab.Lab.up_dict({"lab": "pydict", "nodes": {"x": {}, "y": {}}}),
        lambda: nslab.Lab.up({"lab": "pydict2", "nodes": {"x": {}}}),
    ]
    for how in makers:
        with how() as lab:
            assert lab.is_up
            assert run_dir(lab.name).exists(), f"lab {lab.name} has no state"
        assert not lab.is_up
        assert not run_dir(lab.name).exists(), f"lab {lab.name} left its state"


def test_warnings_and_notes_are_what_up_prints() -> None:
    twice = {
        "lab": "pywarn",
        "nodes": {
            "gw": {
                "interfaces": {
                    "wan": {"addresses": ["192.168.9.1/24"]},
                    "lan": {"kind": "bridge", "addresses": ["10.0.0.1/24"]},
                },
                "nat": {
                    "masquerade": [
                        {"from": "10.0.0.0/24", "out": "wan"},
                        {"from": "10.0.0.0/24", "out": "wan"},
                    ]
                },
            },
            "out": {"interfaces": {"eth0": {"addresses": ["192.168.9.2/24"]}}},
        },
        "links": [["gw:wan", "out:eth0"]],
    }
    with nslab.Lab.up_dict(twice) as lab:
        assert any("is asked for twice" in w for w in lab.warnings), lab.warnings
        assert lab.notes == []
    with nslab.Lab.up_str(lab_text()) as lab:
        assert lab.warnings == [] and lab.notes == []


def test_the_with_takes_the_lab_down_when_its_body_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with nslab.Lab.up_str(lab_text()) as lab:
            name = lab.name
            raise RuntimeError("boom")
    assert not run_dir(name).exists()
    assert not any(n.startswith(name) for n in os.listdir("/run/netns")) if os.path.isdir("/run/netns") else True


def test_a_bad_file_is_a_validation_error_with_its_place_and_changes_nothing() -> None:
    text = "lab: bad\nnodes:\n  a:\n    interfaces:\n      eth0: { addresses: [10.0.0.300/24] }\n"
    with pytest.raises(nslab.ValidationError) as e:
        nslab.Lab.up_str(text)
    err = e.value
    assert isinstance(err, nslab.Error)
    assert (err.file, err.line) == ("(string)", 5)
    assert err.column is not None and err.column > 1
    assert str(err).startswith("(string):5:")
    assert str(err).endswith("nothing was changed")
    assert len(err.problems) == 2 and all(p[0] == "(string)" for p in err.problems)
    assert not run_dir("bad").exists()


def test_ping_says_whether_an_answer_came(lab: nslab.Lab) -> None:
    assert lab.ping("a", "b") is True
    assert lab.ping("a", "c") is False  # no route from a to c's subnet


def test_exec_gives_returncode_stdout_and_stderr(lab: nslab.Lab) -> None:
    out = lab.exec("a", ["ip", "-br", "addr", "show", "eth0"])
    assert out.returncode == 0
    assert b"10.9.0.1/24" in out.stdout
    bad = lab.exec("a", ["sh", "-c", "echo oops >&2; exit 3"])
    assert (bad.returncode, bad.stdout, bad.stderr) == (3, b"", b"oops\n")
    with pytest.raises(nslab.Error, match="exited with 3"):
        lab.exec("a", ["sh", "-c", "exit 3"], check=True)
    with pytest.raises(nslab.Error, match="no node zz"):
        lab.exec("zz", ["true"])
    with pytest.raises(nslab.Error, match="cannot run `/no/such`"):
        lab.exec("a", ["/no/such"])


def test_link_down_and_up(lab: nslab.Lab) -> None:
    lab.link("b:eth0", "down")
    assert lab.faults() == ["link b:eth0 down"]
    assert not lab.ping("a", "b")
    lab.link("b:eth0", True)
    assert lab.faults() == []
    assert lab.check("a -> b", within="3s")
    with pytest.raises(nslab.Error, match="is not NODE:INTERFACE"):
        lab.link("b", "down")
    with pytest.raises(nslab.Error):
        lab.link("b:eth0", "sideways")  # type: ignore[arg-type]


def test_partition_both_ways_and_one_way(lab: nslab.Lab) -> None:
    lab.partition(["a"], ["b"])
    assert lab.faults() == ["partition a | b"]
    assert not lab.ping("a", "b") and not lab.ping("b", "a")
    lab.heal()
    lab.partition(["a"], ["b"], one_way=True)
    assert lab.faults() == ["partition a -/-> b (one way)"]
    lab.heal()
    assert lab.faults() == []
    assert lab.ping("a", "b")


def test_stop_and_start_a_node(lab: nslab.Lab) -> None:
    lab.stop("b")
    assert [f.split(" ")[0] for f in lab.faults()] == ["stop"]
    assert not lab.ping("a", "b")
    lab.start("b")
    assert lab.faults() == []
    assert lab.check("a -> b", within="3s")


def test_impair_is_put_in_or_refused_in_the_kernels_words(lab: nslab.Lab) -> None:
    try:
        lab.impair("a:eth0", delay="50ms", loss="1%")
    except nslab.Error as e:  # a kernel without netem (sch_netem)
        assert "netem" in str(e) and "in node a" in str(e)
        # The refusal comes through `tc`, whose errno the facade does not
        # keep: a KernelError only when it does.
        assert isinstance(e, nslab.KernelError) == (e.errno is not None)
        assert lab.faults() == []
    else:
        assert lab.faults() and lab.faults()[0].startswith("impair a:eth0")
        lab.impair("a:eth0", clear=True)
    with pytest.raises(nslab.Error, match="give delay too"):
        lab.impair("a:eth0", jitter="5ms")
    with pytest.raises(nslab.Error, match="say what to impair"):
        lab.impair("a:eth0")


def test_heal_removes_every_fault(lab: nslab.Lab) -> None:
    lab.link("b:eth1", "down")
    lab.partition(["a"], ["b"])
    assert len(lab.faults()) == 2
    lab.heal()
    assert lab.faults() == []
    assert all(lab.checks())


def test_check_and_checks(lab: nslab.Lab) -> None:
    rs = lab.checks()
    assert [r.text for r in rs] == ["a -> 10.9.0.2", "b -> 10.9.1.2"]
    assert all(r.passed and bool(r) for r in rs)
    assert lab.check("a -> b")
    r = lab.check("a -> c")
    assert not r and "a -> 10.9.1.2" in repr(r)
    assert lab.check("a -x c")
    assert lab.check({"from": "b", "to": "c:7000", "proto": "tcp", "reply-from": "c"}, within=3)
    with pytest.raises(nslab.ValidationError, match="there is no node `zz`"):
        lab.check("a -> zz")


def test_a_probe_that_cannot_be_made_is_a_probe_error(lab: nslab.Lab) -> None:
    # b's namespace gone under the lab: nothing can be sent from it.
    out = lab.exec("b", ["sh", "-c", "ls /run/netns"])
    ns = [n for n in os.listdir("/run/netns") if "b" in n and lab.name in n]
    assert len(ns) == 1, (ns, out)
    os.system(f"umount /run/netns/{ns[0]} 2>/dev/null; rm -f /run/netns/{ns[0]}")
    with pytest.raises(nslab.ProbeError, match="could not probe"):
        lab.ping("b", "a")


def test_test_runs_a_scenario_and_reports_it(lab: nslab.Lab) -> None:
    r = lab.test("cut")
    assert r.passed and r
    assert [s.text for s in r.steps] == ["link b:eth1 down", "expect b -x c"]
    assert "passed" in r.report()
    assert lab.faults() == []  # healed when it ends
    bad = lab.test("wrong")
    assert not bad.passed
    assert "✗" in bad.report()
    with pytest.raises(nslab.Error, match="has no scenario nope; its scenarios: cut, wrong"):
        lab.test("nope")


def test_down_removes_the_lab_and_a_second_down_does_nothing() -> None:
    lab = nslab.Lab.up_str(lab_text())
    lab.down()
    assert not lab.is_up and not run_dir(lab.name).exists()
    lab.down()
    with pytest.raises(nslab.Error, match="taken down"):
        lab.ping("a", "b")


def test_keep_leaves_the_lab_up() -> None:
    with nslab.Lab.up_str(lab_text()).keep() as lab:
        name = lab.name
    assert run_dir(name).exists()
    with nslab.Lab.up_str(LAB.replace("lab: py{n}", f"lab: {name}").format()) as again:
        assert again.name == name  # the same lab, reconciled
    assert not run_dir(name).exists()


def test_the_engine_runs_without_the_gil(lab: nslab.Lab) -> None:
    ticks = 0
    stop = False

    def tick() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            time.sleep(0.01)

    t = threading.Thread(target=tick)
    t.start()
    try:
        lab.partition(["b"], ["c"])
        before, t0 = ticks, time.monotonic()
        # Dropped on the way: the probe waits its whole timeout (1.5s).
        assert not lab.check({"from": "b", "to": "c:7000", "proto": "tcp"})
        during, took = ticks - before, time.monotonic() - t0
    finally:
        stop = True
        t.join()
    assert took > 1.0
    assert during > took / 0.01 / 2, f"the other thread ran {during} times in {took:.1f}s"


def nslab_cli(*args: str) -> str:
    """What the `nslab` command prints on stderr for `args`."""
    import subprocess

    exe = os.environ.get("NSLAB_BIN", "nslab")
    return subprocess.run([exe, *args], capture_output=True, text=True).stderr


def test_an_error_says_what_the_cli_says_for_the_same_failure(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("lab: bad\nnodes:\n  a:\n    interfaces:\n      eth0: { addresses: [10.0.0.300/24] }\n")
    good = tmp_path / "good.yaml"
    good.write_text(lab_text())
    with pytest.raises(nslab.ValidationError) as e:
        nslab.Lab.up(bad)
    assert str(e.value) + "\n" == nslab_cli("up", str(bad))
    with nslab.Lab.up(good) as lab:
        cases: List[Tuple[Callable[[], object], List[str]]] = [
            (lambda: lab.test("nope"), ["test", lab.name, "nope"]),
            (lambda: lab.exec("zz", ["true"]), ["exec", lab.name, "zz", "--", "true"]),
            (lambda: lab.ping("zz", "a"), ["ping", lab.name, "zz", "a"]),
        ]
        for call, argv in cases:
            with pytest.raises(nslab.Error) as err:
                call()
            assert f"error: {err.value}\n" == nslab_cli(*argv), argv


def test_the_wheels_own_nslab_command_runs_the_responder_and_the_cli(tmp_path: Path) -> None:
    """`pip install` is the only step: with no NSLAB_BIN and no nslab in
    PATH, the package finds the `nslab` command it installed."""
    import subprocess
    import sys

    script = tmp_path / "serve.py"
    script.write_text(
        "import os, nslab\n"
        "print(os.environ['NSLAB_BIN'])\n"
        f"with nslab.Lab.up_str({lab_text()!r}) as lab:\n"
        "    r = lab.check({'from': 'b', 'to': 'c:7000', 'proto': 'tcp', 'reply-from': 'c'}, within=3)\n"
        "    assert r, r\n"
        "    print('served')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NSLAB_BIN"}
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    p = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    own = os.path.join(os.path.dirname(sys.executable), "nslab")
    assert p.stdout == f"{own}\nserved\n"
    v = subprocess.run([own, "--version"], env=env, capture_output=True, text=True)
    assert (v.returncode, v.stdout.split()[0]) == (0, "nslab")
