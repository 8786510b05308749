"""``python -m sim`` runs the ``ruralsim`` command."""

import sys

from sim.cli import main

sys.exit(main())
