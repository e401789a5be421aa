"""Pages: the demo shop with the chat widget, the agent and operator consoles."""
