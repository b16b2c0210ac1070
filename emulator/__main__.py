"""`python -m emulator`: run the local Salesforce org."""

import sys

from emulator.cli import main

sys.exit(main())
