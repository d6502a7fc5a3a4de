"""`nslab` as a command: the console script the wheel installs (and
`python -m nslab`) runs the same command line as the `nslab` binary."""

from __future__ import annotations

import sys

from ._nslab import cli


def main() -> None:
    sys.exit(cli(["nslab", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
