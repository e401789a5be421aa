"""Answers: FAQ entries, product information and allergens, prices and delivery costs."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from rasa_sdk import Tracker

from bot.actions.cart import entities_of, offer_instead
from bot.actions.context import ActionContext, Say, ShopAction
from bot.actions.orders import say_status
from bot.dialogue.turn import payload_for
from bot.domain.order_status import OPEN
from bot.messages import Button
from bot.orders import latest_order
from bot.store.models import utcnow
from intents.text import fold
from knowledge.catalog import Product, format_price
from knowledge.faq import FaqIndex
from knowledge.shop import asks_when, day_ahead_name, day_name, days_ahead_in_text, days_in_text

Events = list[dict[str, Any]]


class AnswerFaq(ShopAction):
    """The FAQ answer the NLU found, or the entry that answers the intent."""

    def name(self) -> str:
        return "action_answer_faq"

    @cached_property
    def faq(self) -> FaqIndex:
        return FaqIndex.load()

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        if answer_tag_asked(ctx, say, tracker):
            return []  # "czy margherita jest ostra?": about that pizza, not the FAQ's list
        found = tracker.latest_message.get("faq") or {}
        faq = ctx.shop.faq() or self.faq  # the operator-edited FAQ when there is one
        tag = tag_asked_of_none(tracker.latest_message)
        if tag is not None and found.get("id") != tag and (by_tag := faq.get(tag)) is not None:
            # "które pizze są ostre?" matched the meat-free entry on its words: the entry of
            # the tag it asks about.
            found = {"id": by_tag.id, "answer": dict(by_tag.answer)}
        answer: dict[str, str] = dict(found.get("answer") or {})
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if answer:
            entry = next((e for e in faq.entries if e.id == found.get("id")), None)
            intent = entry.intent if entry and entry.intent else intent
        else:
            entry = next((e for e in faq.entries if e.intent == intent), None)
            answer = dict(entry.answer) if entry else {}
        if intent == "delivery_time" and not (await ctx.cart()).items:
            # "Kiedy mogę odebrać?" with an order on its way (and no new one being put
            # together): that order's status and the time the kitchen gave, not how long
            # orders usually take.
            waiting = await latest_order(ctx.session, ctx.customer.id, OPEN, ctx.turn.preloaded)
            if waiting is not None:
                say_status(ctx, say, waiting)
                return []
        asked = str(tracker.latest_message.get("text") or "")
        if answer and _about_hours(intent, answer) and answer_days(ctx, say, asked):
            return []
        # Answers state the shop's facts through {variables}: filled as they are now.
        text = ctx.faq_text(answer)
        if not text:
            say(
                "faq_unknown",
                [say.button("btn_human", "human_handoff"), *ctx.main_buttons()],
            )
            return []
        if intent == "delivery_area":
            place = ctx.shop.catalog.facts.delivers_to_place(asked)
            if place is not None and place.address:
                # "czy dowozicie na Długą 5?": that address, as the checkout would judge it.
                key = "area_address_yes" if place.inside else "address_outside_area"
                say(key, address=place.name[:100])
                return []
            if place is not None and place.inside:
                # "yes, Kraków is in our area" is whole; the place by the area's own name.
                say("area_yes", place=place.name)
                return []
            if place is not None:
                # "A dowozicie na Mokotów?": the no first, then where the shop does deliver.
                text = f"{ctx.text('area_no', place=place.asked)} {text}"
        say.dispatcher.utter_message(text=text)
        return []


def _about_hours(intent: str | None, answer: dict[str, str]) -> bool:
    """An answer about opening hours (the hours entry, or one stating them, e.g. holidays)."""
    return intent == "opening_hours" or any(
        "{opening_hours}" in text or "{hours_" in text for text in answer.values()
    )


def answer_days(ctx: ActionContext, say: Say, asked: str) -> bool:
    """ "Czy jesteście otwarci w niedzielę?", "do której dziś robicie?": the hours of the days
    asked about, from the shop's facts ("yes" first only when asked whether, not when).
    False when the question names no day (or a holiday: "Easter Sunday")."""
    facts = ctx.shop.catalog.facts
    days = {d: day_name(d, ctx.lang) for d in days_in_text(asked)}
    today = facts.local(utcnow()).weekday()
    for ahead in days_ahead_in_text(asked):
        days.setdefault((today + ahead) % 7, day_ahead_name(ahead, ctx.lang))
    if not days:
        return False
    open_days = [t for t in (facts.day_hours_text(d, ctx.lang, n) for d, n in days.items()) if t]
    closed = ", ".join(name for d, name in days.items() if facts.hours[d] is None)
    when = asks_when(asked)
    if open_days and closed:
        say("open_and_closed_on_days", open=", ".join(open_days), closed=closed)
    elif open_days:
        say("hours_on_days" if when else "open_on_days", days=", ".join(open_days))
    else:
        say("closed_on_days_asked_when" if when else "closed_on_days", days=closed)
    return True


def described(ctx: ActionContext, product: Product) -> str:
    """A product's description with what its tags say ("… chilli (ostra)"): asked "is the
    diavola spicy?", the card answers it. Empty when there is neither."""
    description = product.description(ctx.lang)
    templates = ctx.shop.responses
    tags = ", ".join(ctx.text(f"tag_{t}") for t in product.tags if templates.has(f"tag_{t}"))
    if description and tags:
        return f"{description} ({tags})"
    return description or tags


# The words that ask whether a product has a tag ("czy jest ostra?", "is it vegetarian?",
# "any meat in it?"); folded.
_TAG_WORDS = {
    "spicy": re.compile(r"\b(ostr\w*|pikant\w*|spicy|hot)\b"),
    "vegetarian": re.compile(
        r"\b(wegetarian\w*|jarsk\w*|bez mies\w*|vegetarian|veggie|meat ?free|meatless|"
        r"without meat|no meat)\b"
    ),
}


def tag_asked_of_none(parse: dict[str, Any]) -> str | None:
    """The one tag a question asks about naming no product ("które pizze są ostre?", "which
    of your pizzas are spicy?"), which is also the id of its FAQ entry; None otherwise."""
    text = str(parse.get("text") or "")
    asked = [(tag, words) for tag, words in _TAG_WORDS.items() if words.search(fold(text))]
    if "?" not in text or len(asked) != 1:
        return None
    tag, words = asked[0]
    named = [
        e
        for e in parse.get("entities") or []
        if e.get("entity") == "product"
        # "ostra" names the Diavola too: here it is the word asked
        and not words.search(fold(text[int(e.get("start", 0)) : int(e.get("end", 0))]))
    ]
    return None if named else tag


def answer_tag_asked(ctx: ActionContext, say: Say, tracker: Tracker, buttons: bool = True) -> bool:
    """ "Czy margherita jest ostra?", "is the pepperoni spicy?": for each product named (or
    pointed back at), whether it has the tag asked about, from the catalog; one whose
    description has the word without the tag is described, each with its button to add it
    (`buttons`). False when no tag is asked."""
    text = str(tracker.latest_message.get("text") or "")
    folded = fold(text)
    asked = [(tag, words) for tag, words in _TAG_WORDS.items() if words.search(folded)]
    if len(asked) != 1 or not ctx.shop.responses.has(f"tag_{asked[0][0]}"):
        return False
    tag, words = asked[0]
    catalog = ctx.shop.catalog
    named = [
        catalog.products[str(e["value"])]
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") == "product"
        and str(e.get("value")) in catalog.products
        # "czy margherita jest wegetariańska?": the word asked is no pizza of that name
        and not words.search(fold(text[int(e.get("start", 0)) : int(e.get("end", 0))]))
    ]
    products = list({p.id: p for p in named}.values())
    if not products:
        return False
    for product in products:
        description = product.description(ctx.lang)
        key = (
            "product_has_tag"
            if tag in product.tags
            else "product_tag_described"
            if words.search(fold(description))
            else "product_lacks_tag"
        )
        add = Button(
            ctx.text("btn_add", product=product.name(ctx.lang)),
            payload_for("add_to_cart", product=product.id),
        )
        say(
            key,
            [add] if buttons else [],
            product=product.name(ctx.lang),
            tag=ctx.text(f"tag_{tag}"),
            description=description,
        )
    return True


class ProductInfo(ShopAction):
    def name(self) -> str:
        return "action_product_info"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        catalog = ctx.shop.catalog
        product = next(
            (catalog.products[p] for p in entities_of(tracker, "product") if p in catalog.products),
            None,
        )
        if product is None:
            if offer_instead(ctx, say, tracker):
                return []  # "czy macie sprite?": not on the menu; the drinks that are
            return await AnswerFaq().act(ctx, say, tracker)
        # "is the diavola spicy?": a yes or no, then its card; "…and is it spicy?" pointing
        # back at the item of a question before (no offsets: not spelt here), the yes or no
        # alone, the card having answered that question.
        spelt = any(
            int(e.get("end") or 0) > 0
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "product"
        )
        if answer_tag_asked(ctx, say, tracker, buttons=not spelt) and not spelt:
            return []
        templates = ctx.shop.responses
        allergens = ", ".join(
            ctx.text(f"allergen_{a}") if templates.has(f"allergen_{a}") else a
            for a in product.allergens
        )
        prices = catalog.price_list(product, ctx.lang)
        description = described(ctx, product)
        # "ile kosztuje duża margherita?": the card offers that size ("to poproszę ją" takes it).
        sizes = {str(s) for s in entities_of(tracker, "size")} & set(product.prices)
        size = sizes.pop() if product.sized and len(sizes) == 1 else None
        label = catalog.item_label(product.name(ctx.lang), size, ctx.lang)
        say(
            # A product nobody described is named alone, not followed by a placeholder.
            "product_info" if description else "product_info_undescribed",
            [
                Button(
                    ctx.text("btn_add", product=label),
                    payload_for(
                        "add_to_cart", product=product.id, **({"size": size} if size else {})
                    ),
                )
            ],
            product=product.name(ctx.lang),
            description=description,
            prices=prices,
            allergens=allergens or ctx.text("allergens_none"),
        )
        return []


# The lowest or the highest price asked for ("jaka jest najtańsza pizza?", "what's your
# cheapest pizza?", "most expensive drink?"); folded.
_CHEAPEST = re.compile(r"\b(najtansz\w*|cheapest|least expensive|lowest price\w*)\b")
_DEAREST = re.compile(r"\b(najdrozsz\w*|(most|the) expensive|priciest|dearest|highest price\w*)\b")


def asks_price_extreme(folded: str) -> bool:
    """The folded text asks for the lowest or the highest price, one of them."""
    return bool(_CHEAPEST.search(folded)) != bool(_DEAREST.search(folded))


def _priced_extreme(ctx: ActionContext, say: Say, tracker: Tracker) -> bool:
    """The cheapest (or dearest) products of the category named, or of the menu's first
    category, with their prices and Add buttons; False when no such price is asked."""
    asked = fold(str(tracker.latest_message.get("text") or ""))
    cheapest, dearest = bool(_CHEAPEST.search(asked)), bool(_DEAREST.search(asked))
    if cheapest == dearest:
        return False
    catalog = ctx.shop.catalog
    named = next(iter(entities_of(tracker, "category")), None)
    category = catalog.category(str(named)) if named else None
    if category is None and catalog.categories:
        category = catalog.categories[0]
    products = catalog.in_category(category.id) if category else []
    if not products:
        return False
    pick = min if cheapest else max
    price = pick(pick(p.prices.values()) for p in products)
    chosen = [p for p in products if pick(p.prices.values()) == price]
    say(
        "prices_cheapest" if cheapest else "prices_dearest",
        [
            Button(
                ctx.text("btn_add", product=p.name(ctx.lang)),
                payload_for("add_to_cart", product=p.id),
            )
            for p in chosen
        ],
        category=category.name(ctx.lang) if category else "",
        items="; ".join(f"{p.name(ctx.lang)}: {catalog.price_list(p, ctx.lang)}" for p in chosen),
    )
    return True


class Prices(ShopAction):
    def name(self) -> str:
        return "action_prices"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        if entities_of(tracker, "product"):
            return await ProductInfo().act(ctx, say, tracker)
        if _priced_extreme(ctx, say, tracker):
            return []
        if tracker.latest_message.get("faq"):
            return await AnswerFaq().act(ctx, say, tracker)
        catalog = ctx.shop.catalog
        say(
            "prices_info",
            [say.button("btn_menu", "browse_menu")],
            fee=format_price(catalog.delivery_fee, ctx.lang),
            free_from=format_price(catalog.free_delivery_from, ctx.lang),
            minimum=format_price(catalog.min_order_value, ctx.lang),
        )
        return []
