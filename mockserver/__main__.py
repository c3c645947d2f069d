"""`python -m mockserver` is the same program as the `mockserver` command."""

import sys

from .cli import main

sys.exit(main())
