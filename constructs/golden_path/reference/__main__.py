"""python -m golden_path.reference --write DIR | --check DIR"""

import sys

from . import main

sys.exit(main())
