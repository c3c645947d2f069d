"""`python -m mockserver` is the same program as the `mockserver` command."""

import sys

from mockserver.cli import main

sys.exit(main())
