"""nslab.Lab without root: a Python program run as an unprivileged uid
brings a lab up, pings across a link it downs and heals, runs commands
and checks, and takes the lab down; then nothing of that uid is left.
The test itself runs as root in the sandbox of tests/python/run."""

from __future__ import annotations

import os
import shutil
import site
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

UID = 65534

SNIPPET = r'''
import nslab
LAB = """\
lab: pyrl
nodes:
  a: { interfaces: { eth0: { addresses: [10.8.0.1/24] } } }
  b:
    interfaces:
      eth0: { addresses: [10.8.0.2/24] }
      eth1: { addresses: [10.8.1.2/24] }
  c: { interfaces: { eth0: { addresses: [10.8.1.3/24] } } }
links: [[a:eth0, b:eth0], [b:eth1, c:eth0]]
expect: [a -> b, b -> c]
"""
with nslab.Lab.up_str(LAB) as lab:
    assert lab.ping("a", "b") is True
    assert lab.ping("b", "c") is True
    assert all(lab.checks())
    out = lab.exec("a", ["ip", "-br", "addr", "show", "eth0"])
    assert out.returncode == 0 and b"10.8.0.1/24" in out.stdout, out
    bad = lab.exec("a", ["sh", "-c", "echo oops >&2; exit 3"])
    assert (bad.returncode, bad.stdout, bad.stderr) == (3, b"", b"oops\n"), bad
    lab.link("b:eth0", "down")
    assert lab.ping("a", "b") is False
    assert not lab.check("a -> b")
    assert lab.check("b -> c")
    assert len(lab.faults()) == 1, lab.faults()
    try:
        lab.link("b:nosuch", "down")
        raise AssertionError("no such interface")
    except nslab.Error as e:
        assert "no interface nosuch" in str(e), e
    lab.heal()
    assert lab.ping("a", "b") is True
    name = lab.name
assert not lab.is_up
print("rootless ok", name)
'''


def _ancestors(p: Path) -> List[Path]:
    return [p, *p.parents]


@pytest.fixture
def readable_venv() -> Iterator[None]:
    """The venv (and the checkout) traversable by the user: tests/python/run
    makes its venv in a 0700 temporary directory; opened for this test and
    closed again."""
    changed: List[Tuple[Path, int]] = []
    for d in _ancestors(Path(sys.prefix)):
        mode = d.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            changed.append((d, mode))
            d.chmod(stat.S_IMODE(mode) | stat.S_IROTH | stat.S_IXOTH)
    try:
        yield
    finally:
        for d, mode in changed:
            d.chmod(stat.S_IMODE(mode))


def _usable_by_user(p: Path) -> bool:
    """Whether the user can reach and run `p` (others' x on the way)."""
    real = p.resolve()
    dirs_ok = all(d.stat().st_mode & stat.S_IXOTH for d in real.parents)
    return dirs_ok and bool(real.stat().st_mode & stat.S_IXOTH)


def _python_for_user(scratch: Path) -> Tuple[str, Dict[str, str]]:
    """A Python the user can run with this venv's packages, and the
    wheel's `nslab` command for it: this venv's when the user can run its
    Python (a venv of the system's Python, as in CI); else the system's
    Python 3 with the venv's site-packages on PYTHONPATH (the wheel is
    abi3: one build serves every CPython >= 3.9; a pyenv Python under
    root's home cannot be run by another user), and as `nslab` what the
    console script runs, `python -m nslab`, from `scratch`."""
    if _usable_by_user(Path(sys.executable)):
        return sys.executable, {"NSLAB_BIN": str(Path(sys.executable).parent / "nslab")}
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3", shutil.which("python3")):
        if cand and Path(cand).exists() and _usable_by_user(Path(cand)):
            nslab = scratch / "nslab"
            nslab.write_text(f'#!/bin/sh\nexec {cand} -m nslab "$@"\n')
            nslab.chmod(0o755)
            scratch.chmod(0o755)
            return cand, {
                "PYTHONPATH": os.pathsep.join(site.getsitepackages()),
                "NSLAB_BIN": str(nslab),
            }
    pytest.fail(f"no Python that uid {UID} can run: {sys.executable} is not reachable")


def _xdg() -> Path:
    d = Path(f"/run/user/{UID}")
    d.mkdir(parents=True, exist_ok=True)
    os.chown(d, UID, UID)
    d.chmod(0o700)
    return d


def _processes_of_user() -> List[str]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            status = (p / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = fields.get("Uid", "").split()
        state = fields.get("State", "").split()
        if uid and uid[0] == str(UID) and state and state[0] != "Z":
            out.append(f"{p.name} {fields.get('Name', '').strip()}")
    return out


def test_the_lab_of_a_user_without_root(readable_venv: None) -> None:
    xdg = _xdg()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NSLAB_ROOTLESS", "XDG_RUNTIME_DIR", "HOME")
    }
    env["XDG_RUNTIME_DIR"] = str(xdg)
    env["HOME"] = "/"
    scratch = Path(tempfile.mkdtemp(dir="/run"))
    python, extra = _python_for_user(scratch)
    env.update(extra)
    r = subprocess.run(
        [python, "-c", SNIPPET],
        user=UID,
        group=UID,
        extra_groups=[],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=300,
    )
    shutil.rmtree(scratch)
    assert r.returncode == 0 and "rootless ok pyrl" in r.stdout, r.stdout + r.stderr
    deadline = time.monotonic() + 5
    while _processes_of_user() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_of_user() == []
    assert list(xdg.iterdir()) == [], "files left in XDG_RUNTIME_DIR"
    assert not Path("/run/nslab/pyrl").exists(), "root's labs were not touched"
