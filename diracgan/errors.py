"""Errors shared by every layer (the bottom of the package: imports nothing from diracgan)."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input from a user: the message is one line that names the valid choices."""
