"""Checkout: delivery or pickup → address → name and phone → summary → pay and confirm.

What we already know is not asked again: delivery or pickup (and the address) said with
the order ("duża margherita na wynos", "2 pepperoni z dostawą na Długą 5"), a name and phone
typed before the checkout; a returning customer's name and phone, and the last delivery
address, are offered as one-tap buttons. Name and phone may come in one message.
The summary invites an optional note for the kitchen or the driver: free text typed there
that is nothing else (no correction, no change, no payment, no question) is the note, and
the summary is shown again with it. Every step can be changed from the summary; "cancel"
ends checkout and keeps the cart.

The shop's facts hold: outside opening hours no order is taken (the customer hears when
the shop opens); an address outside the delivery area is refused with the pickup offer;
the customer pays with one of the methods offered for their way of fulfilment, chosen
with the confirmation ("Zamawiam · karta", or typed: "potwierdzam, kartą"); a bare
"potwierdzam" asks how they pay, and that answer places the order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

from bot.dialogue.flows import FlowKit, end_flow, is_skip, said, said_in, said_yes
from bot.dialogue.turn import Reply, Turn
from bot.domain.handoff import LEFT_MESSAGE
from bot.domain.order_status import OPEN
from bot.domain.phones import around_phone, find_phone, normalise_phone, readable_phone
from bot.domain.pricing import quote
from bot.messages import Button
from bot.orders import last_delivery_address, latest_order
from bot.store import repo
from bot.store.models import utcnow
from intents.addresses import address_spans, street_spans
from intents.doors import door_note, flat_number
from intents.text import fold
from knowledge.catalog import format_price
from knowledge.shop import PAYMENT_METHODS, ShopFacts, payment_in_text, payment_name

SLOTS = ("fulfilment", "address", "contact_name", "contact_phone", "note", "payment_method")
# Read this surely (SURE), a message is no name: "thanks", "ok", "bye" asked for a name.
NOT_A_NAME = frozenset({"thanks", "goodbye", "affirm", "deny", "help", "checkout"})
# An intent this sure is what the message means, not a note (the engine's bar to interrupt).
SURE = 0.8
# At the summary an FAQ guess below this, for a sentence that asks nothing, is a note.
FAQ_OVER_NOTE = 0.9
# Digits that may have been meant as a phone number ("600 11"): worth a "that's not valid".
_DIGITS = re.compile(r"\d{3}")
_NAME_PREFIX = re.compile(
    r"^\s*(nazywam si[eę]|mam na imi[eę]|jestem|to|imi[eę]:?|my name is|i'?m|i am|name:?|it'?s)\s+",
    re.I,
)
# The other way typed after one was chosen: the way alone ("z dostawą", "pickup then"), or
# with a word of changing one's mind ("jednak wolę z dostawą"); "odbiorę przy bramie" at the
# summary is a note.
_WAY_ALONE = re.compile(
    r"^\W*(ok\W+|okay\W+|to\s+|then\s+)?(z\s+|na\s+|for\s+|with\s+)?"
    r"(dostaw\w*|dowoz\w*|delivery|odbior\w*(\s+osobist\w*)?|osobiscie|wynos|"
    r"pick\s?up|takeaway|take away|collection)"
    r"(\s+(then|prosze|please|w takim razie))?\W*$"
)


# FAQ topics a way typed alone may be taken for ("dostawa", "delivery", "pickup").
WAY_TOPICS = ("delivery_area", "delivery_time", "faq", "prices")


def way_alone(text: str) -> bool:
    """Delivery or pickup typed alone ("z dostawą", "pickup then"), nothing else said."""
    return bool(_WAY_ALONE.match(fold(text)))


_CHANGING_MIND = re.compile(
    r"\b(jednak|wole|zmien\w*|zamiast|lepiej|raczej|actually|instead|rather|prefer\w*|"
    r"change|switch|make it|on second thought)\b"
)
# Done ordering, in words the NLU may not know ("koniec zamówienia", "skończyłem", "done with
# my order", "to na razie tyle", "all set"): a word of ending and nothing else but small
# words; folded.
_DONE_SMALL = (
    r"ok|okay|dobra|no|to|i|juz|a|and|so|well|z|na|the|my|of|with|for|moje\w*|mojej|strony|"
    r"zamowieni\w*|zamawiani\w*|order\w*|dzis|teraz|now|today|thanks|thank|you|dziekuje|"
    r"dzieki|please|prosze|bylo|by|that'?s|it'?s|this|is|that|razie|for|we'?re|i'?m|tym|tego|"
    r"here|there|from|me|us"
)
_DONE_ORDERING = re.compile(
    rf"^\W*(?:(?:{_DONE_SMALL})\W+)*"
    r"(?:koniec|koncze|konczy\w*|konczmy|skonczyl\w*|skonczone|gotowe|wystarczy|starczy|tyle|wszystko|"
    r"done|finished|end|that'?s it|that'?s all|everything|all good|all set|good to go)"
    rf"(?:\W+(?:{_DONE_SMALL}))*\W*$"
)


def done_ordering(folded: str) -> bool:
    """A word of being done ordering with nothing else but small words (folded text)."""
    return _DONE_ORDERING.match(folded) is not None


# The customer's own doing, said with a way ("you know what, I'll just pick it up myself",
# "sama odbiorę"): a change of the way chosen, not a note about it; folded.
_OWN_DOING = re.compile(r"\b(myself|ourselves|sam|sama|sami|you know what|wiesz co|wiecie co)\b")
# Wanting a way, said as a wish ("chcę odebrać osobiście", "i'd like it delivered"): a choice,
# not a note that merely mentions one; folded.
_WANTING = re.compile(
    r"\b(chce|chcial\w*|chcemy|wolal\w*|wolimy|i want|we want|i'?d like|we'?d like|"
    r"i would like|we would like|i'?ll|we'?ll)\b"
)
# What we know from before, asked for in words ("the same address as last time", "te same
# dane co poprzednio"); folded.
_AS_BEFORE = re.compile(
    r"\b(same|previous\w*|last time|as before|before|earlier|usual\w*|old|"
    r"(ten|ta|te|to|tym|tej|tego|tamten\w*)\s+sam\w*|ostatnio|ostatnim razem|poprzedni\w*|"
    r"wczesniej\w*|jak zawsze|jak zwykle|stary\w*|starego)\b"
)
# Words that may come with a payment method said alone ("I'll pay cash", "płacę kartą").
_PAY_FILLERS = frozenset(
    "i ll i'll will pay paying by with in place zaplace platnosc w przez prosze please then".split()
)


def only_payment(text: str) -> bool:
    """How one pays, said alone ("cash", "kartą", "płacę blikiem"): an answer, never a name."""
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", fold(text))
    paid = [w for w in words if payment_in_text(w, tuple(PAYMENT_METHODS))]
    return bool(paid) and all(w in paid or w in _PAY_FILLERS for w in words)


USE_SAVED_AT = {"address": "address", "name": "contact_name", "phone": "contact_phone"}
DELIVERY_WORDS = ("dostaw", "dowoz", "dowiez", "do domu", "przywiez", "deliver", "bring")
# "z dostawą na Długą 5", "delivered to 12 Baker St", "can you deliver it instead? to
# Szewska 8": the address said with the way (a few small words may come between).
# Or set off by a comma, colon or dash with no word between ("na dowóz, Krowoderska 20
# Kraków", "delivery: 12 Baker St"): then only what starts as a street and its number ("ul."
# and the like, a word or three, a number) is an address — "z dostawą, 2 cole" orders.
_ADDRESS_AFTER = re.compile(
    r"(?:dostaw|dow[oó]z|dowie[zź]|przywie[zź]|deliver|bring|send|drop)\w*"
    r"(?:[\s,?!]+(?:it|them|that|this|instead|then|please|me|us|rather|too|also|je|ja|go|"
    r"nam|mi|to|tez|jednak|prosze|proszę|też|over|round|around|off|the order|my order|"
    r"our order)){0,3}"
    r"(?:[\s,?!]+(?:na|pod|do|to|at)\s+(?:(?:ten\s+)?adres\w*\s+|(?:the\s+)?address\s+)?"
    r"|(?:\s*[,:;]\s*|\s+[-–]\s+)(?=(?:(?:ul|al|os|pl|sw|św|gen|ks|kard|prof|marsz|bp)\.?\s+){0,2}[^\W\d_]{3,}\.?"
    r"(?:\s+[^\W\d_]+\.?){0,2}\s+\d+[^\W\d_]?(?:/\d+)?\b))"
    r"(?P<address>.+)$",
    re.I,
)
_POLITE_END = re.compile(
    r"[\s,.;:!]*(?:(?:i\s+)?(?:prosz[eę]|please|thanks|thank you|dzi[eę]ki|instead|then|rather|"
    r"jednak|w takim razie)[\s,.;:!]*)*$",
    re.I,
)
# An address said after "to" / "na" / "pod" with no word of delivering, whole: a street and
# its number, a comma, then the place ("…to os. Teatralne 5, Nowa Huta", "na Długą 5,
# Kraków"). Only so is it sure enough to mean delivery there.
_BARE_ADDRESS = re.compile(
    r"(?:^|[\s,])(?:to|na|pod)\s+"
    r"(?!(?:order|zam[oó]wieni\w*|nr|numer|number|size|rozmiar)\b)"
    r"(?P<address>(?:(?:ul|al|os|pl|sw|św|gen|ks|kard|prof|marsz|bp)\.?\s+){0,2}[^\W\d_]{3,}\.?(?:\s+[^\W\d_]+\.?){0,2}\s+"
    r"\d+[^\W\d_]?(?:/\d+)?(?:\s*(?:m\.?|lok\.?)\s*\d+)?\s*,\s*"
    r"(?:\d{2}-\d{3}\s+)?[^\W\d_]{3,}[^,;?!]*)$",
    re.I,
)
# The place that ends such an address: a town or district, maybe after its postcode ("Nowa
# Huta", "31-511 Kraków"); not "mieszkanie 12" of a door note ("na klatce 3, mieszkanie 12").
_PLACE = re.compile(r"(?:\d{2}-\d{3}\s+)?[^\W\d_]{3,}(?:[\s-]+[^\W\d_]+){0,3}")
# The house number of a kept address, and its flat if it has one ("Długa 5", "Długa 5/3").
_HOUSE_NUMBER = re.compile(r"(?<=[^\W\d_]\s)\d+[^\W\d_]?(?P<flat>\s*/\s*\d+)?(?![\w/])")
_AND_AT_END = re.compile(r"[\s,]+(?:i|oraz|and|plus|\+|a)?[\s,]*$", re.I)
_LETTERS = re.compile(r"[^\W\d_]{2}")
_SENTENCE_END = re.compile(r"[?!.]+\s*")
# Asking for the order to be brought, in words that alone mean nothing of the kind ("bring
# me a coke" orders): "can you bring it to Długa 12", "drop it off at Szewska 8".
BRING_WORDS = (
    "bring it",
    "bring them",
    "bring the order",
    "bring my order",
    "bring our order",
    "bring the food",
    "bring the pizza",
    "drop it off",
    "drop them off",
    "send it to",
    "send them to",
    "send the order",
)
NOT_DELIVERY = (
    "bez dostaw",
    "bez dowozu",
    "nie dostaw",
    "no deliver",
    "not deliver",
    "without deliver",
)
PICKUP_WORDS = (
    "odbi",
    "odbior",
    # "odebrać", "odbierze": the verb's other stems.
    "odebra",
    "odbier",
    "osobiscie",
    "na miejscu",
    "pickup",
    "pick up",
    "pick it up",
    "collect",
    "take away",
    "takeaway",
    # Coming for it in person: "I'll come and get it", "przyjdę po nią".
    "come and get",
    "come get",
    "come and pick",
    "come pick",
    "come and collect",
    "come collect",
    "get it myself",
    "get it ourselves",
    "przyjde po",
    "przyjdziemy po",
    "przyjade po",
    "przyjedziemy po",
    "podjade po",
    "podjedziemy po",
    "wpadne po",
    "wpadniemy po",
    "come grab",
    "come and grab",
    "come by",
    "come over and get",
    "swing by",
    "pop by",
    "pop in",
    "pop over",
    "pop round",
    "stop by",
    "drop by",
    "grab it myself",
    "grab them myself",
)
# Coming for it in person with the words in another order ("sam po nią podjadę", "po pizzę
# wpadnę"): what is fetched, then a verb of coming, or the verb said with "sam"; folded.
_COMING_FOR_IT = re.compile(
    r"\bpo\s+(?:nia|nie|niego|to|pizz\w*|zamowieni\w*|jedzeni\w*)\s+(?:sam\w*\s+)?"
    r"(?:przyjd|przyjad|przyjed|podjad|podjed|wpadn|podejd|podskocz|skocz|zajd|zajad)\w*"
    r"|\b(?:sam|sama|sami|osobiscie)\s+(?:przyjd|przyjad|przyjed|podjad|podjed|wpadn|podejd|"
    r"podskocz|skocz|zajd|zajad|odbior|odbierz)\w*"
)
CHANGE_FIELDS = {
    "address": ("adres", "address", "ulic", "street"),
    "contact_phone": ("telefon", "numer", "phone", "number"),
    "contact_name": ("imie", "nazwisk", "name"),
    "note": ("uwag", "note", "comment", "komentarz"),
    "payment_method": ("platn", "plac", "zaplac", "pay", "payment"),
    "fulfilment": ("dostaw", "odbi", "delivery", "pickup", "pick up"),
}
# Words that only confirm, say how one pays or are polite ("tak, zapłacę kartą, dziękuję",
# "yes, by card please"): what a message at the summary says besides them is a note. The
# payment methods' own words come from the shop facts (`PAYMENT_METHODS`).
_CONFIRMING_WORDS = frozenset(
    "potwierdzam potwierdzamy potwierdz zatwierdzam zamawiam tak ok okay okej dobrze super "
    "zaplace zaplacimy place placimy placic platnosc platne przez prosze poprosze dziekuje "
    "dzieki bardzo i a na przy odbiorze dostawie z confirm confirmed yes yeah yep sure pay "
    "paying paid by with in please thanks thank you much very and the go ahead on at "
    "delivery pickup collection dokoncz dokonczmy dokonczyc finish complete zloz zamowienie "
    "order my".split()
)
# "dokończmy zamówienie", "finish my order" at the summary: confirming, never the note.
_FINISH_WORDS = ("dokoncz", "finish", "complete", "zloz zamowienie", "place the order")
_CLAUSES = re.compile(r"[,;.!\n]+|\s[-–—]\s")


def note_beside_confirming(text: str) -> str:
    """What a confirmation says besides confirming and paying: "kartą, domofon 12" →
    "domofon 12", "card, ring twice please" → "ring twice"; "" when nothing. A question
    ("tak, a ile to potrwa?") is no note."""
    payment_words = tuple(w for m in PAYMENT_METHODS.values() for w in m["words"])

    def filler(word: str) -> bool:
        folded = fold(word).strip("?!.,:;()\"'")
        return (
            not folded
            or folded in _CONFIRMING_WORDS
            or folded.startswith(payment_words)
            or misspelt_payment(folded) is not None  # "i'll pay by crad": no note
        )

    kept = []
    for clause in _CLAUSES.split(text):
        if clause.strip().endswith("?"):
            continue
        words = clause.split()
        while words and filler(words[0]):
            words.pop(0)
        while words and filler(words[-1]):
            words.pop()
        if len(words) >= 2 or any(ch.isdigit() for w in words for ch in w):
            kept.append(" ".join(words))
    return ", ".join(kept)


CHANGE_WORDS = (
    "zmien",
    "zmienic",
    "popraw",
    "inny",
    "inna",
    "change",
    "different",
    "another",
    "correct",
    "edit",
    "wrong",
    "zly",
)
# "bez uwag" at the summary: no note (or the one typed is taken back).
NO_NOTE_WORDS = (
    "bez uwag",
    "brak uwag",
    "bez komentarz",
    "nie mam uwag",
    "usun uwag",
    "skasuj uwag",
    "wyczysc uwag",
    "no note",
    "no comment",
    "without note",
    "without a note",
    "remove the note",
    "remove note",
    "delete the note",
    "delete note",
    "clear the note",
)
# Words that confirm inside a question ("tak, kartą, a ile to potrwa?"): the order goes ahead.
# Whole words: "take" in "do your drivers take cards?" is no "tak".
_YES_WORDS = re.compile(
    r"(?<!\w)(tak|potwierdz\w*|zamawiam|dobrze|okej|yes|confirm\w*|sure|okay)(?!\w)"
)
# Questions to the bot, not notes for the kitchen ("ile to potrwa", "when will it come").
_QUESTION = re.compile(
    r"^\s*(ile|kiedy|jak|jaki|jaka|jakie|gdzie|co|dlaczego|o ktorej|"
    r"czy (jest|sa|macie|mozna|moge|da sie)|how|what|when|where|which|why|"
    r"is (there|it)|are (there|you)|do you|does|can i|could i)\b"
)


@dataclass(frozen=True)
class WaySaid:
    """Delivery or pickup said in a sentence, and the address said with it (where it
    starts in the text: the order's part ends there)."""

    way: str
    address: str | None = None
    address_at: int | None = None


_PICKUP_SAID = (*PICKUP_WORDS, "na wynos", "wynos", "for collection")
_DELIVERY_SAID = (*(w for w in DELIVERY_WORDS if w != "bring"), *BRING_WORDS)


_WAY_WORD = (
    r"(?:(?P<delivery>dostaw\w*|dowoz\w*|dowiez\w*|deliver\w*)|"
    r"(?P<pickup>odbior\w*|odbi\w*|osobisc\w*|pick\s?up|wynos|take\s?away|collect\w*))"
)
# The way changed to ("…to pickup", "…na odbiór") and the way changed from ("instead of
# delivery", "zamiast dostawy"); folded.
_TO_WAY = re.compile(rf"\b(?:na|to|for|into)\s+(?:(?:the|a|an)\s+)?{_WAY_WORD}")
_FROM_WAY = re.compile(rf"\b(?:zamiast|instead of|not|nie)\s+(?:(?:the|a|an)\s+)?{_WAY_WORD}")


def _changed_to(folded: str) -> str | None:
    """Of both ways named in a change of mind, the one changed to; None when unclear."""
    if not _CHANGING_MIND.search(folded):
        return None
    to = {m.lastgroup for m in _TO_WAY.finditer(folded)}
    away = {m.lastgroup for m in _FROM_WAY.finditer(folded)}
    if len(to) == 1 and not to & away:
        return to.pop()
    if not to and len(away) == 1:
        return "pickup" if away == {"delivery"} else "delivery"
    return None


def way_in_text(text: str) -> WaySaid | None:
    """Delivery or pickup said in a sentence ("duża margherita na wynos", "2 pepperoni z
    dostawą na Długą 5, Kraków"), with the address when one is said; None if neither. A
    whole address after "to" / "na" alone ("… to Dietla 5, Kraków") is delivery there."""
    folded = fold(text)
    if said_in(folded, NOT_DELIVERY):
        return None
    pickup = said_in(folded, _PICKUP_SAID) or bool(_COMING_FOR_IT.search(folded))
    delivery = said_in(folded, _DELIVERY_SAID)
    if not pickup and not delivery:
        bare = _BARE_ADDRESS.search(text)
        address = _POLITE_END.sub("", bare.group("address")).strip(" ,.;:?!") if bare else ""
        if bare and "," in address and _PLACE.fullmatch(address.rsplit(",", 1)[1].strip()):
            return WaySaid("delivery", bare_address(address), bare.start("address"))
        return None
    if pickup and delivery:
        # "change the delivery to pickup", "zmień dostawę na odbiór": the way changed to.
        target = _changed_to(folded)
        if target is None:
            return None
        pickup = target == "pickup"
    if pickup:
        return WaySaid("pickup")
    m = _ADDRESS_AFTER.search(text)
    address = _POLITE_END.sub("", m.group("address")).strip(" ,.;:?!") if m else ""
    if m and 5 <= len(address) <= 300 and re.search(r"\d", address) and _LETTERS.search(address):
        return WaySaid("delivery", bare_address(address), m.start("address"))
    # "could you deliver it instead? Lubicz 20/4, Kraków": the sentence ends, and what
    # follows is a whole address and nothing else.
    for end in _SENTENCE_END.finditer(text):
        if _ADDRESS_ALONE.match(text[end.end() :]):
            address = text[end.end() :].strip(" ,.;:?!")
            return WaySaid("delivery", bare_address(address), text.index(address, end.end()))
    return WaySaid("delivery")


def way_chosen(text: str) -> WaySaid | None:
    """A way chosen in words: alone ("actually pickup"), with a word of changing one's mind
    ("jednak wolę z dostawą", "change the delivery to pickup"), as one's own doing ("odbiorę
    to sam") or with its address; None for a question ("is delivery free?") or a note that
    merely mentions one."""
    said_way = way_in_text(text)
    if said_way is None:
        return None
    if "?" in text and not said_way.address:
        return None  # "is delivery free?" asks; "deliver it instead? to Szewska 8" says
    folded = fold(text)
    if (
        _WAY_ALONE.match(folded)
        or _CHANGING_MIND.search(folded)
        or _OWN_DOING.search(folded)  # "you know what, I'll just pick it up myself"
        or _WANTING.search(folded)  # "chcę odebrać osobiście"
        or said_way.address
    ):
        return said_way  # "can you bring it to Długa 12": a way with its address changes it
    return None


# Words for a way whose one-letter typo still answers delivery-or-pickup ("pikup", "dostwa",
# "delivry"); folded. As with sizes: 5+ letters, typed with 4+ and the same first letter.
_WAY_SPELLINGS = {
    **dict.fromkeys(("pickup", "odbior", "osobiscie", "collection", "takeaway"), "pickup"),
    **dict.fromkeys(("dostawa", "dostawe", "dostawy", "dowoz", "dowozem", "delivery"), "delivery"),
}


def misspelt_way(text: str) -> str | None:
    """The way a word of the text misspells by one letter, or None (none, or both ways)."""
    ways = {
        way
        for word in re.findall(r"[^\W\d_]+", fold(text))
        if len(word) >= 4
        for form, way in _WAY_SPELLINGS.items()
        if form[0] == word[0]
        and abs(len(form) - len(word)) <= 1
        and OSA.distance(word, form, score_cutoff=1) <= 1
    }
    return ways.pop() if len(ways) == 1 else None


# How one pays, and its forms, whose one-letter typo still names it ("csah", "krata",
# "gotowak"); folded. Real words one letter from them are never read so ("cart", "case").
_PAYMENT_SPELLINGS = {
    **dict.fromkeys(("cash", "gotowka", "gotowke", "gotowki"), "cash"),
    **dict.fromkeys(("card", "karta", "karte", "karty"), "card"),
    **dict.fromkeys(("blik", "blikiem"), "blik"),
}
_NOT_PAYMENT_TYPOS = frozenset(
    "cart care cars case cast cask casa kasa bank blok kara gotowa".split()
)


def misspelt_payment(text: str) -> str | None:
    """The payment method a message names by one misspelt word and nothing else but words
    that come with paying ("csah", "płacę krata"), or None."""
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", fold(text))
    others = [w for w in words if w not in _PAY_FILLERS]
    if len(others) != 1 or len(others[0]) < 4 or others[0] in _NOT_PAYMENT_TYPOS:
        return None
    word = others[0]
    methods = {
        method
        for form, method in _PAYMENT_SPELLINGS.items()
        if form[0] == word[0]
        and abs(len(form) - len(word)) <= 1
        and OSA.distance(word, form, score_cutoff=1) <= 1
    }
    return methods.pop() if len(methods) == 1 else None


# A note for the kitchen or the driver said as one ("uwagi: pół na pół z hawajską", "w
# uwagach: bez cebuli", "note: half diavola half margherita"): what follows the label is the
# note, whatever it names.
_NOTE_LABEL = re.compile(
    r"^\W*(?:(?:a|i|and|also|plus|oraz)\s+)?"
    r"(?:(?:prosze\s+|please\s+)?(?:w\s+uwagach|do\s+uwag|in\s+the\s+notes?|for\s+the\s+notes?|"
    r"as\s+a\s+note)\s*[:\-–]?|(?:uwag[ai]|notes?|a\s+note|komentarz|comment)"
    r"(?:\s+(?:dla|do|for(?:\s+the)?)\s+\w+)?\s*[:\-–])\s*(?P<note>\S.*)$",
    re.I | re.S,
)


def labelled_note(text: str) -> str | None:
    """The note of a message that starts with a note's label, or None."""
    m = _NOTE_LABEL.match(fold(text))
    return text[m.start("note") :].strip()[:500] if m else None


# Correcting what was given ("pomyliłam się, ma być Kapucyńska 8/5 a nie 8/3", "oops, wrong
# number, it's 600 676 899"); folded.
_CORRECTS = re.compile(
    r"\b(pomylil\w*|pomylk\w*|ma byc|mial byc|miala byc|powinno byc|powinien byc|zly|zle|"
    r"bledn\w*|blad|literowk\w*|wrong|mistake|typo|should be|meant|oops|sorry|sorki|"
    r"przepraszam|correct\w*|popraw\w*)\b"
)
# The place after a street and its number ("…, Kraków").
_PLACE_AFTER_STREET = re.compile(r"\s*,\s*(?:\d{2}-\d{3}\s+)?[^\W\d_]{3,}(?:[ -][^\W\d_]{3,}){0,2}")
# Words a street and its number found in a sentence may start with that are no part of it
# ("ma być Kapucyńska 8/5", "it's Dietla 5"); folded.
_BEFORE_STREET = frozenset(
    "byc jest to ma na pod adres adresem prawidlowy poprawny powinno powinien is its it's be "
    "the address correct right should meant".split()
)


def _street_itself(found: str, old: str) -> str:
    """The street and number of `found` without the words before it: from the old address's
    street name when it is there again, else without the small words of `_BEFORE_STREET`."""
    words = found.split()
    named = fold(old.split()[0]) if old.split() else ""
    for i, word in enumerate(words[:-1]):
        if named and fold(word) == named:
            return " ".join(words[i:])
    while len(words) > 2 and fold(words[0]).strip(".,") in _BEFORE_STREET:
        words = words[1:]
    return " ".join(words)


# What right before a street and number says it is not meant ("…a nie 8/3").
_NOT_MEANT = re.compile(r"\b(nie|not|no|zamiast|instead of|rather than)\s*$")


# A street and its number ("Długa 5", "ul. Lubicz 12/4", "os. Centrum A 5"): an address.
_STREET_AND_NUMBER = re.compile(
    r"(?<!\w)[^\W\d_]{3,}\.?(?:\s+[^\W\d_]+\.?){0,3}\s+\d+[^\W\d_]?(?:/\d+)?(?!\w)"
)
# A whole address typed alone: a street and its number (number first in English: "12 Baker
# Street"), a comma, then the place, maybe after its postcode ("Krakowska 12/3, Krakow",
# "ul. Długa 5 m. 3, 31-000 Kraków", "12 Baker Street, Krakow"). Nothing else reads so.
_ADDRESS_ALONE = re.compile(
    r"^\W*(?:(?:(?:ul|al|os|pl|sw|św|gen|ks|kard|prof|marsz|bp)\.?\s+){0,2}[^\W\d_]{3,}\.?(?:\s+[^\W\d_]+\.?){0,3}\s+\d+[^\W\d_]?"
    r"(?:\s*/\s*\d+)?(?:\s*(?:m\.?|lok\.?)\s*\d+)?"
    r"|\d+[^\W\d_]?(?:/\d+)?\s+[^\W\d_]{3,}(?:\s+[^\W\d_]+){0,2}\s+"
    r"(?:street|st|road|rd|avenue|ave|lane|ln|way|drive|dr|square|sq|place|close|court)\.?)"
    r"\s*,\s*(?:\d{2}-\d{3}\s+)?[^\W\d_]{3,}(?:[\s-]+[^\W\d_]+){0,3}\W*$",
    re.I,
)


# What is said before an address and is no part of it: the word itself ("adres: Długa 5",
# "my address is 12 Baker St", "address 12 Baker St") and a preposition of where ("na Tomasza
# 20", "do Długiej 5", "pod Szewską 8", "to 12 Baker St", "at", "on"). A Polish one typed
# with its capital letter starts a street named so ("Na Zjeździe 11", "Pod Fortem 3"): kept
# as typed.
_ADDRESS_LEAD = re.compile(
    r"^\W*(?:(?:(?:my|our|the|moj|mój|nasz)\s+)?(?:adres\w*|address(?:es)?)\b\s*"
    r"(?:(?::|is\b|to\b|jest\b|-)\s*)?|(?:(?-i:na|do|pod)|to|at|on|onto)\s+)+",
    re.I,
)


def bare_address(text: str) -> str:
    """The address without what leads up to it ("na Tomasza 20" → "Tomasza 20", "adres ul.
    Tomasza 20, Kraków" → "ul. Tomasza 20, Kraków"); unchanged when nothing of an address
    (letters and a number) would be left."""
    text = text.strip()
    lead = _ADDRESS_LEAD.match(text)
    rest = text[lead.end() :].strip() if lead else text
    if rest != text and re.search(r"\d", rest) and _LETTERS.search(rest):
        return rest
    return text


def streets_named_like_products(turn: Turn) -> list[dict[str, Any]]:
    """The products (and numbers) the NLU found in a street and its number ("Tomasza 20"
    read as 20 tomato sauces): the entities inside each street-and-number of the text."""
    streets = [m.span() for m in _STREET_AND_NUMBER.finditer(turn.text)]
    named = [
        (s, e)
        for s, e in streets
        if any(s <= int(p.get("start", 0)) < e for p in turn.entities("product"))
    ]
    return [
        e
        for e in turn.parse.get("entities", [])
        if e.get("entity") in ("product", "quantity", "size")
        and any(s <= int(e.get("start", 0)) < end for s, end in named)
    ]


def address_alone(text: str) -> bool:
    """The message is a whole address and nothing else (see `_ADDRESS_ALONE`)."""
    return bool(_ADDRESS_ALONE.match(text)) and not door_note(text)


# "na ten sam adres co poprzednio", "to my previous address": delivery, where it went last.
_ADDRESS_WORD = re.compile(
    r"\b(adres\w*|address\w*|miejsc\w*|tam gdzie|(same|previous|usual|last|old)\s+(place|spot|"
    r"location|flat|house)|(place|spot|location) (as|like)\b)\b"
)


def address_as_before(text: str) -> bool:
    """The text asks for the last delivery address in words (folded or not)."""
    folded = fold(text)
    return bool(_ADDRESS_WORD.search(folded) and _AS_BEFORE.search(folded))


_ADDRESS_WORD_BEFORE = re.compile(
    r"(?:(?:my|our|the|moj|mój|nasz)\s+)?(?:adres\w*|address)\s*(?:(?::|is|to|jest|-)\s*)?$",
    re.I,
)


def address_with_order(text: str) -> WaySaid | None:
    """An address said with an order and no word of the way ("duża margherita, adres ul.
    Tomasza 20, Kraków", "a large margherita, my address is 12 Baker Street"): delivery
    there — an address is given to be brought something. None without one clear address."""
    spans = address_spans(text)
    if len(spans) != 1 or "?" in text or door_note(text):
        return None
    start, end = spans[0]
    # The order's part ends before the word that leads to it ("…, adres ul. Tomasza 20").
    lead = _ADDRESS_WORD_BEFORE.search(text[:start])
    at = lead.start() if lead else start
    return WaySaid("delivery", bare_address(text[start:end].strip(" ,.;:")), at)


def _item_at(turn: Turn, at: int) -> bool:
    """What follows `at` starts with an item, not a street: a size or a number right before
    a product ("medium capricciosa and 2 juices"), or a product not followed by its house
    number ("capricciosa and a coke"; "Tomasza 20" is a street named like a product)."""
    following = sorted(
        (e for e in turn.parse.get("entities", []) if int(e.get("start", 0)) >= at),
        key=lambda e: int(e.get("start", 0)),
    )
    if not following or turn.text[at : int(following[0].get("start", 0))].strip(" ,.;:-"):
        return False
    first = following[0]
    if first.get("entity") in ("size", "quantity"):
        nxt = following[1] if len(following) > 1 else None
        return (
            nxt is not None
            and nxt.get("entity") == "product"
            and not turn.text[int(first.get("end", 0)) : int(nxt.get("start", 0))].strip()
        )
    rest = turn.text[int(first.get("end", 0)) :]
    return first.get("entity") == "product" and not re.match(r"\s*\d", rest)


# The address named as such ("adres: Na Zjeździe 11", "my address is 5 Baker St"); folded.
_ADDRESS_NAMED = re.compile(r"\b(?:adres\w*|address(?:es)?)\b")


def labelled_address(text: str) -> WaySaid | None:
    """An address given under its name ("adres: Na Zjeździe 11", "mój adres to Długa 5", "my
    address is 5 Baker St"): delivery there. None without one clear address so named."""
    return address_with_order(text) if _ADDRESS_NAMED.search(fold(text)) else None


def remember_way(turn: Turn, address: bool = True) -> None:
    """An order (or the wish to check out) that says how it is fulfilled: kept for the
    checkout, which then does not ask again (the summary shows it; "Zmień" changes it).
    An address said with it is no part of the order ("12 Baker St" orders no 12 pizzas)."""
    if turn.from_button:
        return
    said_way = way_in_text(turn.text)
    as_before = (
        (said_way is None or (said_way.way == "delivery" and not said_way.address))
        and "?" not in turn.text
        and address_as_before(turn.text)
    )
    if as_before:
        # "…i 2 cole, na ten sam adres co poprzednio": delivered where the last order went.
        said_way = WaySaid("delivery")
    elif said_way is None and (turn.entities("product") or _ADDRESS_NAMED.search(fold(turn.text))):
        said_way = address_with_order(turn.text)
    if said_way is None or ("?" in turn.text and not said_way.address):
        return  # "czy jest dostawa?" asks; "can I get two delivered to Długa 5?" orders
    if said_way.address_at is not None and _item_at(turn, said_way.address_at):
        said_way = WaySaid(said_way.way)  # "for delivery: medium capricciosa and 2 juices"
    slots = dict(turn.state.slots or {})
    if said_way.address or said_way.way != slots.get("given_fulfilment") or as_before:
        # A new address, or another way: the address said before no longer holds. The same
        # way read again (its address already cut from the text) keeps it.
        slots.pop("given_address", None)
        slots.pop("given_address_as_before", None)
    if as_before:
        slots["given_address_as_before"] = True
    slots["given_fulfilment"] = said_way.way
    if said_way.address and said_way.address_at is not None:
        cut, text = said_way.address_at, turn.text
        entities = turn.parse.get("entities", [])
        # Items named after the address are still the order ("…na Długą 5 i dwie cole"); a
        # street named like one ("na Tomasza 20": no tomato sauce) is the address's own.
        street = _STREET_AND_NUMBER.match(text, cut)
        after = [
            e
            for e in entities
            if int(e.get("start", 0)) >= (street.end() if street else cut)
            and e.get("entity") in ("product", "size")
        ]
        end = min((int(e["start"]) for e in after), default=len(text))
        quantity = [
            e
            for e in entities
            if e.get("entity") == "quantity"
            and cut <= int(e.get("start", 0)) < end
            and not text[int(e.get("end", 0)) : end].strip()
        ]
        end = min([end, *(int(e["start"]) for e in quantity)])
        place = _AND_AT_END.sub("", text[cut:end])
        place = bare_address(_POLITE_END.sub("", place).strip(" ,.;:"))
        if address and 5 <= len(place) and re.search(r"\d", place) and _LETTERS.search(place):
            slots["given_address"] = place
        kept = [e for e in entities if not cut <= int(e.get("start", 0)) < end]
        turn.parse = {
            **turn.parse,
            "text": text[:cut] + " " * (end - cut) + text[end:],
            "entities": kept,
        }
    turn.state.slots = slots


def remember_payment(turn: Turn) -> None:
    """How they pay, said as a part of its own beside the order or the wish to check out
    ("2 cole, odbiór osobisty, kartą", "gotówka"): kept for the summary, where a bare
    "potwierdzam" then pays so (offered for the way or not: the summary checks)."""
    if turn.from_button:
        return
    for part in _CLAUSES.split(turn.text):
        if part.strip() and only_payment(part):
            method = payment_in_text(fold(part), tuple(PAYMENT_METHODS))
            if method:
                turn.state.slots = {**(turn.state.slots or {}), "given_payment": method}
            return


STEP_OF_SLOT = {
    "fulfilment": "fulfilment",
    "address": "address",
    "contact_name": "name",
    "contact_phone": "phone",
    "note": "note",
    "payment_method": "confirm",  # chosen in the summary
}


class CheckoutFlow:
    name = "checkout"
    takes_any_text = False

    def __init__(self, kit: FlowKit) -> None:
        self.kit = kit

    # -- slots -----------------------------------------------------------------------
    def slots(self, turn: Turn) -> dict[str, Any]:
        return dict(turn.state.slots or {})

    def set(self, turn: Turn, **values: Any) -> None:
        turn.state.slots = {**(turn.state.slots or {}), **values}

    def unset(self, turn: Turn, *names: str) -> None:
        turn.state.slots = {k: v for k, v in (turn.state.slots or {}).items() if k not in names}

    async def saved(self, turn: Turn) -> dict[str, str | None]:
        """What we know from before: the customer's name and phone, the last address."""
        last = await latest_order(turn.session, turn.customer.id, preloaded=turn.preloaded)
        given = self.slots(turn)  # typed earlier in this conversation ("Anna, 601 234 567")
        # The name and phone of the last order go together (an SMS customer's own number
        # may not be the one they gave); without an order, what the customer record knows.
        name, phone = (
            (last.contact_name, last.contact_phone)
            if last is not None and last.contact_phone
            else (turn.customer.name, turn.customer.phone)
        )
        return {
            "contact_name": given.get("given_name") or name or turn.customer.name,
            "contact_phone": given.get("given_phone") or phone,
            "address": await last_delivery_address(turn.session, turn.customer.id),
        }

    # -- the flow --------------------------------------------------------------------
    async def start(self, turn: Turn) -> None:
        if turn.state.flow == self.name:
            await self.ask(turn)
            return
        cart = await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)
        if not cart.items:
            self.say_with_menu(turn, "cart_empty_checkout")
            return
        if not self.facts.is_open(utcnow()):
            kept = str(self.slots(turn).get("given_address") or "")
            if kept and fold(kept) in fold(turn.text):
                # Typed now, kept for when the shop opens: the checkout then starts from it.
                self.kit.speaker.say(turn, "address_kept", address=kept)
            self.open_now(turn)
            return
        self.unset(turn, *SLOTS, "pending_items")
        remember_way(turn)  # "zamawiam na wynos", "checkout, delivery to Długa 5"
        given = self.slots(turn)
        if given.get("given_phone"):
            # Told us just before: not asked again (the summary shows it, "Zmień" changes it);
            # a phone said with the order without a name: only the name is asked.
            self.set(turn, contact_phone=given["given_phone"])
            if given.get("given_name"):
                self.set(turn, contact_name=given["given_name"])
        way, address = given.get("given_fulfilment"), given.get("given_address")
        if way == "delivery" and not address and given.get("given_address_as_before"):
            address = (await self.saved(turn))["address"]  # none saved: the step asks
        if given.get("given_note"):
            self.set(turn, note=str(given["given_note"]))  # "domofon 3" typed before
        if given.get("given_payment") in PAYMENT_METHODS:
            self.set(turn, payment_method=str(given["given_payment"]))  # "…, kartą" before
        self.unset(
            turn,
            "given_fulfilment",
            "given_address",
            "given_address_as_before",
            "given_note",
            "given_payment",
        )
        turn.state.flow = self.name
        if way in ("delivery", "pickup"):
            # Said with the order ("na wynos", "z dostawą na Długą 5"): not asked again.
            self.set(turn, fulfilment=way)
            if way == "delivery" and address:
                if not self.delivers_to(turn, str(address)):
                    return  # said why, with the pickup button; the address step waits
                self.set(turn, address=str(address)[:300])
        await self.next(turn)

    async def opens(self, turn: Turn) -> bool:
        """Start the checkout when a message says where to deliver (see below)."""
        return await self.opens_at_address(turn) or await self.opens_with_way(turn)

    async def opens_with_way(self, turn: Turn) -> bool:
        """Delivery with its address typed while the cart holds items ("z dowozem na Długą
        5, Kraków", "deliver to Szewska 8"), at any point: where to deliver, so the checkout
        starts with them — not the delivery-area question. Asked ("?"), said with an item
        or with an empty cart, it stays what the NLU read."""
        if (
            turn.from_button
            or turn.state.flow is not None
            or turn.intent not in ("nlu_fallback", *WAY_TOPICS)
            or "?" in turn.text
            or turn.entities("product")
            or turn.entities("phone")
        ):
            return False
        said_way = way_in_text(turn.text)
        if said_way is None or said_way.way != "delivery" or not said_way.address:
            return False
        if not (await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)).items:
            return False
        turn.parse = {**turn.parse, "intent": {"name": "checkout", "confidence": turn.confidence}}
        await self.start(turn)
        return True

    async def opens_at_address(self, turn: Turn) -> bool:
        """A whole address typed alone while the cart holds items ("Krakowska 12/3,
        Krakow"), whatever the NLU guessed of it (a rating, a quantity): where to deliver,
        so the checkout starts with it — or, with the shop closed, keeps it for then."""
        if (
            turn.from_button
            or turn.state.flow is not None
            or turn.intent in ("human_handoff", "complaint", "leave_message", "change_language")
            or turn.entities("product")
            or turn.entities("phone")
            or not address_alone(turn.text)
        ):
            return False
        if not (await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)).items:
            return False
        address = turn.text.strip(" ,.;:!")[:300]
        self.set(turn, given_fulfilment="delivery", given_address=address)
        self.unset(turn, "given_address_as_before")
        turn.parse = {**turn.parse, "intent": {"name": "checkout", "confidence": 1.0}}
        await self.start(turn)
        return True

    @property
    def facts(self) -> ShopFacts:
        return self.kit.shop.catalog.facts

    def open_now(self, turn: Turn) -> bool:
        """Outside opening hours no order is taken: say when the shop opens (the cart stays)."""
        now = utcnow()
        if self.facts.is_open(now):
            return True
        end_flow(turn)
        self.kit.speaker.say(
            turn,
            "shop_closed",
            [self.kit.speaker.button(turn.lang, "btn_cart", "show_cart")],
            opens=self.facts.opening_text(now, turn.lang),
        )
        return False

    def offered(self, turn: Turn) -> tuple[str, ...]:
        """The payment methods for the way the customer chose."""
        way = self.slots(turn).get("fulfilment") or "pickup"
        return self.facts.payment_methods.get(way, ())

    async def next(self, turn: Turn) -> None:
        slots = self.slots(turn)
        if "fulfilment" not in slots:
            step = "fulfilment"
        elif slots["fulfilment"] == "delivery" and not slots.get("address"):
            step = "address"
        elif not slots.get("contact_name"):
            step = "name"
        elif not slots.get("contact_phone"):
            step = "phone"
        else:
            step = "confirm"
        turn.state.step = step
        await self.ask(turn)

    async def answer(self, turn: Turn) -> bool:
        e, step = self.kit, turn.state.step
        confirm = turn.entity("confirm")
        if (
            confirm == "cancel"
            or turn.intent == "restart"
            or (turn.intent == "cancel_order" and not turn.entities("order_number"))
            or (not turn.from_button and said(turn, "anuluj", "cancel", "rezygnuj"))
        ):
            end_flow(turn)
            slots = self.slots(turn)
            if slots.get("contact_name") and slots.get("contact_phone"):
                # Checking out again later does not ask for them again.
                self.set(turn, given_name=slots["contact_name"], given_phone=slots["contact_phone"])
            self.unset(turn, *SLOTS)
            e.speaker.say(
                turn,
                "checkout_cancelled",
                [
                    e.speaker.button(turn.lang, "btn_checkout", "checkout"),
                    e.speaker.button(turn.lang, "btn_menu", "browse_menu"),
                ],
            )
            return True
        change = turn.entity("change")
        if change in STEP_OF_SLOT:
            return await self.change(turn, str(change))
        note = None if turn.from_button or step == "note" else labelled_note(turn.text)
        if note:
            # "uwagi: pół na pół z hawajską": the note, though it names a pizza.
            self.add_note(turn, note)
            if step != "confirm":
                self.kit.speaker.say(turn, "note_kept", note=note[:100])
            await self.ask(turn)
            return True
        if step == "confirm" and await self.correct_said(turn):
            return True
        if step not in ("note", "confirm") and self.door_note(turn):
            if await self.flat_to_address(turn):
                return True
            # "domofon 3" asked for the address (or a name, or short of the minimum): a note
            # for the driver, kept for the summary; the question again.
            self.add_note(turn, turn.text.strip())
            self.kit.speaker.say(turn, "note_kept", note=turn.text.strip()[:100])
            await self.ask(turn)
            return True
        use = turn.entity("use_saved")
        if use is None and step in USE_SAVED_AT and said_yes(turn):
            use = USE_SAVED_AT[str(step)]  # "tak" to "Użyj: Anna Kowalska"
            if use == "contact_name" and self.offers_contact(turn, await self.saved(turn)):
                use = "contact"  # "tak" to "Użyj: Anna Kowalska, +48601234567"
        if use == "contact":
            saved = await self.saved(turn)
            if saved["contact_name"] and saved["contact_phone"]:
                self.set(
                    turn, contact_name=saved["contact_name"], contact_phone=saved["contact_phone"]
                )
                await self.next(turn)
                return True
        if use in ("contact_name", "contact_phone", "address"):
            value = (await self.saved(turn)).get(str(use))
            if value:
                if use == "address" and turn.entity("fulfilment") == "delivery":
                    self.set(turn, fulfilment="delivery")  # "Dostawa: ul. Długa 5" in one tap
                if use == "address" and not self.delivers_to(turn, value):
                    return True
                self.set(turn, **{str(use): value})
                await self.next(turn)
                return True
        pressed = turn.entity("fulfilment")
        if step != "fulfilment" and pressed in ("delivery", "pickup"):
            # The other way from any step (e.g. pickup offered for an address outside the area).
            self.set(turn, fulfilment=pressed)
            if pressed == "pickup":
                self.unset(turn, "address")
            self.say_way_switched(turn, step)
            await self.next(turn)
            return True
        switched = self.way_switched(turn)
        if switched is not None:
            # "jednak wolę z dostawą", "actually pickup" typed after the way was chosen.
            if switched.way == "pickup":
                self.set(turn, fulfilment="pickup")
                self.unset(turn, "address")
            else:
                self.set(turn, fulfilment="delivery")
                self.unset(turn, "address")
                if switched.address:
                    if not self.delivers_to(turn, switched.address):
                        return True
                    self.set(turn, address=switched.address)
            self.say_way_switched(turn, step)
            await self.next(turn)
            return True
        if await self.use_as_before(turn):
            return True
        if (
            step != "confirm"
            and not turn.from_button
            # "done" typed where the name is asked is no name, however unsure the NLU.
            and (
                (turn.intent == "checkout" and turn.confidence >= SURE)
                or done_ordering(fold(turn.text))
            )
            and way_in_text(turn.text) is None
            and find_phone(turn.text) is None
        ):
            # "to wszystko", "that's all" while checking out: we are; the question again.
            await self.ask(turn)
            return True
        if (
            step == "address"
            and not turn.from_button
            and not re.search(r"\d", turn.text)
            and said(turn, *PICKUP_WORDS)
        ):
            # "ok, pickup then" after the address was refused (no digits: not a street).
            self.set(turn, fulfilment="pickup")
            self.unset(turn, "address")
            await self.next(turn)
            return True
        if step == "fulfilment":
            way = turn.entity("fulfilment")
            if way not in ("delivery", "pickup") and not turn.from_button:
                # "na wynos", "odbiorę sam", "z dowozem na Długą 5" (the address kept too).
                said_way = way_in_text(turn.text)
                if "?" in turn.text and not way_alone(turn.text):
                    if said_way is None or not said_way.address:
                        return False  # "a ile trwa dostawa?" asks: answered, then asked again
                way = said_way.way if said_way else None
                if way is None:
                    way = (
                        "pickup"
                        if said(turn, *PICKUP_WORDS)
                        else ("delivery" if said(turn, *DELIVERY_WORDS) else None)
                    ) or misspelt_way(turn.text)  # "pikup", "dostwa"
                elif said_way is not None and said_way.address:
                    self.set(turn, fulfilment="delivery")
                    if not self.delivers_to(turn, said_way.address):
                        return True  # refused, with the pickup offer; the address is asked
                    self.set(turn, address=said_way.address)
            if way is None:
                return (
                    await self.keep_address(turn)
                    or await self.keep_payment(turn)
                    or await self.keep_contact(turn)
                )
            self.set(turn, fulfilment=way)
            if way == "pickup":
                self.unset(turn, "address")
            await self.next(turn)
            return True
        if step == "phone":
            return await self.take_phone(turn)
        if step == "payment":
            return await self.take_payment(turn) or await self.keep_contact(turn)
        if step == "name" and not turn.from_button and find_phone(turn.text):
            return await self.free_answer(turn)  # "Jan, 600 111 222": both at once
        if step == "note" and (turn.entity("note") is not None or is_skip(turn)):
            self.set(turn, note=str(turn.entity("note") or ""))
            await self.next(turn)
            return True
        if step == "confirm":
            return await self.confirm(turn, confirm)
        return False

    def say_way_switched(self, turn: Turn, step: str | None) -> None:
        """The other way taken where the name or phone is asked is said back before that
        question comes again (at the summary the new summary says it; an address still
        to give is asked for)."""
        slots = self.slots(turn)
        way, address = slots.get("fulfilment"), slots.get("address")
        if step in ("name", "phone") and (way == "pickup" or address):
            key = "way_kept_delivery_to" if way == "delivery" else "way_kept_pickup"
            self.kit.speaker.say(turn, key, address=address or "")

    def way_switched(self, turn: Turn) -> WaySaid | None:
        """The other way typed after one was chosen ("jednak wolę z dostawą", "actually,
        pickup", "make it delivery to Długa 5"): the way alone, or said with a word of
        changing one's mind — a note that merely mentions it stays a note."""
        step = turn.state.step
        current = self.slots(turn).get("fulfilment")
        if turn.from_button or step not in ("name", "phone", "confirm") or current is None:
            return None
        said_way = way_chosen(turn.text)
        if said_way is None or said_way.way == current:
            return None
        return said_way

    async def use_as_before(self, turn: Turn) -> bool:
        """What we would offer from before, asked for in words instead of the button:
        "deliver to the same address as before", "na te same dane co ostatnio"."""
        step = turn.state.step
        if (
            turn.from_button
            or step not in ("fulfilment", "address", "name", "phone")
            or re.search(r"\d", turn.text)  # a new address or phone number
            or not _AS_BEFORE.search(fold(turn.text))
        ):
            return False
        saved = await self.saved(turn)
        if step in ("fulfilment", "address"):
            said_way = way_in_text(turn.text)
            if not saved["address"] or (said_way is not None and said_way.way == "pickup"):
                return False
            if step == "fulfilment" and said_way is None and not said(turn, "adres", "address"):
                return False
            self.set(turn, fulfilment="delivery")
            if not self.delivers_to(turn, saved["address"]):
                return True  # the area changed since: said why, with the pickup offer
            self.set(turn, address=saved["address"])
        elif step == "name" and saved["contact_name"]:
            self.set(turn, contact_name=saved["contact_name"])
            if saved["contact_phone"] and not self.slots(turn).get("contact_phone"):
                self.set(turn, contact_phone=saved["contact_phone"])
        elif step == "phone" and saved["contact_phone"]:
            self.set(turn, contact_phone=saved["contact_phone"])
        else:
            return False
        await self.next(turn)
        return True

    async def keep_address(self, turn: Turn) -> bool:
        """An address typed as the answer to delivery or pickup ("Długa 5, Kraków"): delivery
        there. Also while delivery waits for the cart to reach the minimum ("you're 22 zł
        short"): kept, so the checkout goes on from there once something is added. False if
        it is no address or pickup was chosen."""
        slots, text = self.slots(turn), turn.text.strip()
        if (
            turn.from_button
            or slots.get("fulfilment") not in (None, "delivery")
            or slots.get("address")
            or turn.entities("product")
            or find_phone(text) is not None
            or not 5 <= len(text) <= 300
            or not (_STREET_AND_NUMBER.search(text) or street_spans(text) or address_alone(text))
            or door_note(text)
        ):
            return False
        self.set(turn, fulfilment="delivery")
        text = bare_address(text)
        if self.delivers_to(turn, text):
            self.set(turn, address=text)
            self.kit.speaker.say(turn, "address_kept", address=text)
            await self.ask(turn)  # the minimum again, now with the address kept
        return True

    @staticmethod
    def door_note(turn: Turn) -> bool:
        """The message only says how to find the door ("domofon 3", "flat 4, 2nd floor")."""
        return (
            not turn.from_button
            and not turn.entities("product")
            and not turn.entities("phone")
            and door_note(turn.text)
        )

    async def flat_to_address(self, turn: Turn) -> bool:
        """A flat's number typed after an address that lacks one ("Zwierzyniecka 8, Kraków",
        then "aa i mieszkanie 14"): it joins the address ("Zwierzyniecka 8/14, Kraków"), said
        back, and the question again. False if there is no such address or no flat."""
        flat = flat_number(turn.text)
        address = str(self.slots(turn).get("address") or "")
        if flat is None or self.way(turn) != "delivery" or not address or flat_number(address):
            return False
        house = _HOUSE_NUMBER.search(address)
        if house is None or house.group("flat"):
            return False
        address = f"{address[: house.end()]}/{flat}{address[house.end() :]}"[:300]
        self.set(turn, address=address)
        self.kit.speaker.say(turn, "address_kept", address=address)
        await self.ask(turn)
        return True

    def add_note(self, turn: Turn, text: str) -> None:
        """Add to the order's note (after one typed before)."""
        note = str(self.slots(turn).get("note") or "")
        self.set(turn, note=(f"{note}; {text}" if note else text)[:500])

    def say_with_menu(self, turn: Turn, key: str, **params: Any) -> None:
        self.kit.speaker.say(
            turn, key, [self.kit.speaker.button(turn.lang, "btn_menu", "browse_menu")], **params
        )

    async def keep_note(self, turn: Turn) -> None:
        """A door note typed outside the checkout ("domofon 3" after ordering): kept for the
        order's summary, never a quantity. With the cart empty, for the order on its way (passed
        to the team, who can add it there), or with none, there is no order yet."""
        text = turn.text.strip()
        cart = await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)
        if not cart.items:
            placed = await latest_order(turn.session, turn.customer.id, OPEN, turn.preloaded)
            if placed is None:
                self.say_with_menu(turn, "note_without_order", note=text[:100])
                return
            self.kit.speaker.say(turn, "note_to_team", note=text[:100], number=placed.number)
            turn.handoff_reason = LEFT_MESSAGE  # kept in the agents' inbox, with the order
            return
        slots = self.slots(turn)
        note = str(slots.get("given_note") or "")
        self.set(turn, given_note=(f"{note}; {text}" if note else text)[:500])
        self.kit.speaker.say(
            turn,
            "note_kept",
            [
                self.kit.speaker.button(turn.lang, "btn_checkout", "checkout"),
                self.kit.speaker.button(turn.lang, "btn_cart", "show_cart"),
            ],
            note=text[:100],
        )

    async def keep_payment(self, turn: Turn) -> bool:
        """How they pay, said alone before the summary ("cash" asked for a name, "card" asked
        delivery or pickup): kept for the summary, never a name or an address; the question
        again. False if the text is not a payment method alone."""
        method = self.method_named(turn)
        if method is None or turn.from_button or not only_payment(turn.text):
            return False
        if method in self.offered(turn):
            self.set(turn, payment_method=method)  # checked again for the way at the summary
        else:
            self.say_not_offered(turn)
        await self.ask(turn)
        return True

    async def keep_contact(self, turn: Turn) -> bool:
        """A name and phone typed at another question ("Iga 609 100 200" asked delivery or
        pickup): kept for the order, and the question asked again. False if it is not one."""
        found = None if turn.from_button else find_phone(turn.text)
        if found is None:
            return False
        rest = around_phone(turn.text, found)
        if re.search(r"\d", rest):
            return False  # a street and number beside it: not only a contact
        self.set(turn, contact_phone=found.e164)
        contact = [readable_phone(found.e164)]
        name = _NAME_PREFIX.sub("", rest).strip(" ,.;:-–")
        if 2 <= len(name) <= 100 and re.search(r"[^\W\d_]", name):
            self.set(turn, contact_name=name)
            contact.insert(0, name)
        self.kit.speaker.say(turn, "contact_kept", contact=", ".join(contact))
        await self.ask(turn)
        return True

    async def correct_said(self, turn: Turn) -> bool:
        """A phone number or a street given again at the summary with a word of correcting
        ("oops, wrong number, it's 600 676 899", "pomyliłam się, ma być Kapucyńska 8/5 a nie
        8/3"): the new one replaces the old, and the summary is shown again."""
        text = turn.text
        if turn.from_button or turn.entities("product") or not _CORRECTS.search(fold(text)):
            return False
        found = find_phone(text)
        if found is not None:
            self.set(turn, contact_phone=found.e164)
            await self.ask(turn)
            return True
        if self.way(turn) != "delivery":
            return False
        folded = fold(text)
        streets = [
            m
            for m in _STREET_AND_NUMBER.finditer(text)
            if not _NOT_MEANT.search(folded[: m.start()])
            and not _NOT_MEANT.search(folded[: m.start()] + folded[m.start() : m.end()].split()[0])
        ]
        if not streets:
            return False
        old = str(self.slots(turn).get("address") or "")
        street = _street_itself(streets[0].group().strip(), old)
        place = _PLACE_AFTER_STREET.match(text, streets[0].end())
        if place:
            address = street + place.group()
        elif "," in old:
            address = f"{street},{old.split(',', 1)[1]}"  # the same place as before
        else:
            address = street
        if not self.delivers_to(turn, address.strip()):
            return True
        self.set(turn, address=address.strip()[:300])
        await self.ask(turn)
        return True

    async def confirm(self, turn: Turn, confirm: Any) -> bool:
        e = self.kit
        if turn.from_button and turn.intent == "checkout":
            # "Finish my order" pressed at the summary (offered when a person hands the
            # conversation back, or an older cart's "Order"): the summary again, to pay from.
            await self.summary(turn)
            return True
        method = self.method_named(turn)
        if (
            confirm == "yes"
            or turn.intent == "affirm"
            or (turn.intent == "checkout" and turn.confidence >= SURE)  # "finish my order"
            or said(turn, "potwierdzam", "confirm", "zamawiam")
            # "dokończę na waszej stronie" goes on elsewhere: the code, not a confirmation.
            or (said(turn, *_FINISH_WORDS) and turn.intent != "link_channels")
            # "kartą": pay so, and confirm; "can I pay by card?" asks (answered, then the summary).
            or (method and not turn.entities("product") and not self.asks_only(turn))
        ):
            if said(turn, *NO_NOTE_WORDS):
                self.set(turn, note="")  # "bez uwag, potwierdzam"
            else:
                self.keep_note_beside(turn)  # "kartą, domofon 12"
            if method is not None and method not in self.offered(turn):
                self.say_not_offered(turn)
                await self.ask(turn)
                return True
            chosen = method or self.slots(turn).get("payment_method")
            if chosen not in self.offered(turn):
                chosen = self.offered(turn)[0] if len(self.offered(turn)) == 1 else None
            if chosen is None:
                turn.state.step = "payment"  # confirmed; only how they pay is missing
                await self.ask(turn)
                return True
            self.set(turn, payment_method=chosen)
            return await self.place(turn)
        if turn.entity("note") is not None or said(turn, *NO_NOTE_WORDS):
            # No note after all ("bez uwag", or the button of the note question asked by
            # "Zmień → Uwagi"): the summary again, without it.
            self.set(turn, note=str(turn.entity("note") or "")[:500])
            await self.ask(turn)
            return True
        wants_change = confirm == "change" or (
            not turn.entities("product")
            and not turn.entities("size")  # "zmień na dużą": the pizza, not the checkout
            and said(turn, *CHANGE_WORDS)
        )
        if wants_change:
            field = next((f for f, words in CHANGE_FIELDS.items() if said(turn, *words)), None)
            if field and confirm != "change":
                return await self.change(turn, field)
            buttons = [
                Button(e.speaker.text(f"btn_change_{f}", turn.lang), f'/inform{{"change": "{f}"}}')
                for f in STEP_OF_SLOT
                if f != "address" or self.slots(turn).get("fulfilment") == "delivery"
            ]
            buttons.append(e.speaker.button(turn.lang, "btn_cart", "show_cart"))
            e.speaker.say(turn, "checkout_change_what", buttons)
            return True
        if turn.intent == "deny":
            e.speaker.say(turn, "checkout_change_or_cancel")
            await self.ask(turn)
            return True
        if turn.intent == "faq" and turn.confidence < FAQ_OVER_NOTE and self.note_shaped(turn):
            # "zostawić pod drzwiami", "please call when you're outside": said, not asked.
            return await self.take_note(turn, turn.text.strip())
        return False

    @staticmethod
    def asks_only(turn: Turn) -> bool:
        """A question that says no yes ("czy mogę zapłacić kartą?", "can I pay by card?")."""
        asked = "?" in turn.text or bool(_QUESTION.match(fold(turn.text)))
        return asked and (turn.from_button or not _YES_WORDS.search(fold(turn.text)))

    async def change(self, turn: Turn, field: str) -> bool:
        self.unset(turn, field)
        if field == "fulfilment":
            self.unset(turn, "address")
        turn.state.flow = self.name
        turn.state.step = STEP_OF_SLOT[field]
        await self.ask(turn)
        return True

    async def place(self, turn: Turn) -> bool:
        if await self.guard(turn):
            await self.kit.steps.run(turn, "action_place_order")
        return True

    def method_named(self, turn: Turn) -> str | None:
        """The payment method pressed or typed ("kartą", "cash"), offered or not."""
        method = turn.entity("payment_method")
        if method is None and not turn.from_button:
            method = (
                payment_in_text(turn.text, self.offered(turn))
                or payment_in_text(turn.text, tuple(PAYMENT_METHODS))
                or misspelt_payment(turn.text)
            )
        return str(method) if method in PAYMENT_METHODS else None

    def say_not_offered(self, turn: Turn) -> None:
        self.kit.speaker.say(
            turn,
            "payment_not_offered",
            way=self.kit.speaker.text(f"payment_way_{self.way(turn)}", turn.lang),
            methods=self.facts.payment_text(self.way(turn), turn.lang),
        )

    async def take_payment(self, turn: Turn) -> bool:
        """How they pay, after a confirmation that did not say: this answer places the order."""
        method = self.method_named(turn)
        if method is None:
            return False
        if not said(turn, *NO_NOTE_WORDS):
            self.keep_note_beside(turn)  # "gotówką, proszę zadzwonić pod bramą"
        if method not in self.offered(turn):
            self.say_not_offered(turn)
            await self.ask(turn)
            return True
        self.set(turn, payment_method=method)
        return await self.place(turn)

    def keep_note_beside(self, turn: Turn) -> None:
        """A note typed together with the confirmation or the payment is the order's note
        (added to one typed before), while the confirmation and the payment still act."""
        if turn.from_button or turn.entities("product") or turn.entities("size"):
            return
        extra = note_beside_confirming(turn.text)
        if extra:
            self.add_note(turn, extra)

    def way(self, turn: Turn) -> str:
        return str(self.slots(turn).get("fulfilment") or "pickup")

    def delivers_to(self, turn: Turn, address: str) -> bool:
        """An address outside the delivery area gets a clear answer and the pickup offer."""
        if self.facts.delivers_to(address):
            return True
        self.kit.speaker.say(
            turn,
            "address_outside_area",
            [self.way_button(turn, "pickup")],
            address=address[:100],
        )
        turn.state.step = "address"
        return False

    async def take_phone(self, turn: Turn) -> bool:
        raw = turn.entity("phone")
        found = find_phone(turn.text)
        if raw is None and found is None:
            if _DIGITS.search(turn.text):
                await self.ask_again(turn, "phone_invalid")
                return True
            return False
        phone = found.e164 if found else normalise_phone(str(raw))
        if phone is None:
            await self.ask_again(turn, "phone_invalid")
            return True
        self.set(turn, contact_phone=phone)
        await self.next(turn)
        return True

    async def take_contact(self, turn: Turn, text: str) -> bool:
        """A name, with or without a phone ("Jan, 600 111 222"); False (and asked again) if
        no name is there."""
        found = find_phone(text)
        if found:
            self.set(turn, contact_phone=found.e164)
            text = around_phone(text, found).strip()
        name = _NAME_PREFIX.sub("", text).strip(" ,.;:-–")
        if not 2 <= len(name) <= 100 or not re.search(r"[^\W\d_]", name):
            await self.ask_again(turn, "name_invalid")
            return False
        self.set(turn, contact_name=name)
        return True

    async def free_answer(self, turn: Turn) -> bool:
        step, text = turn.state.step, turn.text.strip()
        if turn.from_button:
            return False
        if step == "address":
            if way_alone(text):
                await self.ask(turn)  # "z dowozem" asked where: delivery it is, but where?
                return True
            if await self.keep_payment(turn):
                return True
            found = find_phone(text)
            if found and not re.search(r"\d", text[: found.start] + text[found.end :]):
                # "Tom, 600 700 800" is who the order is for, not where it goes.
                if not await self.take_contact(turn, text):
                    return True
                await self.ask(turn)
                return True
            text = bare_address(text)  # "na Tomasza 20": the street is "Tomasza 20"
            if len(text) < 5 or not re.search(r"\d", text) or not re.search(r"[^\W\d_]{2}", text):
                await self.ask_again(turn, "address_invalid")
                return True
            if not self.delivers_to(turn, text):
                return True
            self.set(turn, address=text[:300])
            await self.next(turn)
            return True
        if step == "name":
            if await self.keep_payment(turn):
                return True  # "cash" asked for a name: how they pay, not who
            if turn.intent in NOT_A_NAME and turn.confidence >= SURE and find_phone(text) is None:
                return False  # "thanks", "ok", "bye" asked for a name: not understood as one
            if address_alone(text):
                return await self.address_for_name(turn, text)
            if await self.take_contact(turn, text):
                await self.next(turn)
            return True
        if step == "phone":
            await self.ask_again(turn, "phone_invalid")
            return True
        if step == "note" and text:
            self.set(turn, note=text[:500])
            await self.next(turn)
            return True
        if step == "confirm" and text:
            return await self.take_note(turn, text)
        return False

    async def address_for_name(self, turn: Turn, text: str) -> bool:
        """A whole address typed where a name is asked ("Krakowska 12/3, Krakow") is never
        the name: with delivery it is where to deliver now; the name is asked again."""
        if self.way(turn) != "delivery":
            await self.ask_again(turn, "name_invalid")
            return True
        text = bare_address(text)
        if self.delivers_to(turn, text):
            self.set(turn, address=text[:300])
            self.kit.speaker.say(turn, "address_kept", address=text[:300])
            await self.ask(turn)
        return True

    def note_shaped(self, turn: Turn) -> bool:
        """Not an item or a size (a correction), not a question to us."""
        text = turn.text.strip()
        return bool(
            text
            and not turn.from_button
            and not turn.entities("product")
            and not turn.entities("size")
            and not text.endswith("?")
            and not _QUESTION.match(fold(text))
        )

    async def take_note(self, turn: Turn, text: str) -> bool:
        """Free text typed at the summary that is nothing else is a note for the kitchen or
        the driver (added to one typed before); the summary is shown again with it. Not a
        note: an item or a size (a correction), a question, a confident other intent."""
        if not self.note_shaped(turn) or (
            turn.intent not in ("nlu_fallback", "oos", "faq") and turn.confidence >= SURE
        ):
            return False
        found = find_phone(text)
        rest = (text[: found.start] + text[found.end :]) if found else ""
        if found and not re.search(r"\d", rest) and len(rest.split()) <= 4:
            # "Ola, 600 700 800": who the order is for now, not a note.
            if await self.take_contact(turn, text):
                await self.ask(turn)
            return True
        self.add_note(turn, text)
        await self.ask(turn)
        return True

    async def guard(self, turn: Turn) -> bool:
        """The shop is open, the cart is not empty and a delivery order reaches the minimum
        value and goes inside the area (the facts may have changed during checkout)."""
        e = self.kit
        if not self.open_now(turn):
            return False
        address = self.slots(turn).get("address")
        if self.way(turn) == "delivery" and address and not self.facts.delivers_to(address):
            self.unset(turn, "address")
            return self.delivers_to(turn, str(address))
        cart = await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)
        if not cart.items:
            end_flow(turn)
            e.speaker.say(
                turn,
                "cart_empty_checkout",
                [e.speaker.button(turn.lang, "btn_menu", "browse_menu")],
            )
            return False
        q = quote(
            e.shop.catalog, e.shop.pricing.total(cart.items), self.slots(turn).get("fulfilment")
        )
        if q.missing_for_minimum:
            # The way and the address said stay: once the cart reaches the minimum the
            # checkout goes on from there (pickup is one tap away).
            turn.state.step = "fulfilment"
            e.speaker.say(
                turn,
                "below_minimum",
                [
                    e.speaker.button(turn.lang, "btn_menu", "browse_menu"),
                    self.way_button(turn, "pickup"),
                ],
                minimum=format_price(e.shop.catalog.min_order_value, turn.lang),
                missing=format_price(q.missing_for_minimum, turn.lang),
            )
            return False
        return True

    def way_button(self, turn: Turn, way: str, fee: str = "") -> Button:
        title = self.kit.speaker.text(f"btn_{way}", turn.lang, fee=fee)
        return Button(title, f'/inform{{"fulfilment": "{way}"}}')

    async def ask(self, turn: Turn) -> None:
        e, step = self.kit, turn.state.step
        if step in (
            "address",
            "name",
            "phone",
            "note",
            "payment",
            "confirm",
        ) and not await self.guard(turn):
            return
        slots = self.slots(turn)
        if step == "fulfilment" and slots.get("fulfilment") in ("delivery", "pickup"):
            await self.next(turn)  # chosen before the cart fell short of the minimum
            return
        if step == "fulfilment":
            cart = await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)
            q = quote(e.shop.catalog, e.shop.pricing.total(cart.items), "delivery")
            fee = (
                format_price(q.delivery_fee, turn.lang)
                if q.delivery_fee
                else e.speaker.text("free", turn.lang)
            )
            buttons = [self.way_button(turn, "delivery", fee), self.way_button(turn, "pickup")]
            last = await last_delivery_address(turn.session, turn.customer.id)
            if last and self.facts.delivers_to(last):
                # A returning customer: delivery to the last address in one tap.
                title = e.speaker.text("btn_delivery_to", turn.lang, address=last)
                payload = '/inform{"fulfilment": "delivery", "use_saved": "address"}'
                buttons.insert(0, Button(title[:64], payload))
            e.speaker.say(turn, "checkout_fulfilment", buttons)
            return
        saved = await self.saved(turn)
        if step == "address":
            buttons = (
                [self.use_button(turn, "address", saved["address"])] if saved["address"] else []
            )
            e.speaker.say(
                turn, "checkout_address_saved" if buttons else "checkout_address", buttons
            )
        elif step == "name" and self.offers_contact(turn, saved):
            # A returning customer: their name and phone in one tap ("tak" works too).
            value = f"{saved['contact_name']}, {readable_phone(saved['contact_phone'])}"
            buttons = [self.use_button(turn, "contact", value)]
            e.speaker.say(turn, "checkout_contact_saved", buttons)
        elif step == "name":
            buttons = (
                [self.use_button(turn, "contact_name", saved["contact_name"])]
                if saved["contact_name"]
                else []
            )
            both = not slots.get("contact_phone") and not saved["contact_phone"]
            e.speaker.say(turn, "checkout_name_phone" if both else "checkout_name", buttons)
        elif step == "phone":
            buttons = (
                [self.use_button(turn, "contact_phone", readable_phone(saved["contact_phone"]))]
                if saved["contact_phone"]
                else []
            )
            e.speaker.say(turn, "checkout_phone", buttons)
            if not saved["contact_phone"]:
                # Channels that can (Telegram) offer a one-tap "share my phone" key.
                turn.replies[-1].extra = {
                    "request_phone": True,
                    "request_phone_title": e.speaker.text("btn_share_phone", turn.lang),
                }
        elif step == "note":
            skip = Button(e.speaker.text("btn_no_note", turn.lang), '/inform{"note": ""}')
            e.speaker.say(turn, "checkout_note", [skip])
        elif step == "payment":
            way = self.way(turn)
            buttons = [
                Button(e.speaker.text(f"btn_pay_{m}", turn.lang), pay_payload(m))
                for m in self.offered(turn)
            ]
            e.speaker.say(
                turn,
                "checkout_payment",
                buttons,
                way=e.speaker.text(f"payment_way_{way}", turn.lang),
                methods=self.facts.payment_text(way, turn.lang),
            )
        else:
            await self.summary(turn)

    async def ask_again(self, turn: Turn, hint: str) -> None:
        """The question again after an answer that does not do, as one reply: the hint (what
        is missing: "I need the street and house number…") in place of the question's words,
        with the question's buttons."""
        before, step = len(turn.replies), turn.state.step
        await self.ask(turn)
        asked = turn.replies[before:]
        if len(asked) == 1 and turn.state.step == step:
            asked[0].text = self.kit.speaker.text(hint, turn.lang)
        else:  # something else came first (the shop closed, the cart fell short): say both
            turn.replies.insert(before, Reply(self.kit.speaker.text(hint, turn.lang)))

    def offers_contact(self, turn: Turn, saved: dict[str, str | None]) -> bool:
        """Whether the name question offers the saved name and phone as one answer."""
        return bool(
            saved["contact_name"]
            and saved["contact_phone"]
            and not self.slots(turn).get("contact_phone")
        )

    def use_button(self, turn: Turn, slot: str, value: str | None) -> Button:
        title = self.kit.speaker.text("btn_use", turn.lang, value=value)
        return Button(title[:64], f'/inform{{"use_saved": "{slot}"}}')

    async def summary(self, turn: Turn) -> None:
        e, slots = self.kit, self.slots(turn)
        cart = await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)
        q = quote(e.shop.catalog, e.shop.pricing.total(cart.items), slots.get("fulfilment"))
        delivery = slots.get("fulfilment") == "delivery"
        where = (
            e.speaker.text("summary_delivery", turn.lang, address=slots.get("address"))
            if delivery
            else e.speaker.text("summary_pickup", turn.lang)
        )
        fee = ""
        if delivery:
            fee_text = (
                format_price(q.delivery_fee, turn.lang)
                if q.delivery_fee
                else e.speaker.text("free", turn.lang)
            )
            fee = e.speaker.text("summary_fee", turn.lang, fee=fee_text)
        note = slots.get("note")
        way = self.way(turn)
        # Confirming is choosing how to pay: one button per method offered.
        pay = [
            Button(
                e.speaker.text("btn_confirm_pay", turn.lang, method=payment_name(m, turn.lang)),
                pay_payload(m),
            )
            for m in self.offered(turn)
        ]
        e.speaker.say(
            turn,
            "checkout_summary",
            [
                *pay,
                Button(e.speaker.text("btn_change", turn.lang), '/inform{"confirm": "change"}'),
                Button(e.speaker.text("btn_cancel", turn.lang), '/inform{"confirm": "cancel"}'),
            ],
            items=e.shop.pricing.describe_cart(cart.items, turn.lang),
            where=where,
            fee=fee,
            name=slots.get("contact_name", ""),
            phone=readable_phone(slots.get("contact_phone")),
            note=e.speaker.text("summary_note", turn.lang, note=note) if note else "",
            # The note is optional: the summary invites one, typed before confirming.
            note_hint=""
            if note
            else e.speaker.text(
                "summary_no_note" if delivery else "summary_no_note_pickup", turn.lang
            ),
            total=format_price(q.total, turn.lang),
            payment=e.speaker.text(
                "summary_payment",
                turn.lang,
                way=e.speaker.text(f"payment_way_{way}", turn.lang),
                methods=self.facts.payment_text(way, turn.lang),
            ),
        )


def pay_payload(method: str) -> str:
    """Pay with `method` and place the order (the summary's and the payment question's
    buttons)."""
    return f'/inform{{"confirm": "yes", "payment_method": "{method}"}}'
