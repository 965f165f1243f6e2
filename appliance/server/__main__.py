"""`python -m appliance.server ...` is `autonome server ...`."""

import sys

from appliance.server.cli import main

sys.exit(main())
