"""Omnibot: one dialogue core and one customer-context store for every channel."""

__version__ = "0.1.0"
