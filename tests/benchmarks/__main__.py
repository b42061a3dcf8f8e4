"""``python -m tests.benchmarks --reports N``: see :mod:`tests.benchmarks.run`."""

import sys

from tests.benchmarks.run import main

sys.exit(main())
