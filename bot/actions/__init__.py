"""Business actions as rasa_sdk Actions, run in-process or on a remote Rasa action server."""
