"""Custom actions served by a real Rasa action server in the tests (python -m rasa_sdk)."""
