"""``python -m dqn_helpers``: see ``dqn_helpers.cli``."""
import sys

from .cli import main

sys.exit(main())
