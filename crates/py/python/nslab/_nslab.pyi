"""The extension module; its classes are typed in nslab/__init__.pyi."""

import os
from typing import Sequence, Union

def cli(argv: Sequence[Union[str, "os.PathLike[str]"]]) -> int:
    """The nslab command line on argv (the program's name first)."""
