"""A keyword interpreter: the fallback NLU when the model-based one is switched off.

Same output shape as intents.NluEngine (Rasa-compatible), so the dialogue does not
care which one answered.
"""

from __future__ import annotations

import re
from typing import Any

from intents.entities import EntityExtractor
from intents.language import detect_language
from intents.text import fold

# Later entries win over earlier ones; the intents in _DECISIVE stop the search.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "affirm": ("tak", "jasne", "ok", "okej", "zgadza sie", "yes", "yep", "sure", "correct"),
    "deny": ("nie", "no", "nope", "not"),
    "opening_hours": (
        "godziny otwarcia",
        "otwarte",
        "otwarci",
        "do ktorej",
        "opening hours",
        "when are you open",
        "open today",
    ),
    "delivery_area": ("dowozicie", "gdzie dowozicie", "delivery area", "do you deliver"),
    "delivery_time": ("jak dlugo", "ile sie czeka", "how long"),
    "payment_methods": (
        "platnosc",
        "platnosci",
        "zaplacic",
        "blik",
        "payment",
        "pay by",
        "pay with",
    ),
    "prices": ("ile kosztuje", "cena", "ceny", "how much", "price", "prices"),
    "allergens": ("alergen", "alergeny", "gluten", "laktoza", "allergen", "allergens"),
    "product_info": ("sklad", "ingredients"),
    "greet": (
        "czesc",
        "hej",
        "dzien dobry",
        "witam",
        "siema",
        "hello",
        "hi",
        "hey",
        "good morning",
    ),
    "help": ("pomoc", "pomocy", "help", "co umiesz", "what can you do"),
    "show_cart": ("koszyk", "cart", "basket"),
    "clear_cart": ("wyczysc koszyk", "empty cart", "clear cart", "empty my cart"),
    "browse_menu": (
        "menu",
        "karta",
        "co macie",
        "oferta",
        "what do you have",
        "pizze",
        "pizzas",
        "napoje",
        "drinks",
        "sosy",
        "sauces",
    ),
    "add_to_cart": (
        "poprosze",
        "zamawiam",
        "dodaj",
        "chce",
        "chcialbym",
        "chcialabym",
        "i'd like",
        "i want",
        "add",
        "give me",
        "order",
    ),
    "thanks": ("dzieki", "dziekuje", "thanks", "thank you"),
    "goodbye": ("pa", "do widzenia", "bye", "goodbye", "na razie"),
    "link_channels": (
        "polacz konto",
        "polacz konta",
        "polacz",
        "link account",
        "link my account",
        "connect account",
        "/link",
        "kontynuuj w",
        "continue in",
    ),
    # Before human_handoff: "przekaż wiadomość dla obsługi" is a message, not a chat.
    "leave_message": (
        "zostawic wiadomosc",
        "zostawie wiadomosc",
        "zostawic wiadomosci",
        "przekaz wiadomosc",
        "przekazac wiadomosc",
        "przekazcie wiadomosc",
        "wiadomosc dla",
        "leave a message",
        "leave message",
        "leave a note for",
        "pass a message",
        "pass on a message",
        "message for the team",
        "message for the staff",
    ),
    "human_handoff": (
        "czlowiek",
        "czlowieka",
        "czlowiekiem",
        "konsultant",
        "konsultanta",
        "konsultantem",
        "pracownik",
        "pracownika",
        "pracownikiem",
        "kims z obslugi",
        "ktos z obslugi",
        "human",
        "agent",
        "real person",
        "a person",
        "someone from staff",
        "someone from the staff",
        "member of staff",
        "staff member",
    ),
    "change_language": (
        "po polsku",
        "english please",
        "in english",
        "po angielsku",
        "polish please",
    ),
    "remove_from_cart": ("usun", "wyrzuc", "remove", "delete", "take out"),
    "change_item": ("zmien", "jednak", "zamiast", "actually", "make it", "change", "instead"),
    "checkout": (
        "zamawiam",
        "do kasy",
        "zloz zamowienie",
        "to wszystko",
        "checkout",
        "check out",
        "place the order",
        "place my order",
        "that's all",
    ),
    "order_status": (
        "gdzie jest moje zamowienie",
        "gdzie moje zamowienie",
        "status",
        "where is my order",
        "order status",
        "kiedy bedzie",
    ),
    "cancel_order": ("anuluj", "anuluj zamowienie", "rezygnuje", "cancel", "cancel my order"),
    "reorder": (
        "to samo co ostatnio",
        "to co ostatnio",
        "jeszcze raz to samo",
        "zamow ponownie",
        "same as last time",
        "reorder",
        "order again",
    ),
    "rate_order": ("ocen", "ocenic", "ocena", "rate", "review"),
    "complaint": (
        "reklamacja",
        "reklamacje",
        "reklamacji",
        "skarga",
        "zimna",
        "zimne",
        "complaint",
        "was cold",
        "arrived cold",
    ),
    "restart": ("zacznij od nowa", "od nowa", "restart", "start over"),
}
_DECISIVE = frozenset(
    "change_language link_channels leave_message human_handoff remove_from_cart change_item "
    "checkout order_status cancel_order reorder rate_order complaint restart".split()
)


class KeywordInterpreter:
    def __init__(self, products: dict[str, list[str]]) -> None:
        # Entities are the model NLU's own (one rule for products, sizes, phones…), without
        # the lemmatizer, whose dictionaries would cost the instant start seconds.
        self._entities = EntityExtractor(products, lemmas=False)

    def parse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        folded = fold(text)
        lang = lang or detect_language(text)
        entities = self._entities.extract(text, lang)
        intent, confidence = "nlu_fallback", 0.0
        for name, words in _KEYWORDS.items():
            if any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", folded) for w in words):
                intent, confidence = name, 0.9
                if name in _DECISIVE:
                    break
        has_product = any(e["entity"] == "product" for e in entities)
        if has_product and intent in ("nlu_fallback", "browse_menu", "add_to_cart", "checkout"):
            intent, confidence = "add_to_cart", 0.9
        return {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
            "entities": entities,
            "lang": lang,
            "faq": None,
        }

    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        return self.parse(text, lang)
