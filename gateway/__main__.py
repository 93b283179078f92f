"""`python -m gateway` is the `evo-gateway` command."""

import sys

from .cli import main

sys.exit(main())
