"""Shop facts, one truth: hours, delivery area, times, payment methods, fees, time zone.

They live in the catalog YAML's `shop:` section (and in the operator console). Everything
that states or enforces a fact — FAQ answers, bot replies, checkout, the orders board —
reads it from here, so the bot never promises what the shop does not do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from intents.addresses import address_spans, with_place_after
from intents.text import fold

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "pl": ("pon", "wt", "śr", "czw", "pt", "sob", "nd"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_LONG_DAY_NAMES = {
    "pl": ("w poniedziałek", "we wtorek", "w środę", "w czwartek", "w piątek", "w sobotę",
           "w niedzielę"),
    "en": ("on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday",
           "on Saturday", "on Sunday"),
}  # fmt: skip
# Weekdays as customers type them (folded, the Polish noun in any case), Monday first. Not
# "srodek" (middle) nor "piata" (five o'clock): only the day's own endings.
_WEEKDAY_WORDS = tuple(
    re.compile(rf"\b({pattern})\b")
    for pattern in (
        r"poniedzial(ek|ki|ku|kach|kami|kow)|mondays?",
        r"wtor(ek|ki|ku|kach|kami|kow)|tuesdays?",
        r"srod(a|e|y|zie|ach|ami|om)|wednesdays?",
        r"czwart(ek|ki|ku|kach|kami|kow)|thursdays?",
        r"piat(ek|ki|ku|kach|kami|kow)|fridays?",
        r"sobot(a|e|y|ach|ami|om)|saturdays?",
        r"niedziel(a|e|i|ach|ami|om)|sundays?",
    )
)
_WEEKEND = re.compile(r"\b(weekend\w*|week-end\w*)\b")
# Days said from today ("do której dziś…", "are you open tomorrow?"), folded: days ahead.
_DAYS_AHEAD = (
    (re.compile(r"\b(dzis|dzisiaj|dzisiejsz\w*|today'?s?|tonight)\b"), 0),
    (re.compile(r"\b(jutro|jutrzejsz\w*|tomorrow'?s?)\b"), 1),
)
_AHEAD_NAMES = {"pl": ("dziś", "jutro"), "en": ("today", "tomorrow")}
# Asking what time or when ("o której zamykacie", "what time do you close"), not whether
# ("czy jesteście otwarci…"): the answer is the hours, with no "yes" before them; folded.
_ASKS_WHEN = re.compile(
    r"\b(o ktorej|do ktorej|od ktorej|w jakich godzinach|jakie godziny|kiedy|do kiedy|"
    r"what time|when|until when|till when|until what|how late|what hours|which hours)\b"
)
# A question about a holiday that falls on a weekday ("Easter Sunday", "Wielka Sobota") is
# a question about holidays, not about that weekday.
_HOLIDAY = re.compile(
    r"\b(swi[ae]t\w*|wigili\w*|sylwest\w*|nowy rok\w*|wielk\w* (sobot|niedziel|piat)\w*|"
    r"wielkanoc\w*|boze\w*|bozego|holidays?|christmas|xmas|easter|new year\w*)\b"
)
# "dowozicie na Mokotów?", "do Wieliczki?", "deliver to Kazimierz?": the place after the
# preposition, up to the end of the clause.
# (A lookahead: "do you deliver to Wieliczka?" tries "you deliver…" and "Wieliczka".)
_PLACE_ASKED = re.compile(
    r"\b(?P<prep>na|do|to)\s+(?=(?P<place>[^\W\d_][^?!.,;:()]{1,40}))", re.IGNORECASE
)
# The delivery word with a preposition after it, inside what follows an earlier "do/to":
# "do u guys deliver to Wieliczka", "to know if you deliver to Ruczaj" — the place is the
# one after the delivery word, not those words.
_DELIVER_THEN_PLACE = re.compile(
    r"\b(deliver\w*|dowo[zż]\w*|dowie[zź]\w*|dostarcz\w*)\s+(?:\w+\s+)?(na|do|to)\s",
    re.IGNORECASE,
)
# A street and its number after "na/do/to" ("Szewska 8", "Długą 5/2"): an address asked about.
_STREET_NUMBER = re.compile(r"[^\W\d_]+(?:[ -][^\W\d_]+){0,2}\s+\d+[^\W\d_]?(?:\s*/\s*\d+)?\b")
# Words before a number that make it a time or a count, not a house ("do godziny 23", "na
# 19:00", "w 30 minut"): folded beginnings.
_NO_STREET = ("godz", "minut", "sekund", "hour", "minute", "osob", "people", "person")
_POSTCODE_ASKED = re.compile(r"(?:\b(?:na|do|to|pod)\s+)?\d{2}\s?-\s?\d{3}(?!\d)", re.IGNORECASE)
# Where a place named in a question ends: "do Nowej Huty dowozicie?", "do Skawiny albo…".
_PLACE_ENDS = frozenset(
    "dowozicie dowozisz dowieziecie dowozi dostarczacie czy albo lub i a or and please prosze "
    "teraz dzis dzisiaj jutro today tomorrow now also tez too".split()
)
# Words after "na/do/to" that are no place ("do domu", "to my address", "na jutro") or a
# street, which may be anywhere (the checkout judges a whole address).
_NOT_ASKED_PLACES = frozenset(
    "dom domu mnie nas was pracy biura adres adresu mieszkania hotelu jutro dzis dzisiaj "
    "wieczor noc poludnia godziny ktorej home me us you my our your the a address house office "
    "work flat apartment hotel tomorrow today tonight door doorstep ul ulica ulice ulicy al "
    "aleja aleje alei os osiedle osiedla plac placu street st road rd avenue ave".split()
)
# The payment methods a shop may offer, with their names and the words customers type.
PAYMENT_METHODS: dict[str, dict[str, Any]] = {
    "cash": {"pl": "gotówka", "en": "cash", "words": ("gotow", "gotowk", "cash", "banknot")},
    "card": {"pl": "karta", "en": "card", "words": ("kart", "card", "terminal", "zblizen")},
    "blik": {"pl": "BLIK", "en": "BLIK", "words": ("blik",)},
}
FULFILMENTS = ("delivery", "pickup")
DEFAULT_TIMEZONE = "Europe/Warsaw"
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
_MINUTES = re.compile(r"^\s*(\d{1,3})\s*(?:[-–]\s*(\d{1,3}))?\s*$")
_POSTCODE = re.compile(r"(?<!\d)(\d{2})\s?-\s?(\d{3})(?!\d)")
_WORD = re.compile(r"[^\W\d_]+(?:[ -][^\W\d_]+)*", re.UNICODE)
# Words of an address that are not a place: "ul. Długa 5, mieszkanie 3".
_NOT_PLACES = frozenset(
    "ul al os pl ulica aleja osiedle street st road mieszkanie lok lokal pietro klatka "
    "domofon apt apartment flat floor unit".split()
)


# The last word of an English street named after its number ("12 Baker Street").
_STREET_KINDS = frozenset(
    "street st road rd avenue ave lane ln drive dr square sq close court way place".split()
)


class ShopError(ValueError):
    """The shop section is not valid; the message says which fact and why (`code` and
    `params` name the kind for pages that word it in their own language)."""

    def __init__(self, message: str, code: str | None = None, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Window:
    """How many minutes something takes, as a range ("45–60")."""

    low: int
    high: int

    def text(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


def place_names(entry: str) -> tuple[str, ...]:
    """The names of one place of the delivery area, its own first: "Kraków / Cracow" is
    one place, said "Kraków", found under either name."""
    return tuple(n.strip() for n in entry.split("/") if n.strip())


@dataclass(frozen=True)
class PlaceAsked:
    """A place a delivery question names: as asked, with its preposition ("do Wieliczki"),
    by its name (the area's own for a place in it: "Kraków" for "do krakowa"; else as
    typed, capitalised) and whether the shop delivers there."""

    asked: str
    name: str
    inside: bool
    address: bool = False  # a street and its number ("na Długą 5"), not a town or district


@dataclass(frozen=True)
class ShopFacts:
    name: str
    address: str
    timezone: ZoneInfo
    hours: tuple[tuple[time, time] | None, ...]  # Monday first; None = closed that day
    delivery_cities: tuple[str, ...]
    delivery_postcodes: tuple[str, ...]
    delivery_minutes: Window
    pickup_minutes: Window
    payment_methods: dict[str, tuple[str, ...]]  # fulfilment -> method ids
    delivery_fee: int
    free_delivery_from: int
    min_order_value: int

    # -- reading -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ShopFacts:
        """Facts from the `shop:` section; missing facts get the demo shop's defaults."""
        try:
            zone = ZoneInfo(str(raw.get("timezone") or DEFAULT_TIMEZONE))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            named = str(raw.get("timezone"))
            raise ShopError(f"unknown time zone {named!r}", "bad_timezone", value=named) from exc
        area = raw.get("delivery_area") or {}
        if not isinstance(area, dict):
            raise ShopError("delivery_area must have `cities` and/or `postcodes`")
        return cls(
            name=str(raw.get("name") or ""),
            address=str(raw.get("address") or ""),
            timezone=zone,
            hours=_read_hours(raw.get("hours")),
            delivery_cities=tuple(
                str(c).strip() for c in area.get("cities") or () if place_names(str(c))
            ),
            delivery_postcodes=tuple(_read_postcode(p) for p in area.get("postcodes") or ()),
            delivery_minutes=_read_window(raw.get("delivery_minutes", "45-60"), "delivery"),
            pickup_minutes=_read_window(raw.get("pickup_minutes", "20-30"), "pickup"),
            payment_methods=_read_payments(raw.get("payment_methods")),
            delivery_fee=_grosze(raw, "delivery_fee"),
            free_delivery_from=_grosze(raw, "free_delivery_from"),
            min_order_value=_grosze(raw, "min_order_value"),
        )

    # -- time ----------------------------------------------------------------------------
    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.timezone)

    def is_open(self, at: datetime) -> bool:
        now = self.local(at)
        for day_offset in (0, -1):  # yesterday's hours may run past midnight
            day = now.date() + timedelta(days=day_offset)
            span = self.hours[day.weekday()]
            if span is None:
                continue
            opens, closes = self._span_on(day, span)
            if opens <= now < closes:
                return True
        return False

    def next_opening(self, at: datetime) -> datetime | None:
        """When the shop next opens after `at` (shop time), or None if it never does."""
        now = self.local(at)
        for day_offset in range(8):
            day = now.date() + timedelta(days=day_offset)
            span = self.hours[day.weekday()]
            if span is None:
                continue
            opens, _ = self._span_on(day, span)
            if opens > now:
                return opens
        return None

    def opening_text(self, at: datetime, lang: str) -> str:
        """When the shop opens next, said relative to `at`: "dziś o 11:00", "tomorrow at
        11:00", "w poniedziałek o 12:00"; empty when it never opens."""
        opens = self.next_opening(at)
        if opens is None:
            return ""
        days = (opens.date() - self.local(at).date()).days
        if days == 0:
            when = "dziś" if lang == "pl" else "today"
        elif days == 1:
            when = "jutro" if lang == "pl" else "tomorrow"
        else:
            names = _LONG_DAY_NAMES.get(lang, _LONG_DAY_NAMES["en"])
            when = names[opens.weekday()]
        return f"{when} o {opens:%H:%M}" if lang == "pl" else f"{when} at {opens:%H:%M}"

    def _span_on(self, day: Any, span: tuple[time, time]) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, span[0], tzinfo=self.timezone)
        closes = datetime.combine(day, span[1], tzinfo=self.timezone)
        if closes <= opens:  # closes after midnight
            closes += timedelta(days=1)
        return opens, closes

    # -- the delivery area ---------------------------------------------------------------
    def delivers_to(self, address: str) -> bool:
        """Whether an address is inside the delivery area, as far as the text tells.

        A postcode decides when the shop lists postcode prefixes; otherwise a listed city
        (or district) named in the address does. An address naming some other place
        ("Rynek 5, Wieliczka") is outside; a bare street ("Długa 5") is taken to be local.
        """
        if not self.delivery_cities and not self.delivery_postcodes:
            return True
        code = _POSTCODE.search(address)
        if code and self.delivery_postcodes:
            postcode = f"{code.group(1)}-{code.group(2)}"
            return any(postcode.startswith(prefix) for prefix in self.delivery_postcodes)
        folded = f" {' '.join(_WORD.findall(fold(address)))} "
        names = (n for c in self.delivery_cities for n in place_names(c))
        if any(f" {' '.join(_WORD.findall(fold(n)))} " in folded for n in names):
            return True
        return _named_place(address) is None and not code

    def delivers_to_place(self, text: str) -> PlaceAsked | None:
        """The place a delivery question names, and whether it is inside the delivery area:
        asked "a dowozicie do krakowa?", the place is "do Krakowa", named "Kraków" (the area's
        own name for it), inside; None when it names no place ("gdzie dowozicie?"). A street
        with its number ("czy dowozicie na Długą 5?", "to 12 Baker Street, Wieliczka?") is
        judged as the checkout judges an address (`delivers_to`)."""
        address = _address_asked(text)
        if address is not None:
            return PlaceAsked(address, address, self.delivers_to(address), address=True)
        code = _POSTCODE.search(text)
        asked = _POSTCODE_ASKED.search(text)
        if code and asked and self.delivery_postcodes:
            postcode = f"{code.group(1)}-{code.group(2)}"
            inside = any(postcode.startswith(p) for p in self.delivery_postcodes)
            return PlaceAsked(asked.group(0).strip(), postcode, inside)
        for match in _PLACE_ASKED.finditer(text):
            if _DELIVER_THEN_PLACE.search(match.group("place")):
                continue  # "do u guys deliver to X": the place is X
            typed = _WORD.findall(match.group("place"))
            typed = " ".join(typed).split()
            kept: list[str] = []
            for word in typed[:3]:
                if fold(word) in _PLACE_ENDS:
                    break
                kept.append(_capitalised(word))
            words = [fold(w) for w in kept]
            if not words or words[0] in _NOT_ASKED_PLACES or days_in_text(" ".join(kept)):
                continue
            said = " ".join(kept)
            place = f"{match.group('prep').lower()} {said}"
            if not self.delivery_cities and not self.delivery_postcodes:
                return PlaceAsked(place, said, True)
            listed = next(
                (
                    names[0]
                    for names in map(place_names, self.delivery_cities)
                    if any(_names_place(words, name) for name in names)
                ),
                None,
            )
            return PlaceAsked(place, listed or said, listed is not None)
        return None

    # -- what the bot says ----------------------------------------------------------------
    def day_hours_text(self, day: int, lang: str, said: str | None = None) -> str | None:
        """One weekday's hours, "w niedzielę 12:00–22:00" (or as `said`: "dziś 12:00–22:00");
        None when closed that day."""
        span = self.hours[day]
        return f"{said or day_name(day, lang)} {_span_text(span)}" if span else None

    def hours_text(self, lang: str) -> str:
        """ "pon–czw 11:00–22:00, pt–sob 11:00–23:00, nd 12:00–22:00"."""
        names = DAY_NAMES.get(lang, DAY_NAMES["en"])
        groups: list[tuple[int, int, tuple[time, time] | None]] = []
        for i, span in enumerate(self.hours):
            if groups and groups[-1][2] == span:
                groups[-1] = (groups[-1][0], i, span)
            else:
                groups.append((i, i, span))
        parts = []
        for first, last, span in groups:
            days = names[first] if first == last else f"{names[first]}–{names[last]}"
            closed = "nieczynne" if lang == "pl" else "closed"
            parts.append(f"{days} {_span_text(span) if span else closed}")
        return ", ".join(parts)

    def payment_text(self, fulfilment: str, lang: str) -> str:
        names = [payment_name(m, lang) for m in self.payment_methods.get(fulfilment, ())]
        joiner = " lub " if lang == "pl" else " or "
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + joiner + names[-1]

    def area_text(self, lang: str) -> str:
        """The delivery area as a customer reads it: the places, then the postcodes named."""
        places = ", ".join(place_names(c)[0] for c in self.delivery_cities)
        if not self.delivery_postcodes:
            return places
        codes = ", ".join(f"{p}…" for p in self.delivery_postcodes)
        codes = f"kody pocztowe {codes}" if lang == "pl" else f"postcodes {codes}"
        if not places:
            return codes
        return f"{places} {'oraz' if lang == 'pl' else 'and'} {codes}"

    def template_values(self, lang: str, format_price: Any) -> dict[str, str]:
        """Every fact as a template variable (`{delivery_time}`…) in the language."""
        closed = "nieczynne" if lang == "pl" else "closed"
        days = {
            f"hours_{day}": _span_text(span) if span else closed
            for day, span in zip(WEEKDAYS, self.hours, strict=True)
        }
        return {
            **days,
            "shop": self.name,
            "shop_address": self.address,
            "opening_hours": self.hours_text(lang),
            "delivery_area": self.area_text(lang),
            "delivery_time": self.delivery_minutes.text(),
            "pickup_time": self.pickup_minutes.text(),
            "payment_delivery": self.payment_text("delivery", lang),
            "payment_pickup": self.payment_text("pickup", lang),
            "delivery_fee": format_price(self.delivery_fee, lang),
            "free_delivery_from": format_price(self.free_delivery_from, lang),
            "min_order": format_price(self.min_order_value, lang),
        }


TEMPLATE_VARIABLES = {
    "shop": "the shop's name",
    "shop_address": "the shop's address (pickup)",
    "opening_hours": "opening hours per weekday",
    "delivery_area": "the cities/districts and postcodes delivered to",
    "delivery_time": "delivery time in minutes, e.g. 45–60",
    "pickup_time": "pickup time in minutes, e.g. 20–30",
    "payment_delivery": "payment methods for delivery",
    "payment_pickup": "payment methods at pickup",
    "delivery_fee": "the delivery fee",
    "free_delivery_from": "the order value from which delivery is free",
    "min_order": "the minimum order value for delivery",
    **{f"hours_{day}": f"opening hours on {day}" for day in WEEKDAYS},
}


_VARIABLE = re.compile(r"\{([a-z_]+)\}")


def fill(template: str, values: Mapping[str, str]) -> str:
    """Put the facts into `{variables}`; any other braces stay as written."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def unknown_variables(template: str) -> list[str]:
    return [v for v in _VARIABLE.findall(template) if v not in TEMPLATE_VARIABLES]


def hardcoded_facts(text: str, facts: ShopFacts) -> list[str]:
    """The shop facts a text states literally instead of through a variable, as far as
    it can tell: "45–60 minutes" → ["{delivery_time}"]. Used to refuse such texts."""
    found: list[str] = []
    plain = text.replace("\u00a0", " ")

    def minutes(window: Window, variable: str) -> None:
        if window.low == window.high:
            pattern = rf"(?<![\d:]){window.low}\s*(min|minut)"
        else:
            pattern = rf"(?<![\d:]){window.low}\s*[-–—]\s*{window.high}(?![\d:])"
        if re.search(pattern, plain, re.I):
            found.append(variable)

    minutes(facts.delivery_minutes, "{delivery_time}")
    minutes(facts.pickup_minutes, "{pickup_time}")
    # Any other time in minutes said about delivery or pickup contradicts the facts.
    for sentence in re.split(r"(?<=[.!?;])\s+", plain):
        if re.search(r"(?<![\d:])\d{1,3}(\s*[-–—]\s*\d{1,3})?\s*(min|minut)", sentence, re.I):
            folded = fold(sentence)
            if any(w in folded for w in ("dostaw", "deliver", "kurier", "driver")):
                found.append("{delivery_time}")
            if any(w in folded for w in ("odbi", "pickup", "pick up", "collect")):
                found.append("{pickup_time}")
    for span in facts.hours:
        if span:
            pattern = rf"{span[0]:%H:%M}\s*[-–—]\s*{span[1]:%H:%M}".replace("00:00", "(00|24):00")
            if re.search(pattern, plain):
                found.append("{opening_hours}")
                break
    for grosze, variable in (
        (facts.delivery_fee, "{delivery_fee}"),
        (facts.free_delivery_from, "{free_delivery_from}"),
        (facts.min_order_value, "{min_order}"),
    ):
        if grosze and re.search(_money_pattern(grosze), plain, re.I):
            found.append(variable)
    street = facts.address.split(",")[0].strip()
    if street and re.search(re.escape(fold(street)), fold(plain)):
        found.append("{shop_address}")
    return [f for f in dict.fromkeys(found) if f]


def _money_pattern(grosze: int) -> str:
    """9,90 zł · 9.90 zł · PLN 9.90 · 80 zł · 80,00 zł — with the currency, so that "30"
    alone (minutes, a street number) is not taken for money."""
    zl, gr = divmod(grosze, 100)
    amount = rf"{zl}[,.]{gr:02d}" if gr else rf"{zl}(?:[,.]00)?"
    return rf"(?<![\d,.]){amount}\s*(zł|zl|pln)\b|\bpln\s*{amount}(?![\d,.])"


def payment_name(method: str, lang: str) -> str:
    names = PAYMENT_METHODS.get(method, {})
    return str(names.get(lang) or names.get("en") or method)


def payment_in_text(text: str, offered: tuple[str, ...]) -> str | None:
    """The payment method a customer typed ("kartą", "by card"), among those offered."""
    folded = fold(text)
    found = [m for m in offered if any(w in folded for w in PAYMENT_METHODS[m]["words"])]
    return found[0] if len(found) == 1 else None


def day_name(day: int, lang: str) -> str:
    """A weekday as said in a sentence: "w niedzielę", "on Sunday" (Monday = 0)."""
    return _LONG_DAY_NAMES.get(lang, _LONG_DAY_NAMES["en"])[day]


def days_in_text(text: str) -> tuple[int, ...]:
    """The weekdays a message names ("w niedzielę", "on Sundays", "w weekend"), Monday = 0;
    none when it asks about a holiday ("Easter Sunday", "niedziela wielkanocna")."""
    folded = fold(text)
    if _HOLIDAY.search(folded):
        return ()
    days = [i for i, words in enumerate(_WEEKDAY_WORDS) if words.search(folded)]
    if _WEEKEND.search(folded):
        days += [5, 6]
    return tuple(sorted(set(days)))


def days_ahead_in_text(text: str) -> tuple[int, ...]:
    """The days a message names from today ("dziś" 0, "jutro" 1); none for a holiday."""
    folded = fold(text)
    if _HOLIDAY.search(folded):
        return ()
    return tuple(ahead for words, ahead in _DAYS_AHEAD if words.search(folded))


def day_ahead_name(ahead: int, lang: str) -> str:
    """ "dziś", "tomorrow": a day named from today."""
    return _AHEAD_NAMES.get(lang, _AHEAD_NAMES["en"])[ahead]


def asks_when(text: str) -> bool:
    """The message asks what time or when, not whether ("o której zamykacie w sobotę")."""
    return bool(_ASKS_WHEN.search(fold(text)))


def _names_place(words: list[str], place: str) -> bool:
    """Whether the words name `place` in any case ("do Podgórza", "na Nową Hutę"): each word
    of the place begins a word typed, give or take its last two letters."""
    wanted = " ".join(_WORD.findall(fold(place))).split()

    def same(typed: str, word: str) -> bool:
        common = 0
        for a, b in zip(typed, word, strict=False):
            if a != b:
                break
            common += 1
        return common >= max(3, len(word) - 2) and len(typed) - common <= 3

    return bool(wanted) and all(any(same(t, w) for t in words) for w in wanted)


def _capitalised(word: str) -> str:
    """A place typed in lower case, as it is written: "wieliczka" → "Wieliczka"."""
    return word[:1].upper() + word[1:] if word.islower() else word


def _address_asked(text: str) -> str | None:
    """The address a delivery question names, as typed: a street with its number after
    "na/do/to" ("na Długą 5", "to Szewska 8/2, Wieliczka") or one that is an address
    whatever stands before it ("ul. Długa 5", "12 Baker Street"); None when there is none."""
    spans = address_spans(text)
    if spans:
        return text[spans[0][0] : spans[0][1]].strip()
    for match in _PLACE_ASKED.finditer(text):
        street = _STREET_NUMBER.match(text, match.start("place"))
        first = fold(street.group().split()[0]) if street is not None else ""
        if (
            street is not None
            and len(first) >= 3
            and first not in _NOT_ASKED_PLACES
            and not first.startswith(_NO_STREET)
            and not _DELIVER_THEN_PLACE.search(street.group())
        ):
            return text[street.start() : with_place_after(text, street.end())].strip()
    return None


def _named_place(address: str) -> str | None:
    """The place an address names after the street and number, if any."""
    parts = [p.strip() for p in re.split(r"[,\n]", address) if p.strip()]
    tail = parts[1:] if len(parts) > 1 else []
    if not tail:
        found = re.search(r"\d+[a-zA-Z]?(?:/\d+)?\s+(.+)$", address)
        tail = [found.group(1)] if found else []
        if re.findall(r"[^\W\d_]+", fold(" ".join(tail)))[-1:] in ([k] for k in _STREET_KINDS):
            return None  # "12 Baker Street": the street's own name after its number
    for part in tail:
        words = [w for w in _WORD.findall(_POSTCODE.sub(" ", part)) if fold(w) not in
                 _NOT_PLACES and len(w) > 1]  # fmt: skip
        if words and not re.search(r"\d", part.replace(" ", "")[:1]):
            return " ".join(words)
    return None


def _span_text(span: tuple[time, time]) -> str:
    closes = "24:00" if span[1] == time(0) else f"{span[1]:%H:%M}"
    return f"{span[0]:%H:%M}–{closes}"


def _read_hours(raw: Any) -> tuple[tuple[time, time] | None, ...]:
    if raw is None:
        return ((time(11), time(22)),) * 7
    if not isinstance(raw, dict):
        raise ShopError("hours must map weekdays (mon…sun) to HH:MM-HH:MM or closed")
    unknown = set(map(str, raw)) - set(WEEKDAYS)
    if unknown:
        raise ShopError(f"hours: unknown weekday {sorted(unknown)[0]!r}; use mon…sun")
    out: list[tuple[time, time] | None] = []
    for day in WEEKDAYS:
        value = raw.get(day)
        if value in (None, "", "closed", False):
            out.append(None)
            continue
        found = _HOURS.match(str(value))
        if not found:
            raise ShopError(
                f"hours {day}: {value!r} is not HH:MM-HH:MM (or closed)",
                "bad_hours",
                day=day,
                value=str(value),
            )
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2) or (h2, m2) > (24, 0):
            raise ShopError(
                f"hours {day}: {value!r} is not a valid time range",
                "bad_hours",
                day=day,
                value=str(value),
            )
        # 00:00-24:00 is all day: a closing time at or before opening runs past midnight.
        out.append((time(h1, m1), time(h2 % 24, m2)))
    return tuple(out)


def _read_window(raw: Any, what: str) -> Window:
    found = _MINUTES.match(str(raw))
    if not found:
        raise ShopError(
            f"{what}_minutes: {raw!r} is not minutes like 30 or 45-60",
            "bad_minutes",
            what=what,
            value=str(raw),
        )
    low = int(found.group(1))
    high = int(found.group(2) or low)
    if not 1 <= low <= high <= 600:
        raise ShopError(
            f"{what}_minutes: {raw!r} must be 1–600 minutes, low to high",
            "bad_minutes",
            what=what,
            value=str(raw),
        )
    return Window(low, high)


def _read_payments(raw: Any) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {"delivery": ("cash", "card"), "pickup": ("cash", "card", "blik")}
    if not isinstance(raw, dict):
        raise ShopError("payment_methods must map delivery/pickup to a list of methods")
    out: dict[str, tuple[str, ...]] = {}
    for way in FULFILMENTS:
        methods = tuple(str(m).strip().lower() for m in raw.get(way) or ())
        for method in methods:
            if method not in PAYMENT_METHODS:
                known = ", ".join(PAYMENT_METHODS)
                raise ShopError(
                    f"payment_methods {way}: unknown {method!r}; one of {known}",
                    "unknown_payment_method",
                    way=way,
                    method=method,
                    known=known,
                )
        if not methods:
            raise ShopError(
                f"payment_methods: offer at least one method for {way}",
                "needs_payment_method",
                way=way,
            )
        out[way] = methods
    return out


def _read_postcode(raw: Any) -> str:
    prefix = str(raw).strip()
    if not re.fullmatch(r"\d{1,2}(-\d{0,3})?", prefix):
        raise ShopError(
            f"delivery_area postcodes: {raw!r} is not a prefix like 30- or 31-5",
            "bad_postcode",
            value=str(raw),
        )
    return prefix


def _grosze(raw: dict[str, Any], key: str) -> int:
    try:
        value = int(raw.get(key) or 0)
    except (TypeError, ValueError) as exc:
        raise ShopError(f"{key} must be whole grosze") from exc
    if value < 0:
        raise ShopError(f"{key} must not be negative")
    return value
