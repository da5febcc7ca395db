"""``python -m validator`` runs the ``ftdata`` command."""

import sys

from validator.cli import main

sys.exit(main())
