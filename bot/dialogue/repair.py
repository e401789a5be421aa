"""Conversation repair: what a message means at this moment.

Rasa CALM's idea: flows stay on their happy path, and every way a customer leaves it is
one reusable pattern. Here that is two things every flow and handler gets for free:

- `read_in_context` rereads the classifier's intent against what was just said: a size
  or a number alone right after adding items corrects those items ("jednak średnie",
  "not 3, 2"); "usuń wszystkie cole" names a product, so it removes that product and
  does not empty the cart; a name and a phone are contact details, not a linking request;
  an unclear message naming a product is an order; an order that says how it is
  fulfilled ("na wynos", "z dostawą na Długą 5") is kept for the checkout. What it reads of
  the items is in `bot.dialogue.repair_items`, of the way and address in
  `bot.dialogue.repair_ways`, of a contact in `bot.dialogue.contact_said`, of questions in
  `bot.dialogue.repair_questions`, and words that call for a person in
  `bot.dialogue.handing_over`.
- `bot.dialogue.confirmation.Confirmation` is a yes/no question as a tiny flow (empty the
  cart? ask a person?), used by `bot.dialogue.repair_handlers`.
"""

from __future__ import annotations

import re

from bot.actions.cart import SWAP
from bot.actions.support import asks_price_extreme
from bot.dialogue.cart import typed_numbers, wishes_of_items
from bot.dialogue.checkout import (
    WAY_TOPICS,
    address_as_before,
    done_ordering,
    only_payment,
    remember_payment,
    remember_way,
    way_in_text,
)
from bot.dialogue.contact_said import contact_completes_order, keep_contact_said_with_order
from bot.dialogue.handing_over import CAME_WITH, HAPPENED, WAITING_LONG, WENT_WRONG, asks_for_person
from bot.dialogue.repair_items import (
    ADDING,
    NOT_WANTED,
    asks_what_to_remove,
    becomes_another,
    declined_products,
    declines_pending,
    drop_declined_items,
    drop_referred_items,
    in_cart,
    name_the_offered_product,
    name_the_same_again,
    names_just_added_only,
    offers_checkout,
    swaps_declined,
)
from bot.dialogue.repair_questions import (
    ASKS_IF_SOLD,
    ASKS_TOTAL,
    OPEN_ON,
    asked_about_product,
    asked_at_summary,
    asks_if_ready,
    asks_when_it_arrives,
    asks_when_it_comes,
    cart_step_under_a_name,
    top_guess,
)
from bot.dialogue.repair_ways import (
    address_after_delivery_said,
    address_before_ordering,
    delivery_wanted_there,
    done_with_way,
    street_not_products,
    way_alone_after_order,
    way_chosen_aside,
)
from bot.dialogue.rereading import (
    MIN_CONFIDENCE,
    REREAD_CONFIDENCE,
    holds_items,
    just_added,
    reread,
)
from bot.dialogue.turn import Turn
from intents.doors import door_note
from intents.text import fold
from knowledge.shop import days_in_text

# A question's first word: "czy margherita jest bez bazylii" asks, it orders nothing.
_ASKING = re.compile(r"^\s*(czy|jest|ma|is|does|do|can|are)\b")


def _ordered_with_a_wish(turn: Turn, intent: str, text: str) -> bool:
    """A product named with a wish for it and nothing asked ("margherita bez bazylii",
    "hawajska bez ananasa"): ordered so, not its card, nor taken out of a cart without it."""
    if (
        intent not in ("product_info", "remove_from_cart", "faq", "nlu_fallback", "allergens")
        or "?" in turn.text
        or _ASKING.match(text)
        or not wishes_of_items(turn.text, list(turn.parse.get("entities") or []))
    ):
        return False
    if intent != "remove_from_cart":
        return True
    cart = turn.preloaded.cart if turn.preloaded is not None else None
    lines = cart.__dict__.get("items") or [] if cart is not None else []
    named = {str(p["value"]) for p in turn.entities("product")}
    return not any(line.product_id in named for line in lines)


# Words around a wish said alone ("bez cebuli proszę", "no basil on it please"); folded.
_AROUND_A_WISH = frozenset(
    "a i do tego tej tym niej niego niej na prosze poprosze jeszcze tez oh and also please pls "
    "on it that one the for ok okay thanks dzieki a jednak actually".split()
)


def _wish_alone(turn: Turn) -> bool:
    """The message is a wish and words around it alone, nothing asked."""
    if "?" in turn.text or turn.intent in ("complaint", "human_handoff", "cancel_order"):
        return False
    wishes = wishes_of_items(turn.text, list(turn.parse.get("entities") or []))
    if not wishes:
        return False
    rest = list(turn.text)
    for w in wishes:
        rest[w.start : w.end] = " " * (w.end - w.start)
    words = re.findall(r"[^\W\d_]+", fold("".join(rest)))
    return all(w in _AROUND_A_WISH or w.startswith("pizz") for w in words)


_ORDERING = re.compile(
    r"^\s*((hej|hejka|czesc|siema|witam|dzien dobry|dobry wieczor|hi|hey|hello|helo|"
    r"good (morning|evening))\W+)?"
    r"(poprosze|prosze o|chce|chcialbym|chcialabym|zamawiam|dodaj|do tego|i'?d like|i want|"
    r"give me|can i (get|have)|add)\b"
)
# Words that make a size or a number a correction of what was just added.
_CORRECTING = re.compile(
    r"\b(jednak|nie|zmien\w*|zamien\w*|popraw\w*|zamiast|wole|niech|mialy|maja|ma byc|mial|"
    r"pomylil\w*|sorry|zwieksz\w*|zmniejsz\w*|wymien\w*|podmien\w*|zrob|"
    r"przepraszam|not|no|actually|make|change|meant|instead|rather|oops|wrong|only|just|swap|"
    r"switch|replace|exchange|increase|reduce|update|edit|should|tylko|sorki|sory|ups|"
    r"wlasciwie|raczej|lepiej|wystarcz\w*|starcz\w*|enough|will do)\b"
)
# Paying later ("chcę zapłacić później", "I'll pay later", "zapłacę przy odbiorze"): asks how
# paying works, answered by the shop's payment facts; no wish to check out now. Folded.
# ("płacę" folds to "place", an English word too: "I'll place the order later" orders.)
_PAY = r"(zaplac\w*|placic|oplac\w*|platnosc\w*|pay|paying|paid)"
_LATER = (
    r"(pozniej|potem|na koncu|przy (odbiorze|dostawie|drzwiach)|na miejscu|"
    r"later|afterwards|on delivery|on arrival|at the door|when (it|they|the \w+) (comes?|arrives?))"
)
_PAYS_LATER = re.compile(rf"\b{_PAY}\b.{{0,30}}\b{_LATER}\b|\b{_LATER}\b.{{0,15}}\b{_PAY}\b")
# Confirming with nothing asked: the customer means the order ("potwierdzam", "confirm").
_CONFIRMING = re.compile(r"^\W*(potwierdz\w*|zatwierdz\w*|confirm\w*)\b")
_LINKING = re.compile(r"\b(pola?cz\w*|link\w*|kod\w*|code|zweryfikuj\w*|verify|weryfik\w*|sms)\b")

# Going on in another of the shop's channels, in the customer's words ("dajcie mi kod,
# dokończę na waszej stronie", "przejdę na telegrama", "can we carry on by text message?"):
# a verb of moving on and a channel named; folded. Asking for the code that links them.
_MOVE_ON = re.compile(
    r"\b(przejd\w*|przejs\w*|przenie\w*|przenies\w*|kontynu\w*|dokoncz\w*|dokonczy\w*|"
    r"(pisac|pisze|pisal\w*) dalej|dalej (pisac|pisze|pisal\w*)|przelacz\w*|carry on|continue|move|"
    r"switch|finish|go on|keep going|"
    r"pick (it|this) up)\b"
)
_OTHER_CHANNEL = re.compile(
    r"\b(telegram\w*|sms\w*|esem\w*|text messages?|texts?|by text|over text|"
    r"(na|do|przez) (wasz\w* |tej )?stron\w*|stronie|website|web ?chat|the site|your site|"
    r"czat\w* na stronie)\b"
)


# Being told there instead ("can you text me the updates instead?", "informujcie mnie
# SMS-em", "let me know on telegram"): the same move, for what the shop sends; folded.
_TELL_ME = re.compile(
    r"\b(text me|sms me|message me|updates?|notif\w*|let me know|keep me posted|"
    r"powiadom\w*|powiadamia\w*|informuj\w*|informowa\w*|dajcie znac|dawajcie znac)\b"
)


def _moves_channel(text: str) -> bool:
    """The folded text asks to go on, or to be told, in another channel (see `_MOVE_ON`)."""
    return bool((_MOVE_ON.search(text) or _TELL_ME.search(text)) and _OTHER_CHANNEL.search(text))


# The last order again, said beside something more ("zamów to co poprzednio i dorzuć colę",
# "same as last time plus a garlic sauce"): folded.
_AGAIN = re.compile(
    r"\b(to samo|to co|tak jak|tego co|jak)\s+(ostatnio|poprzednio|wczesniej|ostatnim razem|"
    r"zawsze|zwykle|w zeszlym tygodniu)\b|\bpowtorz\w*\b|\bponow\w*\b|"
    r"\b(same|the usual|my usual)\b.*\b(again|last time|before|as usual|order)\b|"
    r"\b(my|our|the) (last|previous) order\b|\bthe usual\b"
)

# Giving up on what was being ordered, in words that name nothing to cancel ("a nie,
# rezygnuję z tego wszystkiego", "never mind, forget it", "forget all of that"): folded. The
# cancel handler then means the cart (asked first) or the open order.
_GIVING_UP = re.compile(
    r"\b(rezygnuj\w*|zrezygnow\w*|odpuszczam|odpuscmy|dam sobie spokoj|daj(my)? sobie spokoj|"
    r"zapomnij\w* o (tym|wszystkim)|i give up|never ?mind|"
    r"(forget|scrap) (about )?(all( of)? )?(it|that|this|those|everything|the whole thing)|"
    r"call it off|"
    # Taking back the order itself in other words ("wycofuję to zamówienie", "kill the order").
    r"wycof\w*|(kill|drop|ditch|withdraw|stop|cancel) (the|my|our|this|that) order)\b"
)

# A number alone, maybe with its unit: "3", "2 szt.", "4 pieces".
_BARE_NUMBER = re.compile(r"^\W*\d{1,4}\W*(szt\w*|sztuk\w*|pcs|pieces?|x)?\W*$")


def _corrects_by_number(text: str) -> bool:
    """A number the NLU did not take for a quantity still corrects the items just added
    when it is all that was typed or said with a correcting word ("not 3, 2"); a street
    and house number ("Długa 12/3", "Starowiślna 20, Kraków") is an address, not a quantity."""
    return bool(typed_numbers(text)) and bool(_BARE_NUMBER.match(text) or _CORRECTING.search(text))


# Changes a placed order can still take (the FAQ: until the pizza is in the oven).
_CHANGEABLE = frozenset({"new", "confirmed"})


def _changes_placed_order(turn: Turn) -> bool:
    """A correction with nothing in the cart and nothing just added, while an order placed
    is new or confirmed: it is that order the customer wants changed ("oh no, can I still
    change it to a large?", "a mozna jeszcze zmienic na duza?")."""
    preloaded = turn.preloaded
    if (
        turn.state.flow is not None
        or preloaded is None
        or turn.intent != "change_item"
        or turn.confidence < MIN_CONFIDENCE
        or holds_items(turn)
        or _AGAIN.search(fold(turn.text))  # "same as last time but large": a new order
    ):
        return False
    placed = preloaded.latest_open_order
    return placed is not None and placed.status in _CHANGEABLE


# Small talk that may open or close an order ("ok, to na razie mała pepperoni" reads as
# goodbye): with an item said in its size or number, the item is ordered.
_SMALL_TALK = frozenset({"goodbye", "thanks", "greet", "affirm"})


# Taking everything out ("usuń to wszystko", "wywal wszystko", "remove it all"): folded. "To
# wszystko" alone is done ordering; with a verb of removing before it, the cart is emptied.
_EMPTIES_THE_CART = re.compile(
    r"\b(?:usun|wyrzuc|wywal|skasuj|wyczysc|oproznij|remove|delete|clear|empty|scrap)\w*\b"
    r".*\b(?:wszystk\w*|cal[aey]\w*|all|everything)\b"
)


def read_in_context(turn: Turn) -> None:
    """Reread the turn's intent in the light of the conversation (see the module doc)."""
    if turn.from_button:
        return
    if turn.state.flow == "checkout" and turn.state.step == "address":
        street_not_products(turn)
    name_the_offered_product(turn)
    name_the_same_again(turn)
    text = fold(turn.text)
    products = bool(turn.entities("product"))
    if not products and asks_when_it_comes(turn):
        reread(turn, "delivery_time")  # "kiedy bedzie?": the order on its way, if any
    elif (
        not products
        and not turn.entities("order_number")
        and (
            (
                turn.intent in ("faq", "nlu_fallback", "order_status", "payment_methods")
                and asks_when_it_arrives(text)
            )
            or (
                (turn.intent in ("faq", "nlu_fallback") or turn.confidence < REREAD_CONFIDENCE)
                and asks_if_ready(turn.text)
            )
        )
    ):
        turn.parse = {**turn.parse, "faq": None}
        # "za ile bedzie kurier?": not the driver's change; "mogę już po nią jechać?": the
        # order's status and time.
        reread(turn, "delivery_time")
    if (
        not products
        and (turn.intent == "nlu_fallback" or turn.confidence < REREAD_CONFIDENCE)
        and (top_guess(turn) == "opening_hours" or ("?" in turn.text and OPEN_ON.search(text)))
        and days_in_text(turn.text)
    ):
        # "czy w niedzielę też można u was zamawiać?": that day's hours, however unsure.
        reread(turn, "opening_hours")
    if (
        not products
        and (turn.intent == "nlu_fallback" or turn.confidence < REREAD_CONFIDENCE)
        and turn.intent not in ("prices", "complaint", "human_handoff")
        and asks_price_extreme(text)
    ):
        reread(turn, "prices")  # "a najdroższy napój?": the dearest drink, with its price
    if turn.confidence < MIN_CONFIDENCE and not products:
        turn.parse = {**turn.parse, "intent": {"name": "nlu_fallback", "confidence": 0.0}}
    if turn.intent not in ("complaint", "human_handoff", "leave_message") and asks_for_person(
        text, products=True
    ):
        # "I want to talk to a person about gluten free options": a person, whatever the
        # topic the rest is about and wherever the conversation stands (at the summary the
        # words would become the kitchen's note).
        reread(turn, "human_handoff")
        return
    if asked_at_summary(turn):
        reread(turn, turn.intent)  # answered, then the summary again
        return
    if _changes_placed_order(turn):
        reread(turn, "change_order")  # "oh no, can I still change it to a large?"
        return
    if (
        not products
        and turn.intent not in ("complaint", "human_handoff")
        and not (turn.intent == "link_channels" and turn.confidence >= REREAD_CONFIDENCE)
        and _moves_channel(text)
    ):
        # "przejdę na telegrama, jak to zrobić?" where the name is asked: the code (and the
        # link) to go on there, then the question again.
        reread(turn, "link_channels")
        return
    contact = keep_contact_said_with_order(turn) if products and turn.state.flow is None else None
    if contact is not None:
        text = fold(turn.text)  # the order alone ("duża margherita na wynos")
    intent = turn.intent
    if (
        intent in ("nlu_fallback", "change_item", "deny", "add_to_cart", "human_handoff")
        # Out of scope however sure: a request for a person in a long, unhappy message.
        and (intent == "nlu_fallback" or turn.confidence < REREAD_CONFIDENCE)
        and asks_for_person(text, products)
    ):
        # "could I speak with somebody from your staff? … a big order": a person, whatever
        # size or product the sentence mentions — also while a size question waits.
        reread(turn, "human_handoff")
        intent = turn.intent
    if (
        not products
        and turn.state.flow is None
        and (intent in ("nlu_fallback", "deny") or turn.confidence < REREAD_CONFIDENCE)
        and _GIVING_UP.search(text)
    ):
        reread(turn, "cancel_order")  # "a nie, rezygnuję z tego wszystkiego"
        intent = turn.intent
    if (
        intent not in ("complaint", "human_handoff", "leave_message")
        and turn.state.flow in (None, "ask_size")
        and (
            intent == "nlu_fallback"
            or turn.confidence < REREAD_CONFIDENCE
            or (intent == "faq" and "?" not in turn.text)
        )
        and (
            (HAPPENED.search(text) and (WENT_WRONG.search(text) or CAME_WITH.search(text)))
            or (not products and WAITING_LONG.search(text))
        )
    ):
        reread(turn, "complaint")  # "zamawiałem hawajską a przywieźli pepperoni, jestem wściekły"
        return
    if (
        turn.state.flow is None
        and not products
        and not turn.entities("phone")
        and intent not in ("complaint", "human_handoff", "leave_message")
        and door_note(turn.text)
    ):
        reread(turn, "order_note")  # "domofon 3" after ordering: a note, not 3 pizzas
        return
    if (
        not products
        and turn.state.flow is None
        and intent in ("checkout", "payment_methods", "nlu_fallback", "faq")
        and _PAYS_LATER.search(text)
        and not any(done_ordering(part) for part in re.split(r"[,.;!]", text))
    ):
        # "chcę zapłacić później": how paying works (the shop's own words), not a checkout.
        turn.parse = {**turn.parse, "faq": None}
        reread(turn, "payment_methods")
        return
    if declines_pending(turn, text):
        reread(turn, "remove_from_cart")  # "jednak bez diavoli" asked its size: not that one
        return
    drop_referred_items(turn, text)
    drop_declined_items(turn)
    products = bool(turn.entities("product"))
    modifies = bool(turn.entities("size") or turn.entities("quantity") or _corrects_by_number(text))
    if intent == "clear_cart" and products:
        reread(turn, "remove_from_cart")  # "usuń wszystkie cole": the colas, not the cart
    elif (
        not products
        and not turn.entities("category")
        and intent in ("checkout", "remove_from_cart", "nlu_fallback")
        and _EMPTIES_THE_CART.search(text)
    ):
        reread(turn, "clear_cart")  # "usuń to wszystko": emptied (once confirmed), no checkout
    elif not products and intent != "browse_menu" and _category_alone(turn):
        reread(turn, "browse_menu")  # "napoje", "sosy?": the menu's category, as its chip
    elif not products and turn.state.flow is None and just_added(turn) and _wish_alone(turn):
        reread(turn, "change_item")  # "bez cebuli proszę" after adding a pizza: for it
    elif products and _ordered_with_a_wish(turn, intent, text):
        reread(turn, "add_to_cart")  # "margherita bez bazylii": ordered so, not asked about
    elif (
        intent in ("remove_from_cart", "add_to_cart", "nlu_fallback")
        and (products or turn.entities("off_menu"))
        and _names_items_only(turn)
    ):
        # Things named alone are ordered ("woda i sok": no word of taking out), or taken out
        # when the bot has just asked which to take out.
        wanted = "remove_from_cart" if asks_what_to_remove(turn) else "add_to_cart"
        if intent != wanted:
            reread(turn, wanted)
    elif (
        not products
        and modifies
        and not turn.entities("phone")
        and just_added(turn)
        and (
            turn.state.flow in (None, "ask_size")
            # At the checkout's summary a size still corrects the pizzas ("nie, duża").
            or (turn.state.step == "confirm" and bool(turn.entities("size")))
        )
        and (
            intent in ("change_item", "deny", "nlu_fallback")
            or (intent == "add_to_cart" and _CORRECTING.search(text))
        )
        and not (turn.state.flow == "ask_size" and turn.entities("size"))
    ):
        reread(turn, "change_item")  # "jednak średnie", "nie, trzy", "not 3, 2"
    elif (
        products
        and intent in ("change_item", "add_to_cart", "nlu_fallback", "deny", "remove_from_cart")
        and len(declined_products(turn)) == len(turn.entities("product"))
        and {str(p["value"]) for p in turn.entities("product")} <= in_cart(turn)
    ):
        # "a jednak bez jednej capricciosy", "actually without the cola": out of the cart,
        # however many it says (not "make it one").
        reread(turn, "remove_from_cart")
    elif (
        products
        and intent in ("add_to_cart", "nlu_fallback", "remove_from_cart", "prices")
        and (turn.entities("quantity") or turn.entities("size") or typed_numbers(text))
        and _CORRECTING.search(text)
        and not ADDING.search(text)
        and names_just_added_only(turn)
    ):
        reread(turn, "change_item")  # "sorry, only 2 cokes": that many, not 2 more
    elif len(turn.entities("product")) >= 2 and (
        SWAP.search(text) or swaps_declined(turn) or becomes_another(turn, text)
    ):
        # "zamiast margherity daj wegetariańską", "nie chcę jednak pepperoni, daj hawajską":
        # one for the other.
        reread(turn, "change_item")
    elif (
        intent in ("change_item", "deny", "nlu_fallback", "add_to_cart", "faq", "prices")
        and len({str(e["value"]) for e in turn.entities("product")}) == 1
        and not (turn.entities("size") or turn.entities("quantity"))
        and (NOT_WANTED.search(text) or _GIVING_UP.search(text))
    ):
        # "wody jednak nie trzeba", "z coli rezygnuję", "the juice, never mind": that
        # product goes.
        reread(turn, "remove_from_cart")
    elif (
        not products
        and len(turn.entities("category")) == 1
        and intent in ("change_item", "deny", "nlu_fallback", "add_to_cart", "faq")
        and holds_items(turn)
        and NOT_WANTED.search(text)
    ):
        reread(turn, "remove_from_cart")  # "sosu jednak nie biorę": the sauce goes
    elif intent == "change_item" and products and not _CORRECTING.search(text):
        reread(turn, "add_to_cart")  # "the hawaiian, large" after the menu: an order
    elif (
        turn.entities("phone")
        and intent in ("link_channels", "nlu_fallback", "human_handoff", "contact_details")
        and not _LINKING.search(text)
    ):
        if turn.state.flow is None and contact_completes_order(turn):
            reread(turn, "checkout")  # all the checkout would ask is known: the summary
        else:
            reread(turn, "contact_details")  # "Anna Kowalska, 601 234 567"
    elif products and intent != "add_to_cart" and _orders_after_question(turn):
        # "ile kosztuje dostawa? i od razu poproszę dużą capricciosę na dowóz", "do you deliver
        # to Podgorze? if so 2 medium hawaiians to …": the order after the question is made,
        # read alone (the question's words are no street, number or item of it).
        asked = turn.text.rfind("?") + 1
        entities = [
            {**e, "start": int(e.get("start", 0)) - asked, "end": int(e.get("end", 0)) - asked}
            for e in turn.parse.get("entities", [])
            if int(e.get("start", 0)) >= asked
        ]
        turn.parse = {**turn.parse, "text": turn.text[asked:], "entities": entities, "faq": None}
        reread(turn, "add_to_cart")
    elif products and intent == "faq" and (runner_up := cart_step_under_a_name(turn)):
        # "zmień wegetariańską na małą", "ile kosztuje duża wegetariańska": the FAQ about
        # meat-free pizzas won on the pizza's name; what the message does is the runner-up.
        reread(turn, runner_up)
    elif (
        products
        and intent == "faq"
        and "?" not in turn.text
        and (turn.entities("size") or _ORDERING.match(text) or _names_items_only(turn))
    ):
        # "poproszę średnią wegetariańską bez sera", "wegetarianska i cola": an order, not
        # the FAQ about meat-free pizzas.
        reread(turn, "add_to_cart")
    elif (
        products
        # "medium veggie delivered to Pawia 5/1": an order, not asking after (or rating) one.
        and intent in (*WAY_TOPICS, "order_status", "rate_order")
        and "?" not in turn.text
        and way_in_text(turn.text) is not None
        and (
            turn.confidence < REREAD_CONFIDENCE
            or turn.entities("size")
            or turn.entities("quantity")
            or _ORDERING.match(text)
        )
    ):
        # "mała margherita z dowozem na Kalwaryjską 30": an order said with its way and
        # address, not the delivery-area question.
        reread(turn, "add_to_cart")
    elif (
        not products
        and (intent == "nlu_fallback" or turn.confidence < REREAD_CONFIDENCE)
        and ASKS_TOTAL.search(text)
    ):
        reread(turn, "show_cart")  # "ile to wyjdzie razem?": the cart shows its total
    elif products and (about := asked_about_product(turn)) is not None:
        reread(turn, about)  # "a ten bbq ma gorczyce?": asked about, not ordered
    elif products and intent in ("nlu_fallback", "facilities") and ASKS_IF_SOLD.match(text):
        # "czy macie sos czosnkowy?": shown, not added; a product is no facility (parking,
        # Wi-Fi) the bot would have to ask a person about.
        reread(turn, "product_info")
    elif (
        not products
        and turn.entities("off_menu")
        and intent in ("nlu_fallback", "facilities", "faq", "product_info", "browse_menu")
        and ASKS_IF_SOLD.match(text)
    ):
        # "czy macie sprite?": not on the menu, and what is of its kind (no person asked).
        reread(turn, "product_info")
    elif not products and turn.entities("off_menu") and intent == "nlu_fallback":
        reread(turn, "add_to_cart")  # "sok jabłkowy", "sprite": asked for, not on the menu
    elif products and intent in ("nlu_fallback", "prices", "deny"):
        if intent == "nlu_fallback" or (turn.entities("quantity") and turn.confidence < 0.6):
            reread(turn, "add_to_cart")  # "0 margherit": an order, refused politely later
    elif (
        products
        and intent in _SMALL_TALK
        and turn.state.flow is None
        and "?" not in turn.text
        and (turn.entities("size") or turn.entities("quantity") or _ORDERING.match(text))
    ):
        reread(turn, "add_to_cart")  # "ok, to na razie mała pepperoni": an order, no goodbye
    elif (
        (products or turn.entities("size"))
        and turn.state.flow is None
        and intent in ("add_to_cart", "reorder", "nlu_fallback", "change_item")
        and "?" not in turn.text
        and _AGAIN.search(text)
        and not address_as_before(turn.text)
    ):
        # "zamów to co poprzednio i dorzuć colę": both; "to samo co ostatnio, ale duże": the
        # last order in that size.
        reread(turn, "reorder")
    elif delivery_wanted_there(turn, intent, products):
        reread(turn, "checkout")  # "I want delivery to Długa 5, Kraków": no order of nothing
    elif intent == "nlu_fallback" and _ORDERING.match(text):
        reread(turn, "add_to_cart")  # "poproszę sushi": an order, not on the menu
    elif intent == "nlu_fallback" and turn.entities("size"):
        reread(turn, "change_item")  # "jednak duża"
    elif done_with_way(turn, intent, products):
        reread(turn, "checkout")  # "to wszystko, odbiorę sam": done, and that way
    elif way_alone_after_order(turn, intent, products):
        reread(turn, "checkout")  # "z dostawą", "for pickup" after filling the cart
    elif way_chosen_aside(turn, intent, products):
        # "i zmień na odbiór osobisty" while the size is asked: kept for the checkout, and
        # the question asked again.
        reread(turn, "choose_fulfilment")
    elif (
        turn.state.flow is None
        and intent in ("affirm", "nlu_fallback")
        and just_added(turn)
        and _CONFIRMING.match(text)
    ):
        reread(turn, "checkout")  # "potwierdzam" with items just ordered: check out
    elif (
        turn.state.flow is None
        and intent == "affirm"
        and not products
        and holds_items(turn)
        and offers_checkout(turn)
    ):
        # "tak" to the cart shown with its checkout button (a reorder put it there): the
        # offer is taken.
        reread(turn, "checkout")
    elif (
        turn.state.flow in (None, "ask_size")
        and not products
        # "na razie tyle" reads as goodbye; with items in the cart it is done ordering.
        and (intent in ("nlu_fallback", "goodbye") or turn.confidence < REREAD_CONFIDENCE)
        and holds_items(turn)
        and done_ordering(text)
    ):
        reread(turn, "checkout")  # "koniec zamówienia", "done with my order": check out
    elif address_after_delivery_said(turn, intent, products):
        # "…z dostawą", then "ul. Długa 5, Kraków" alone: where to deliver, so check out.
        slots = dict(turn.state.slots or {})
        slots["given_address"] = turn.text.strip(" ,.;:")[:300]
        turn.state.slots = slots
        reread(turn, "checkout")
    elif (address := address_before_ordering(turn, intent, products)) is not None:
        # "adres: Długa 5, Kraków" before ordering: kept for the checkout, and said back.
        turn.state.slots = {
            **(turn.state.slots or {}),
            "given_fulfilment": "delivery",
            "given_address": address,
        }
        reread(turn, "choose_fulfilment")
    if (
        turn.state.flow == "checkout"
        and (
            turn.state.step in ("fulfilment", "payment")
            # At the summary only with a word of adding: "pizza bez bazylii" is a note.
            or (turn.state.step == "confirm" and ADDING.search(text))
        )
        and products
        and turn.intent == "add_to_cart"
        and turn.confidence < REREAD_CONFIDENCE
    ):
        # "dorzuć sok" short of the delivery minimum, "i jeszcze sos czosnkowy" at the summary:
        # an item added, whatever the NLU's doubt (a question that takes no free text cannot
        # mean anything else by a product).
        reread(turn, "add_to_cart")
    if (
        turn.state.flow == "checkout"
        and (turn.state.slots or {}).get("pending_items")
        and turn.entities("size")
        and not products
        and turn.intent in ("add_to_cart", "change_item", "nlu_fallback", "inform")
    ):
        # "margherita bez bazylii" at the summary asked its size: "duża" is that size.
        reread(turn, "add_to_cart")
    if (
        turn.state.flow is None
        and not products
        and turn.intent in ("payment_methods", "faq", "nlu_fallback", "checkout")
        and "?" not in turn.text
        and holds_items(turn)
        and only_payment(turn.text)
    ):
        reread(turn, "checkout")  # "gotówka" with items in the cart: checking out, paid so
    if turn.state.flow != "checkout" and turn.intent in ("add_to_cart", "checkout"):
        # "duża margherita na wynos": the checkout will not ask again. Not the address when
        # a phone was cut from the middle of it ("na Długą 5 Anna 601…": where it ends?).
        remember_way(turn, address=contact != "inside")
        remember_payment(turn)  # "…, odbiór osobisty, kartą": how they pay, for the summary


# Words that may surround items in an order that is nothing else ("poproszę X i Y, please").
_ORDER_FILLERS = frozenset(
    "poprosze prosze chce chcialbym chcialabym dodaj zamawiam wezme i a oraz plus jeszcze "
    "tez to please pls and also plus a an the i'd like want add get have".split()
)
_ITEM_ENTITIES = ("product", "size", "quantity", "off_menu")

# Words around a category asked for as a whole ("a do tego coś do picia", "and something to
# drink", "any sauces?"): folded.
_ASKING_FOR_SOME = _ORDER_FILLERS | frozenset(
    "cos czegos jakis jakies jakas jakiegos do tego dla mnie mi nam something anything some any "
    "for me us to then too as well with it can could would like we have you do got".split()
)


# Ordering words after a question ("…? to poproszę …", "…? if so …", "…? then i'll take …").
_ORDER_AFTER = re.compile(
    r"\b(poprosz\w*|prosze|chce|chcial\w*|zamawiam|zamowie|zamowimy|biore|wezme|bierzemy|"
    r"dajcie|daj|i'?ll (take|have|get)|i'?d like|give me|can i (get|have)|if so|if yes|then|"
    r"in that case)\b"
)


def _orders_after_question(turn: Turn) -> bool:
    """A question, then an order of its own: a product after the last question mark, said
    with its size or number or a word of ordering."""
    asked = turn.text.rfind("?")
    if asked < 0 or not turn.text[asked + 1 :].strip():
        return False
    after = [e for e in turn.parse.get("entities", []) if int(e.get("start", 0)) > asked]
    if not any(e.get("entity") == "product" for e in after):
        return False
    return any(e.get("entity") in ("size", "quantity") for e in after) or bool(
        _ORDER_AFTER.search(fold(turn.text[asked + 1 :]))
    )


def _category_alone(turn: Turn) -> bool:
    """The message asks for one of the menu's categories and nothing else ("napoje", "Sosy?",
    "do tego coś do picia", "and something to drink")."""
    spans = [
        (int(e["start"]), int(e["end"]))
        for e in turn.parse.get("entities", [])
        if e.get("entity") == "category"
    ]
    if len(spans) != 1:
        return False
    start, end = spans[0]
    rest = fold(turn.text[:start] + " " + turn.text[end:])
    words = re.findall(r"[^\W_]+(?:'[^\W_]+)?", rest)
    return all(w in _ASKING_FOR_SOME for w in words)


def _names_items_only(turn: Turn) -> bool:
    """The message is items and ordering words alone: an order."""
    text = turn.text
    spans = sorted(
        (int(e["start"]), int(e["end"]))
        for e in turn.parse.get("entities", [])
        if e.get("entity") in _ITEM_ENTITIES
    )
    rest, at = [], 0
    for start, end in spans:
        rest.append(text[at:start])
        at = max(at, end)
    rest.append(text[at:])
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", fold(" ".join(rest)))
    return all(w in _ORDER_FILLERS for w in words)
