"""The web chat channel: REST and WebSocket endpoints for the embeddable widget."""

from adapters.webchat.adapter import WebchatAdapter

__all__ = ["WebchatAdapter"]
