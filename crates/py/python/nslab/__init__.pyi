"""Type stubs of nslab (the extension module nslab._nslab, re-exported)."""

import os
from types import TracebackType
from typing import Any, Literal, Mapping, Optional, Sequence, Tuple, Type, Union

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

Seconds = Union[str, float, int]
"""A time: text like "5s", "500ms", or seconds as a number."""

class Error(Exception):
    """A lab operation failed; str(e) is the message nslab prints."""

    errno: Optional[int]

class ValidationError(Error):
    """The topology has problems; nothing was changed."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    problems: list[Tuple[str, int, int, str, str]]
    """Each problem as (file, line, column, message, hint)."""

class KernelError(Error):
    """The kernel refused an operation; errno is the kernel's."""

class ProbeError(Error):
    """A probe could not be made at all; it proves nothing."""

class Completed:
    """What Lab.exec ran, like subprocess.CompletedProcess."""

    args: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes

class CheckResult:
    """One check and what it saw; truthy when it passed."""

    text: str
    passed: bool
    seen: str
    took: float
    def __bool__(self) -> bool: ...

class StepResult:
    """What one scenario step did."""

    number: int
    text: str
    passed: bool
    took: float
    detail: str
    checks: list[CheckResult]

class ScenarioResult:
    """What a scenario did; truthy when it passed."""

    name: str
    passed: bool
    steps: list[StepResult]
    skipped: list[str]
    healed: list[str]
    heal_error: Optional[str]
    took: float
    interrupted: bool
    def __bool__(self) -> bool: ...
    def report(self) -> str:
        """The scenario in words, step by step."""

class Lab:
    """A lab that is up. Use it as a context manager: down at the end."""

    @classmethod
    def up(cls, source: Union[str, "os.PathLike[str]", Mapping[str, Any]]) -> "Lab":
        """Bring up the lab of a topology file (or of a dict, as up_dict)."""
    @classmethod
    def up_str(cls, yaml: str) -> "Lab":
        """Bring up the lab of topology text."""
    @classmethod
    def up_dict(cls, topology: Mapping[str, Any]) -> "Lab":
        """Bring up the lab a dict with the file's keys describes."""
    @property
    def name(self) -> str: ...
    @property
    def nodes(self) -> list[str]: ...
    @property
    def source(self) -> str: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def notes(self) -> list[str]: ...
    @property
    def is_up(self) -> bool: ...
    def __enter__(self) -> "Lab": ...
    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        value: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    def down(self) -> None:
        """Remove everything the lab owns (as nslab down)."""
    def keep(self) -> "Lab":
        """Leave the lab up when down or the with ends it."""
    def ping(self, src: str, dst: str) -> bool:
        """Whether src gets an ICMP echo reply from dst's first address."""
    def exec(self, node: str, argv: Sequence[str], check: bool = False) -> Completed:
        """Run argv in node and wait for it."""
    def link(self, at: str, state: Union[Literal["up", "down"], bool], both: bool = False) -> None:
        """Set the admin state of NODE:IF."""
    def partition(self, *groups: Sequence[str], one_way: bool = False) -> None:
        """Drop every packet between nodes of different groups."""
    def stop(self, node: str) -> None:
        """A failed host: interfaces down, processes frozen."""
    def start(self, node: str) -> None:
        """The node back as it was before stop."""
    def impair(
        self,
        at: str,
        *,
        delay: Optional[Seconds] = None,
        jitter: Optional[Seconds] = None,
        loss: Optional[Union[str, float]] = None,
        rate: Optional[str] = None,
        clear: bool = False,
    ) -> None:
        """Impair NODE:IF's egress (netem)."""
    def heal(self) -> None:
        """Every fault removed."""
    def faults(self) -> list[str]:
        """The faults in force, in words."""
    def check(self, check: Union[str, Mapping[str, Any]], within: Optional[Seconds] = None) -> CheckResult:
        """One check as the file writes one (a -> c), retried up to within."""
    def checks(self) -> list[CheckResult]:
        """The file's expect: checks."""
    def test(self, scenario: str) -> ScenarioResult:
        """Run the file's scenario (healed when it ends)."""
