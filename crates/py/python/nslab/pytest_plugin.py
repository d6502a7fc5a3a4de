"""The nslab pytest plugin (registered as the ``pytest11`` entry point
``nslab``): ``@pytest.mark.nslab(SOURCE)`` on a test, or ``pytestmark =
pytest.mark.nslab(SOURCE)`` in a module, gives that test (or every test of
the module) a ``lab`` fixture: the lab of SOURCE -- a topology file (relative
paths are tried from the test file's directory, then from the current
directory), or a dict with the file's keys -- brought up once for the test
(or once for the module) and always taken down. A failed test's report gets
a section with ``nslab show`` of the lab and the faults in force.
``--nslab-keep`` leaves the labs up for a look (``nslab down LAB`` after).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Generator, List, Optional

import pytest

from . import Error, Lab

_LAB_ATTR = "_nslab_lab"
_KEPT = pytest.StashKey[List[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nslab")
    group.addoption(
        "--nslab-keep",
        action="store_true",
        default=False,
        help="leave every lab up after its tests, for a look with `nslab show` "
        "(take it down with `nslab down LAB`)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KEPT] = []
    config.addinivalue_line(
        "markers",
        "nslab(source): bring up the lab of SOURCE (a topology file or a dict) "
        "for this test or module; use it through the `lab` fixture",
    )


def _source(marker: pytest.Mark, path: Path) -> Any:
    if len(marker.args) != 1 or marker.kwargs:
        raise pytest.UsageError(
            "@pytest.mark.nslab takes one argument: a topology file or a dict"
        )
    src = marker.args[0]
    if isinstance(src, dict):
        return src
    p = Path(os.fspath(src))
    if not p.is_absolute():
        near = path.parent / p
        if near.exists():
            return near
    return p


def _bring_up(
    request: pytest.FixtureRequest, marker: pytest.Mark, path: Path
) -> Generator[Lab, None, None]:
    lab = Lab.up(_source(marker, path))
    try:
        yield lab
    finally:
        if request.config.getoption("nslab_keep"):
            lab.keep()
            request.config.stash[_KEPT].append(lab.name)
        lab.down()


@pytest.fixture(scope="module")
def _nslab_module_lab(request: pytest.FixtureRequest) -> Generator[Optional[Lab], None, None]:
    marker = request.node.get_closest_marker("nslab")
    if marker is None:
        yield None
        return
    yield from _bring_up(request, marker, Path(str(request.node.path)))


@pytest.fixture
def lab(request: pytest.FixtureRequest) -> Generator[Lab, None, None]:
    """The lab of the test's (or its module's) ``@pytest.mark.nslab``."""
    own = [m for m in request.node.own_markers if m.name == "nslab"]
    path = Path(str(request.node.path))
    if own:
        gen = _bring_up(request, own[0], path)
        the_lab = next(gen)
        setattr(request.node, _LAB_ATTR, the_lab)
        try:
            yield the_lab
        finally:
            gen.close()
        return
    module_lab = request.getfixturevalue("_nslab_module_lab")
    if module_lab is None:
        raise pytest.UsageError(
            f"{request.node.nodeid}: the `lab` fixture needs @pytest.mark.nslab(FILE) "
            "on the test or `pytestmark = pytest.mark.nslab(FILE)` in its module"
        )
    setattr(request.node, _LAB_ATTR, module_lab)
    yield module_lab


def _nslab_binary() -> Optional[str]:
    b = os.environ.get("NSLAB_BIN")
    if b and os.access(b, os.X_OK):
        return b
    return shutil.which("nslab")


def _show(lab: Lab) -> str:
    """`nslab show LAB` when the binary is at hand, else each node's
    addresses and routes (through the lab)."""
    b = _nslab_binary()
    if b is not None:
        try:
            p = subprocess.run(
                [b, "show", lab.name], capture_output=True, text=True, timeout=30
            )
            return p.stdout + p.stderr
        except (OSError, subprocess.SubprocessError) as e:
            return f"(nslab show {lab.name} failed: {e})\n"
    out = ["(no nslab command: set NSLAB_BIN for `nslab show`; each node instead)\n"]
    for node in lab.nodes:
        for argv in (["ip", "-br", "addr"], ["ip", "route"]):
            try:
                r = lab.exec(node, argv)
                out.append(f"{node}$ {' '.join(argv)}\n{r.stdout.decode(errors='replace')}")
            except Error as e:
                out.append(f"{node}$ {' '.join(argv)}: {e}\n")
    return "".join(out)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or rep.when == "teardown":
        return
    lab: Optional[Lab] = getattr(item, _LAB_ATTR, None)
    if lab is None or not lab.is_up:
        return
    try:
        faults = lab.faults()
        in_force = "\n".join(faults) if faults else "(none)"
    except Error as e:
        in_force = f"(cannot tell: {e})"
    rep.sections.append((f"nslab lab {lab.name}: faults in force", in_force + "\n"))
    rep.sections.append((f"nslab lab {lab.name}: show", _show(lab)))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    kept = config.stash.get(_KEPT, [])
    if kept:
        terminalreporter.write_line(
            "nslab: left up (--nslab-keep): "
            + ", ".join(kept)
            + "; take each down with `nslab down LAB`"
        )
