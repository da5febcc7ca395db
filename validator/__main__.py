"""``python -m validator`` runs the ``ftdata`` command."""

import sys

from validator.cli.main import main

sys.exit(main())
