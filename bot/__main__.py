"""`python -m bot`: the back office's admin CLI (bot/office/cli.py)."""

import sys

from bot.office.cli import main

sys.exit(main())
