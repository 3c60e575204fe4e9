"""A backend module that raises on import (not an ImportError), as a module
whose SDK is broken can: ``manage.py check`` must report it, not crash."""

raise RuntimeError("the SDK is broken")
