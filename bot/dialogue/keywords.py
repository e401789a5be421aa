"""A keyword interpreter: the fallback NLU when the model-based one is switched off.

Same output shape as intents.NluEngine (Rasa-compatible), so the dialogue does not
care which one answered.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain.phones import find_phones
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
    "human_handoff": (
        "czlowiek",
        "czlowiekiem",
        "konsultant",
        "konsultantem",
        "human",
        "agent",
        "real person",
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
    "change_language link_channels human_handoff remove_from_cart change_item checkout "
    "order_status cancel_order reorder rate_order complaint restart".split()
)
_ORDER_NUMBER = re.compile(r"(?<!\w)pz[-\s]?(\d{5})(?!\d)")
_CATEGORIES = {
    "pizza": ("pizza", "pizze", "pizzas", "pizzy"),
    "drinks": ("napoje", "napoj", "drinks", "drink", "picie"),
    "sauces": ("sosy", "sos", "sauces", "sauce"),
}
_SIZES = {
    "small": ("mala", "mala", "malej", "male", "small"),
    "medium": ("srednia", "srednie", "sredniej", "medium"),
    "large": ("duza", "duze", "duzej", "duzy", "large", "big"),
}
_NUMBERS = {
    "jeden": 1,
    "jedna": 1,
    "jedno": 1,
    "one": 1,
    "dwa": 2,
    "dwie": 2,
    "two": 2,
    "trzy": 3,
    "three": 3,
    "cztery": 4,
    "four": 4,
    "piec": 5,
    "five": 5,
}


class KeywordInterpreter:
    def __init__(self, products: dict[str, list[str]]) -> None:
        # Longest surface form first so "quattro formaggi" wins over "quattro".
        forms = [(fold(f), pid) for pid, names in products.items() for f in [pid, *names]]
        self._products = sorted(forms, key=lambda fp: -len(fp[0]))

    def parse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        folded = fold(text)
        entities = self._entities(folded)
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
            "lang": lang or detect_language(text),
            "faq": None,
        }

    def _entities(self, folded: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        taken: list[tuple[int, int]] = []

        def add(entity: str, value: Any, start: int, end: int) -> None:
            if any(s < end and start < e for s, e in taken):
                return
            taken.append((start, end))
            found.append(
                {"entity": entity, "value": value, "start": start, "end": end, "confidence": 1.0}
            )

        for m in _ORDER_NUMBER.finditer(folded):
            add("order_number", f"PZ-{m.group(1)}", m.start(), m.end())
        for phone in find_phones(folded):
            add("phone", phone.e164, phone.start, phone.end)
        for form, pid in self._products:
            # Inflected endings (margherity, margheritę) share the stem.
            stem = form[:-1] if len(form) > 3 else form
            for m in re.finditer(rf"(?<!\w){re.escape(stem)}\w{{0,3}}(?!\w)", folded):
                add("product", pid, m.start(), m.end())
        for table, entity in ((_CATEGORIES, "category"), (_SIZES, "size")):
            for value, words in table.items():
                for w in words:
                    for m in re.finditer(rf"(?<!\w){re.escape(w)}\w{{0,2}}(?!\w)", folded):
                        add(entity, value, m.start(), m.end())
        for m in re.finditer(r"(?<![\w.,])(\d{1,4})(?![\w.,])", folded):
            add("quantity", int(m.group(1)), m.start(), m.end())
        for word, count in _NUMBERS.items():
            for m in re.finditer(rf"(?<!\w){word}(?!\w)", folded):
                add("quantity", count, m.start(), m.end())
        return sorted(found, key=lambda e: e["start"])

    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        return self.parse(text, lang)
