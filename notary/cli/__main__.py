"""`python -m notary.cli`: the same as the `notary` command."""

import sys

from notary.cli import main

sys.exit(main())
