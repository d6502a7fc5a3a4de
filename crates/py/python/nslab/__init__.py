"""nslab from Python: bring up a virtual network (network namespaces, veth,
bridges, NAT) from a topology file, a YAML string or a dict, break it on
purpose and check it -- the same engine as the ``nslab`` command, in process.

    import nslab
    with nslab.Lab.up("examples/failover.yaml") as lab:
        assert lab.ping("a", "c")
        lab.partition(["a", "b"], ["c"])
        assert lab.check("a -x c")
    # the lab is down here, whatever happened inside

Works as root and without root (then each call runs the ``nslab``
command, which enters the user's lab; see docs/rootless.md). A node with ``serve:`` runs nslab's
responder: ``NSLAB_BIN`` when set, else ``nslab`` in ``PATH``, else the
``nslab`` command this package installed next to the Python running it
(which this module then puts in ``NSLAB_BIN``). See docs/python.md.
"""

import os
import shutil
import sys

from ._nslab import (
    CheckResult,
    Completed,
    Error,
    KernelError,
    Lab,
    ProbeError,
    ScenarioResult,
    StepResult,
    ValidationError,
)

__all__ = [
    "CheckResult",
    "Completed",
    "Error",
    "KernelError",
    "Lab",
    "ProbeError",
    "ScenarioResult",
    "StepResult",
    "ValidationError",
]


def _responder() -> None:
    """Point NSLAB_BIN at the wheel's own `nslab` command when nothing else
    says where nslab is (a virtual environment used without activating it)."""
    if os.environ.get("NSLAB_BIN") or shutil.which("nslab"):
        return
    script = os.path.join(os.path.dirname(sys.executable), "nslab")
    if os.path.isfile(script) and os.access(script, os.X_OK):
        os.environ["NSLAB_BIN"] = script


_responder()
