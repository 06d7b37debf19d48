# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m hvlab up|down|serve`` (run with PYTHONPATH=tests/lab)."""

import sys

from hvlab.cli import main

sys.exit(main())
