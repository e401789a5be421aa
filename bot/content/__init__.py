"""Operator-editable content (intents, FAQ, products): versioned store, live updates."""
