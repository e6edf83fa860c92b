"""Allow ``python -m broadsheet``."""

import sys

from broadsheet.cli.main import main

sys.exit(main())
