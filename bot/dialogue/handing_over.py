"""Words that call for a person, whatever else a message says: asking to talk to one ("czy
mogę porozmawiać z kimś z obsługi", "dajcie kogoś żywego"), a complaint told as what
happened ("przywieźli zimną", "it came with ham on it"), a long wait told as it is."""

from __future__ import annotations

import re

from intents.features import group_view

# Asking to talk with a person, in the customer's words (folded: no diacritics): a verb of
# talking (or of asking for someone: "dajcie kogoś żywego"), then within 40 characters a
# word of the lexicon's `person` group (any inflection, read as the NLU reads it) or one of
# `_PERSON_AFTER_TALK`.
_TALK = re.compile(r"\b(speak|talk|chat|rozmawia\w*|porozmawia\w*|pogada\w*|polacz\w*|connect)\b")

# Asking for someone, in a message that orders nothing ("daj mi colę" is an order):
# "dajcie kogoś żywego", "można prosić konsultanta?", "could I get a manager".
_ASK_FOR = re.compile(
    r"\b(daj|dajcie|dawaj|dawajcie|prosic|poprosic|prosze o|poprosze|prosimy o|"
    r"give me|get me|can i (get|have)|could i (get|have)|may i have)\b"
)

_AFTER_TALK = re.compile(r".{0,40}\S*")

# Who to talk to said before the verb, in the same clause: "chcę z kimś pogadać",
# "z człowiekiem chcę rozmawiać".
_BEFORE_TALK = re.compile(r"\bz\s+[^,.;!?]{0,25}$")

# Words that name a person only after "talk to": alone they are a greeting ("jest tam ktoś?"),
# a message ("for the team") or anything alive, so the `person` group does not hold them.
_PERSON_AFTER_TALK = re.compile(r"\b(kims|kogos|zyw\w*|team|real (person|human))\b")


def asks_for_person(text: str, products: bool = False) -> bool:
    """ "czy moge porozmawiac z kims z obslugi", "could I speak with somebody from your staff",
    "dajcie kogos zywego" (not with a product named: "daj colę dla kogoś" orders)."""
    asks = [*_TALK.finditer(text), *([] if products else _ASK_FOR.finditer(text))]
    for talk in asks:
        after = _AFTER_TALK.match(text, talk.end())
        before = _BEFORE_TALK.search(text, 0, talk.start()) if talk.re is _TALK else None
        for window in (after.group(0) if after else "", before.group(0) if before else ""):
            if "~person" in group_view(window).split() or _PERSON_AFTER_TALK.search(window):
                return True
    return False


# A complaint told as what happened: an order or delivery in the past tense ("zamawiałem
# hawajską a przywieźli pepperoni", "the pizza we got was cold") with a word of it going wrong
# or of anger (someone else's order handed over is one), or with something it came with ("it
# came with ham on it", "przyszła z szynką"); folded. Said this way, products named are what
# went wrong, not an order, and an FAQ topic it touches (meat-free pizzas, the driver) is no
# question asked. (A mistake of one's own, "zamówiłem przez pomyłkę", "I ordered the wrong
# size", is no complaint.)
HAPPENED = re.compile(
    r"\b(zamawial\w*|zamowil\w*|przywiez\w*|przywiozl\w*|przyniesl\w*|przyszl\w*|przyszed\w*|"
    r"przyjechal\w*|dotarl\w*|doszl\w*|dostal\w*|dostarczyl\w*|dowiezl\w*|"
    r"(i|we) (ordered|got|received)|you (sent|brought|delivered|gave)|arrived|came|"
    r"handed|dal nam|dali nam|wreczyl\w*)\b"
)

CAME_WITH = re.compile(r"\b(came|arrived|przyszl\w*|przyjechal\w*|dotarl\w*) (with|ze?)\b")

WENT_WRONG = re.compile(
    r"\b(wsciek\w*|zdenerwowan\w*|skandal\w*|reklamac\w*|zwrot\w*|zimn\w*|spalon\w*|"
    r"przypalon\w*|surow\w*|zepsut\w*|niezadowolon\w*|rozczarowan\w*|nie to co|angry|"
    r"furious|cold|burnt|burned|refund|disappoint\w*|raw|unacceptable|not happy|terrible|"
    r"awful|disgusting|kpin\w*|zenad\w*|porazk\w*|zart\w*|ridiculous|joke|joking|"
    r"(someone|somebody|some one) else'?s|cudz\w*|czyjes|nie nasz\w*|not ours|wrong order)\b"
)

# Waiting long for an order, told as it is ("czekam już półtorej godziny na pizzę", "we've been
# waiting over an hour"): a complaint too; folded. Asking how long one waits ("ile się czeka,
# godzinę?", "how long will we be waiting, an hour?") is the delivery-time question.
WAITING_LONG = re.compile(
    r"^(?!\W*(?:ile|jak dlugo|czy|how|do (?:i|we)|will (?:i|we))\b).*?"
    r"\b(czekam\w*|czekamy|czekalem|czekalam|waiting|waited)\b.{0,40}"
    r"\b(godzin\w*|hour\w*|ages|forever|wiek\w*|wiecznosc\w*)\b"
)
