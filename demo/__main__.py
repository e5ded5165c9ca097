"""``python -m demo`` (``make demo``): the tour of every action, see :mod:`demo.tour`."""

import sys

from demo.tour import main

sys.exit(main())
