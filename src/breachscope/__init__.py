"""breachscope: respond to a vendor's data leak, from the leaked file to the last notice."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
