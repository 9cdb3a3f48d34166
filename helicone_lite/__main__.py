"""``python -m helicone_lite`` is the ``helicone-lite`` command."""

import sys

from .cli import main

sys.exit(main())
