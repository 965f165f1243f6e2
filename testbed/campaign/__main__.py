"""`python -m testbed.campaign`."""

from .cli import main

raise SystemExit(main())
