"""`python -m podid_lab` is the `podid-lab` command."""

import sys

from .cli import main

sys.exit(main())
