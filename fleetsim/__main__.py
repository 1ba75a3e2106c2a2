"""``python -m fleetsim``: the same as the ``fleetsim`` command."""

import sys

from fleetsim.cli import main

sys.exit(main())
