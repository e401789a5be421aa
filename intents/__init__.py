"""NLU for Omnibot: intents, out-of-scope detection, entities and FAQ competition.

Imports nothing from `bot` or `adapters`.
"""

from intents.data import FALLBACK, Examples, load_intents_dir
from intents.engine import FAQ_INTENT, NluEngine
from intents.language import detect_language

__all__ = ["FALLBACK", "FAQ_INTENT", "Examples", "NluEngine", "detect_language", "load_intents_dir"]
