"""Channel adapters: one sub-package per channel. Adapters import bot, never each other."""
