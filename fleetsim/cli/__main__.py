"""``python -m fleetsim.cli``: the ``fleetsim`` command without its console script."""

import sys

from fleetsim.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
