"""``golden-path discover``: a live AWS account -> fleet-form service files with ``adopt:``.

The one stage that reads AWS (boto3). ``read`` turns the account into plain data
(``inventory``), ``translate`` decides (pure: what golden_path can manage, and why not),
``write`` merges with the files already in the folder, validates and writes atomically,
``report`` says what was found, written, skipped and left alone. ``command`` is the CLI.
"""

from __future__ import annotations

from .inventory import Inventory
from .translate import Found, Skipped, Target, Translation, translate

__all__ = ["Found", "Inventory", "Skipped", "Target", "Translation", "translate"]
