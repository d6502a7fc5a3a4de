"""nslab from Python: bring up a virtual network (network namespaces, veth,
bridges, NAT) from a topology file, a YAML string or a dict, break it on
purpose and check it -- the same engine as the ``nslab`` command, in process.

    import nslab
    with nslab.Lab.up("examples/failover.yaml") as lab:
        assert lab.ping("a", "c")
        lab.partition(["a", "b"], ["c"])
        assert lab.check("a -x c")
    # the lab is down here, whatever happened inside

Needs root (as ``nslab up`` does). A node with ``serve:`` runs the ``nslab``
binary: set ``NSLAB_BIN`` to its path or have ``nslab`` in ``PATH``.
See docs/python.md.
"""

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
