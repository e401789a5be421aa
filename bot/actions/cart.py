"""Menu and cart actions: browse, add (several items at once), remove, change, show, empty."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from bot.actions.context import ActionContext, Say, ShopAction
from bot.dialogue.cart import (
    ItemRequest,
    give_wishes,
    meant_numbers,
    no_quantities,
    pair_items,
    unlisted_items,
    wishes_of_items,
    without_wished_numbers,
)
from bot.dialogue.turn import payload_for
from bot.domain.item_wishes import Wish, said_back, wishes_in
from bot.domain.pricing import MAX_LINE_QUANTITY, MAX_QUANTITY, quote
from bot.messages import Button
from bot.orders import most_ordered
from bot.store.models import Cart, CartItem, utcnow
from intents.entities import CATEGORY_PLURALS
from intents.text import fold
from knowledge.catalog import Product, format_price

Events = list[dict[str, Any]]


def entities_of(tracker: Tracker, name: str) -> list[Any]:
    return [
        e.get("value")
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") == name
    ]


# The thing added last, pointed at ("take that last one off", "usuń ostatnie", "wywal to
# co dodałem na końcu"): folded.
_THE_LAST_ADDED = re.compile(r"\b(last|latest|ostatni\w*|na koncu)\b")
# Or only by a pronoun, right after adding ("no wait, take it off", "remove those", "usuń
# to", "wywal je"), unless the whole cart is meant ("usuń to wszystko").
_IT = re.compile(r"\b(it|that|this|those|them|these|to|tego|ten|te|ta|ja|je|go|tamto)\b")
_EVERYTHING = re.compile(r"\b(wszystk\w*|cal\w*|all|everything|whole)\b")


def _last_added_lines(tracker: Tracker, cart: Cart) -> list[tuple[CartItem, int]]:
    """The cart lines of the items just added, each with the number added, when the message
    points at the last thing added without naming it."""
    text = fold(str(tracker.latest_message.get("text") or ""))
    pointed = _THE_LAST_ADDED.search(text) or (_IT.search(text) and not _EVERYTHING.search(text))
    if entities_of(tracker, "category") or not pointed:
        return []
    lasts = [x for x in tracker.get_slot("last_items") or [] if isinstance(x, dict)]
    found = []
    for last in lasts:
        line = next(
            (
                i
                for i in cart.items
                if i.product_id == last.get("product") and i.size == last.get("size")
            ),
            None,
        )
        if line is not None:
            found.append((line, int(last.get("quantity") or line.quantity)))
    return found


def _names_every_one(tracker: Tracker) -> bool:
    """A category named in the plural ("napoje", "the drinks"): every item of it."""
    text = str(tracker.latest_message.get("text") or "")
    return any(
        fold(text[int(e.get("start", 0)) : int(e.get("end", 0))]) in CATEGORY_PLURALS
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") == "category"
    )


def cart_buttons(say: Say) -> list[Button]:
    return [
        say.button("btn_checkout", "checkout"),
        say.button("btn_cart", "show_cart"),
        say.button("btn_menu", "browse_menu"),
    ]


def loop_is(tracker: Tracker, name: str) -> bool:
    return (tracker.active_loop or {}).get("name") == name


# Asking what to choose ("co polecacie?", "what do you recommend?", "co dobrego macie?");
# folded.
_ASKS_RECOMMENDATION = re.compile(
    r"\b(polec\w*|recommend\w*|suggest\w*|co dobrego|co najlepsz\w*|najpopularniejsz\w*|"
    r"bestseller\w*|what'?s good|what is good|your best|most popular|specjalnosc\w*|"
    r"speciality|specialty)\b"
)
# How many products a recommendation names, and the weeks of orders that make one popular.
RECOMMENDED = 3
POPULAR_DAYS = 30


async def recommended(ctx: ActionContext) -> list[Product]:
    """What the shop recommends: the products ordered most lately (available ones), then the
    first category's in the catalog's order, up to `RECOMMENDED`."""
    catalog = ctx.shop.catalog
    since = utcnow() - timedelta(days=POPULAR_DAYS)
    popular = [catalog.products.get(p) for p in await most_ordered(ctx.session, since)]
    house = catalog.in_category(catalog.categories[0].id) if catalog.categories else []
    chosen: list[Product] = []
    for product in [*popular, *house]:
        if product is not None and product.available and product not in chosen:
            chosen.append(product)
    return chosen[:RECOMMENDED]


class ShowMenu(ShopAction):
    def name(self) -> str:
        return "action_show_menu"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        catalog = ctx.shop.catalog
        category_id = next(iter(entities_of(tracker, "category")), None)
        category = catalog.category(str(category_id)) if category_id else None
        asked = fold(str(tracker.latest_message.get("text") or ""))
        if category is None and _ASKS_RECOMMENDATION.search(asked):
            products = await recommended(ctx)
            if products:
                lines = "\n".join(self.line(ctx, p) for p in products)
                say("recommend", self.add_buttons(ctx, products), items=lines)
                return []
        if category is None:
            buttons = [
                Button(c.name(ctx.lang), payload_for("browse_menu", category=c.id))
                for c in catalog.categories
            ]
            text = ctx.faq_text((tracker.latest_message.get("faq") or {}).get("answer") or {})
            if text:
                # "Macie coś wegetariańskiego?": the menu asked about in a way the FAQ answers
                # (the meat-free pizzas), with the categories to go on from.
                say.dispatcher.utter_message(text=text, buttons=[b.as_dict() for b in buttons])
                return []
            say("choose_category", buttons)
            return []
        products = catalog.in_category(category.id)
        if not products:
            say("category_empty", ctx.main_buttons())
            return []
        lines = "\n".join(self.line(ctx, p) for p in products)
        buttons = self.add_buttons(ctx, products)
        say("category_list", buttons, category=category.name(ctx.lang), items=lines)
        return []

    @staticmethod
    def line(ctx: ActionContext, product: Product) -> str:
        prices = ctx.shop.catalog.price_list(product, ctx.lang)
        desc = product.description(ctx.lang)
        return f"• {product.name(ctx.lang)} — {prices}" + (f" ({desc})" if desc else "")

    @staticmethod
    def add_buttons(ctx: ActionContext, products: list[Product]) -> list[Button]:
        return [
            Button(
                ctx.text("btn_add", product=p.name(ctx.lang)),
                payload_for("add_to_cart", product=p.id),
            )
            for p in products
        ]


class AddToCart(ShopAction):
    def name(self) -> str:
        return "action_add_to_cart"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        catalog, maths = ctx.shop.catalog, ctx.shop.pricing
        said = str(tracker.latest_message.get("text") or "")
        wishes = wishes_of_items(said, tracker.latest_message.get("entities", []))
        entities = without_wished_numbers(
            with_typed_numbers(tracker.latest_message.get("entities", []), said), wishes
        )
        requests = pair_items(entities, maths.sized)
        give_wishes(requests, wishes)
        pending = list(tracker.get_slot("pending_items") or [])
        sizes = entities_of(tracker, "size")
        if not requests and pending and sizes:
            # The answer to "which size?": it completes the first pending item.
            first = pending.pop(0)
            requests = [
                ItemRequest(
                    first["product"], first.get("quantity"), str(sizes[0]), note=first.get("note")
                )
            ]
        elif requests:
            for req in requests:
                # A size's button pressed: the wish said with the item asked about stays.
                asked = next((p for p in pending if p.get("product") == req.product), None)
                if req.note is None and asked is not None:
                    req.note = asked.get("note")
            pending = []
        text = str(tracker.latest_message.get("text") or "")
        if not requests:
            # Show the named category (or all categories) to pick from. "I'd like to order
            # a pizza" names what it wants: nothing is missing from the menu; "do tego fanta"
            # names what is: it is told by its name.
            named = next(iter(entities_of(tracker, "category")), None)
            missing = unlisted_items(
                text, tracker.latest_message.get("entities", []), menu_words(ctx), ctx.lang
            )
            if named and catalog.category(str(named)):
                say("pick_in_category")
            elif offer_instead(ctx, say, tracker):
                # "poproszę sprite": not sold; the drinks that are, to pick from.
                return [SlotSet("pending_items", None)]
            elif missing:
                for name in missing:
                    say("unknown_product_short", product=name)
            else:
                say("product_not_found")
            return [SlotSet("pending_items", None), FollowupAction("action_show_menu")]
        cart = await ctx.cart()
        added: list[str] = []
        last: dict[str, Any] | None = None
        lasts: list[dict[str, Any]] = []  # what a correction ("jednak średnie") refers to
        priced = False
        for req in requests:
            product = catalog.products.get(req.product)
            if product is None or not product.available:
                say("unknown_product_short", product=req.product)
                continue
            quantity = 1 if req.quantity is None else req.quantity
            if not 1 <= quantity <= MAX_QUANTITY:
                say("bad_quantity", max=MAX_QUANTITY, product=product.name(ctx.lang))
                continue
            if product.sized and req.size not in product.prices:
                wish = {"note": req.note} if req.note else {}
                pending.append({"product": product.id, "quantity": quantity, **wish})
                continue
            size = req.size if product.sized else None
            add_line(cart, product.id, size, quantity, req.note)
            added.append(maths.describe_line(product.id, size, quantity, ctx.lang, req.note))
            last = {"product": product.id, "size": size, "quantity": quantity}
            lasts.append(last)
            priced = priced or any(w.priced for w in wishes_in(req.note or ""))
        events: Events = []
        if added:
            cart.reminded_at = None
            events += [SlotSet("last_item", last), SlotSet("last_items", lasts)]
            say(
                "added",
                [] if pending else cart_buttons(say),
                item=maths.inline(added),
                total=format_price(maths.total(cart.items), ctx.lang),
            )
            if priced:
                say("wish_price_confirmed")  # "extra cheese": the menu prices no toppings
        for name in unlisted_items(
            text, tracker.latest_message.get("entities", []), menu_words(ctx), ctx.lang
        ):
            # "duża margherita i pepsi": the pizza is added; the pepsi is not sold here.
            say("unknown_product_short", product=name)
        if pending:
            ask_size(ctx, say, pending[0])
            events.append(SlotSet("pending_items", pending))
            if not tracker.active_loop or loop_is(tracker, "ask_size"):
                events.append(ActiveLoop("ask_size"))
        else:
            events.append(SlotSet("pending_items", None))
            if loop_is(tracker, "ask_size"):
                events.append(ActiveLoop(None))
            if asked_category(ctx, tracker, requests):
                # "a large margherita and something cold": the drinks, to pick from.
                events.append(FollowupAction("action_show_menu"))
        return events


def asked_category(ctx: ActionContext, tracker: Tracker, requests: list[ItemRequest]) -> bool:
    """Beside the items ordered, a category asked for with none of its products named ("…and
    something to drink", "…i jakiś sos"): the first category the message names."""
    products = ctx.shop.catalog.products
    named = {products[r.product].category for r in requests if r.product in products}
    categories = [str(c) for c in entities_of(tracker, "category")]
    return bool(categories) and categories[0] not in named


def offer_instead(ctx: ActionContext, say: Say, tracker: Tracker) -> bool:
    """A thing the menu does not have, of a kind it does ("sprite", "piwo"): said so, with
    what the shop has of that kind to pick from. False when the message names none."""
    catalog = ctx.shop.catalog
    text = str(tracker.latest_message.get("text") or "")
    for e in tracker.latest_message.get("entities", []):
        category = catalog.category(str(e.get("value"))) if e.get("entity") == "off_menu" else None
        products = catalog.in_category(category.id) if category else []
        if category is None or not products:
            continue
        say(
            "off_menu_instead",
            ShowMenu.add_buttons(ctx, products),
            product=text[int(e.get("start", 0)) : int(e.get("end", 0))].strip(),
            category=category.name(ctx.lang),
            items="\n".join(ShowMenu.line(ctx, p) for p in products),
        )
        return True
    return False


def menu_words(ctx: ActionContext) -> set[str]:
    """Every word of the menu, folded: names, aliases, ingredients, allergens, categories and
    sizes (a word of these said beside an item is no item missing from the menu)."""
    catalog = ctx.shop.catalog
    texts: list[str] = []
    for p in catalog.products.values():
        texts += [p.id, *p.names.values(), *p.aliases, *p.descriptions.values(), *p.allergens]
    for c in catalog.categories:
        texts += [c.id, *c.names.values()]
    for size, names in catalog.sizes.items():
        texts += [size, *names.values()]
    return {w for t in texts for w in re.findall(r"[^\W\d_]+", fold(t))}


def with_typed_numbers(entities: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Numbers the NLU left out ("0 margherit", "1000 coli") as quantities, to refuse them."""
    if text.startswith("/"):
        return entities
    taken = [(int(e.get("start", 0)), int(e.get("end", 0))) for e in entities]
    taken += no_quantities(text)  # "domofon 3", "ul. Tomasza 20"
    extra = [
        {"entity": "quantity", "value": int(m.group()), "start": m.start(), "end": m.end()}
        for m in re.finditer(r"(?<![\w.,+-])\d{1,6}(?![\w.,])", text)
        if not any(s < m.end() and m.start() < e for s, e in taken)
    ]
    return [*entities, *extra]


def ask_size(ctx: ActionContext, say: Say, item: dict[str, Any]) -> None:
    catalog = ctx.shop.catalog
    product = catalog.products[item["product"]]
    quantity = item.get("quantity") or 1
    buttons = [
        Button(
            f"{catalog.size_name(s, ctx.lang)} — {format_price(v, ctx.lang)}",
            payload_for("add_to_cart", product=product.id, size=s, quantity=quantity),
        )
        for s, v in product.prices.items()
    ]
    say("ask_size", buttons, product=product.name(ctx.lang))


def add_line(
    cart: Cart, product_id: str, size: str | None, quantity: int, note: str | None = None
) -> CartItem:
    """One more of a line; a line of its own for an item with another wish ("bez cebuli")."""
    line = next(
        (
            i
            for i in cart.items
            if i.product_id == product_id and i.size == size and (i.note or None) == note
        ),
        None,
    )
    if line is None:
        line = CartItem(product_id=product_id, size=size, quantity=quantity, note=note)
        cart.items.append(line)
    else:
        line.quantity = min(line.quantity + quantity, MAX_LINE_QUANTITY)
    return line


class RemoveFromCart(ShopAction):
    def name(self) -> str:
        return "action_remove_from_cart"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        maths = ctx.shop.pricing
        cart = await ctx.cart()
        requests = pair_items(tracker.latest_message.get("entities", []), maths.sized)
        if not cart.items:
            say("cart_empty", [say.button("btn_menu", "browse_menu")])
            return []
        if not requests and (last_added := _last_added_lines(tracker, cart)):
            gone = []
            for line, added in last_added:
                take = min(added, line.quantity)
                gone.append(maths.describe_line(line.product_id, line.size, take, ctx.lang))
                line.quantity -= take
                if line.quantity <= 0:
                    cart.items.remove(line)
            say_cart(ctx, say, cart, "removed", item=maths.inline(gone))
            return [SlotSet("last_item", None), SlotSet("last_items", None)]
        if not requests:
            # "usuń sos", "remove the drink": the one line of that kind goes; of several,
            # only those are offered. Named in the plural ("usuń napoje", "forget the
            # drinks"), every line of that kind goes.
            kinds = {str(c) for c in entities_of(tracker, "category")}
            products = ctx.shop.catalog.products
            lines = [
                i
                for i in cart.items
                if i.product_id in products and products[i.product_id].category in kinds
            ] or cart.items
            if kinds and (len(lines) == 1 or _names_every_one(tracker)):
                items = [
                    maths.describe_line(i.product_id, i.size, i.quantity, ctx.lang) for i in lines
                ]
                for line in lines:
                    cart.items.remove(line)
                say_cart(ctx, say, cart, "removed", item=maths.inline(items))
                return [SlotSet("last_item", None), SlotSet("last_items", None)]
            buttons = [
                Button(
                    ctx.text(
                        "btn_remove",
                        item=maths.describe_line(i.product_id, i.size, i.quantity, ctx.lang),
                    ),
                    payload_for(
                        "remove_from_cart",
                        product=i.product_id,
                        **({"size": i.size} if i.size else {}),
                    ),
                )
                for i in lines
            ]
            say("remove_which", buttons)
            return []
        removed = []
        for req in requests:
            lines = [i for i in cart.items if i.product_id == req.product]
            if req.size:
                lines = [i for i in lines if i.size == req.size] or lines
            if not lines:
                name = ctx.shop.catalog.products.get(req.product)
                say("not_in_cart", product=name.name(ctx.lang) if name else req.product)
                continue
            line = lines[-1]
            if req.quantity is not None and req.quantity < 1:
                say("bad_quantity", max=MAX_QUANTITY)
                continue
            take = line.quantity if req.quantity is None else min(req.quantity, line.quantity)
            removed.append(maths.describe_line(line.product_id, line.size, take, ctx.lang))
            line.quantity -= take
            if line.quantity <= 0:
                cart.items.remove(line)
        if removed:
            say_cart(ctx, say, cart, "removed", item=maths.inline(removed))
        return [SlotSet("last_item", None), SlotSet("last_items", None)]


class ChangeItem(ShopAction):
    """Corrections: "actually make it large", "not 3, 2", "make it a pepperoni"."""

    def name(self) -> str:
        return "action_change_item"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        catalog, maths = ctx.shop.catalog, ctx.shop.pricing
        cart = await ctx.cart()
        products = [str(p) for p in entities_of(tracker, "product")]
        lasts = [dict(x) for x in tracker.get_slot("last_items") or [] if isinstance(x, dict)]
        sizes = [str(s) for s in entities_of(tracker, "size") if s]
        said = str(tracker.latest_message.get("text") or "")
        wishes = wishes_of_items(said, tracker.latest_message.get("entities", []))
        if wishes and not products and not sizes and lasts:
            # "bez cebuli proszę" right after adding a pizza: a wish for it.
            return wish_for_last(ctx, say, cart, wished_one(ctx, tracker, lasts), wishes)
        if not products and len(lasts) > 1 and sizes:
            # "make them medium" after "two large margheritas and a coke": every item just
            # added that comes in that size.
            changed = resize(ctx, cart, lasts, sizes[-1])
            if changed:
                say_cart(ctx, say, cart, "changed", item=maths.inline(changed))
                return [SlotSet("last_items", lasts), SlotSet("last_item", lasts[-1])]
        requests = pair_items(tracker.latest_message.get("entities", []), maths.sized)
        if len(requests) > 1:
            unsized: list[dict[str, Any]] = []
            done = recount(ctx, cart, requests) or respecify(
                ctx, cart, requests, str(tracker.latest_message.get("text") or ""), unsized
            )
            changes: Events = []
            if done:
                say_cart(ctx, say, cart, "changed", item=maths.inline(d[0] for d in done))
                lines = [d[1] for d in done]
                changes += [SlotSet("last_items", lines), SlotSet("last_item", lines[-1])]
            if unsized:
                # "nie chcę jednak coli, daj margheritę": the cola went; which size of it?
                ask_size(ctx, say, unsized[0])
                changes.append(SlotSet("pending_items", unsized))
                if not tracker.active_loop or loop_is(tracker, "ask_size"):
                    changes.append(ActiveLoop("ask_size"))
            if changes:
                return changes
        # A number alone corrects the first item just added ("dwie duże margherity i colę"
        # → "nie, trzy" means three margheritas).
        last = (lasts[0] if lasts and not products else tracker.get_slot("last_item")) or {}
        line = None
        new_product = None
        for pid in products:
            line = next((i for i in reversed(cart.items) if i.product_id == pid), None)
            if line is not None:
                break
        if line is None:
            line = next(
                (
                    i
                    for i in cart.items
                    if i.product_id == last.get("product") and i.size == last.get("size")
                ),
                cart.items[-1] if len(cart.items) == 1 else None,
            )
            if line is not None and products and products[-1] != line.product_id:
                new_product = products[-1]
        if line is None:
            if not cart.items and products:
                # "dobra, jednak jedna duża quattro formaggi" after emptying the cart: with
                # nothing to correct, a product named is an order.
                return [FollowupAction("action_add_to_cart")]
            if not cart.items:
                say("cart_empty", [say.button("btn_menu", "browse_menu")])
            else:
                say("change_which", [say.button("btn_cart", "show_cart")])
            return []
        typed = str(tracker.latest_message.get("text") or "")
        # Numbers typed in words the NLU left out ("not 3, 2"); a button's payload has none.
        numbers = [] if typed.startswith("/") else meant_numbers(typed)
        quantities = numbers or [
            int(q)
            for q in entities_of(tracker, "quantity")
            if str(q).isdecimal() and str(q).isascii()
        ]
        product = catalog.products.get(new_product or line.product_id)
        if product is None or not product.available:
            say("unknown_product_short", product=new_product or line.product_id)
            return []
        # "średnia zamiast dużej", "from large to medium": of two sizes named, the one the
        # line is not in now.
        size = next((s for s in reversed(sizes) if s != line.size), line.size)
        if product.sized and size not in product.prices:
            size = "medium" if "medium" in product.prices else next(iter(product.prices))
        if not product.sized:
            size = None
        quantity = quantities[-1] if quantities else line.quantity
        if not sizes and not quantities and not new_product:
            say("change_what", [say.button("btn_cart", "show_cart")])
            return []
        if quantity == 0:
            cart.items.remove(line)
            say_cart(
                ctx,
                say,
                cart,
                "removed",
                item=maths.describe_line(line.product_id, line.size, line.quantity, ctx.lang),
            )
            return [SlotSet("last_item", None), SlotSet("last_items", None)]
        if not 1 <= quantity <= MAX_QUANTITY:
            say("bad_quantity", max=MAX_QUANTITY, product=product.name(ctx.lang))
            return []
        cart.items.remove(line)
        # "jednak duża": the pizza keeps what was wished of it; another pizza does not.
        note = line.note if product.id == line.product_id else None
        merged = add_line(cart, product.id, size, quantity, note)
        item = maths.describe_line(product.id, size, merged.quantity, ctx.lang, note)
        say_cart(ctx, say, cart, "changed", item=item)
        now = {"product": product.id, "size": size, "quantity": merged.quantity}
        return [SlotSet("last_item", now), SlotSet("last_items", [now])]


# "zamiast pepperoni daj capricciosę", "a diavola instead of the pepperoni": one for the other.
SWAP = re.compile(
    r"\b(zamiast|zamien\w*|wymien\w*|podmien\w*|instead|replace|swap|switch|exchange)\b"
)


def recount(
    ctx: ActionContext, cart: Cart, requests: list[ItemRequest]
) -> list[tuple[str, dict[str, Any]]]:
    """A correction giving each of several products in the cart its number ("sorry, only 2
    cokes and 1 water"): those lines get those numbers. Nothing when the message is not that."""
    maths = ctx.shop.pricing
    lines = []
    for request in requests:
        line = next(
            (
                i
                for i in reversed(cart.items)
                if i.product_id == request.product and request.size in (None, i.size)
            ),
            None,
        )
        if line is None or request.quantity is None or not 1 <= request.quantity <= MAX_QUANTITY:
            return []
        lines.append((line, request.quantity))
    if len({id(line) for line, _ in lines}) != len(lines):
        return []
    done = []
    for line, quantity in lines:
        line.quantity = quantity
        done.append(
            (
                maths.describe_line(line.product_id, line.size, quantity, ctx.lang),
                {"product": line.product_id, "size": line.size, "quantity": quantity},
            )
        )
    return done


def respecify(
    ctx: ActionContext,
    cart: Cart,
    requests: list[ItemRequest],
    typed: str,
    unsized: list[dict[str, Any]],
) -> list[tuple[str, dict[str, Any]]]:
    """A correction naming one product in the cart and others not in it: "zamiast pepperoni
    daj capricciosę" swaps them (the new one keeps the old one's size and quantity unless it
    says its own); "make that one pepperoni and one hawaiian" keeps the pepperoni, with the
    quantity now said, and adds the hawaiian in the same size. Returns what changed (the
    lines' descriptions and what they are now); nothing when the message is not that. A new
    product that does not come in the old one's size and says none is put in `unsized`
    (product, quantity) for its size to be asked."""
    catalog, maths = ctx.shop.catalog, ctx.shop.pricing
    in_cart = [r for r in requests if any(i.product_id == r.product for i in cart.items)]
    new = [r for r in requests if r not in in_cart]
    products = [catalog.products.get(r.product) for r in new]
    if len({r.product for r in in_cart}) != 1 or not new:
        return []
    if any(p is None or not p.available for p in products):
        return []
    old = in_cart[-1]
    line = next(
        (i for i in reversed(cart.items) if i.product_id == old.product and i.size == old.size),
        next(i for i in reversed(cart.items) if i.product_id == old.product),
    )
    quantities = [r.quantity for r in requests if r.quantity is not None]
    if any(not 1 <= q <= MAX_QUANTITY for q in quantities):
        return []  # refused by the usual path
    swap = old.quantity is None or bool(SWAP.search(fold(typed)))
    # "swap one margherita for a diavola" with two in the cart swaps one: the rest stay.
    swapped = line.quantity
    kept_quantity = None if swap else old.quantity
    if swap and old.quantity is not None and old.quantity < line.quantity:
        swapped, kept_quantity = old.quantity, line.quantity - old.quantity
    done: list[tuple[str, dict[str, Any]]] = []
    cart.items.remove(line)
    if kept_quantity is not None:
        kept_size = line.size if swap else old.size or line.size
        kept = add_line(cart, line.product_id, kept_size, kept_quantity, line.note)
        done.append(
            (
                maths.describe_line(kept.product_id, kept.size, kept.quantity, ctx.lang, kept.note),
                {"product": kept.product_id, "size": kept.size, "quantity": kept.quantity},
            )
        )
    for request, product in zip(new, products, strict=True):
        assert product is not None
        size: str | None = request.size or line.size
        quantity = request.quantity
        if quantity is None:
            quantity = swapped if swap else 1
        if product.sized and size not in product.prices:
            if request.size is None:
                unsized.append({"product": product.id, "quantity": quantity})
                continue
            size = "medium" if "medium" in product.prices else next(iter(product.prices))
        if not product.sized:
            size = None
        added = add_line(cart, product.id, size, quantity)
        done.append(
            (
                maths.describe_line(product.id, size, added.quantity, ctx.lang),
                {"product": product.id, "size": size, "quantity": added.quantity},
            )
        )
    return done


def resize(ctx: ActionContext, cart: Cart, lasts: list[dict[str, Any]], size: str) -> list[str]:
    """Give every line of `lasts` that comes in `size` that size; updates `lasts` too."""
    catalog, maths = ctx.shop.catalog, ctx.shop.pricing
    changed = []
    for last in lasts:
        product = catalog.products.get(str(last.get("product")))
        if product is None or not product.sized or size not in product.prices:
            continue
        line = next(
            (i for i in cart.items if i.product_id == product.id and i.size == last.get("size")),
            None,
        )
        if line is None or line.size == size:
            continue
        cart.items.remove(line)
        merged = add_line(cart, product.id, size, line.quantity, line.note)
        last.update(size=size, quantity=merged.quantity)
        changed.append(
            maths.describe_line(product.id, size, merged.quantity, ctx.lang, merged.note)
        )
    return changed


def wished_one(ctx: ActionContext, tracker: Tracker, lasts: list[dict[str, Any]]) -> dict[str, Any]:
    """Which of the items just added a wish said alone is for: of the category it names ("do
    pizzy"), else the last one that comes in sizes (a pizza before the cola), else the last."""
    products = ctx.shop.catalog.products
    kinds = {str(c) for c in entities_of(tracker, "category")}
    named = [
        x
        for x in lasts
        if x.get("product") in products and products[x["product"]].category in kinds
    ]
    sized = [x for x in lasts if x.get("size")]
    return (named or sized or lasts)[-1]


def wish_for_last(
    ctx: ActionContext, say: Say, cart: Cart, last: dict[str, Any], said: list[Wish]
) -> Events:
    """Add wishes to the line of the item just added; said back with the cart's total."""
    line = next(
        (
            i
            for i in reversed(cart.items)
            if i.product_id == last.get("product") and i.size == last.get("size")
        ),
        None,
    )
    if line is None:
        say("change_what", [say.button("btn_cart", "show_cart")])
        return []
    line.note = said_back([line.note or "", *(w.text for w in said)])[:300]
    item = ctx.shop.pricing.describe_line(
        line.product_id, line.size, line.quantity, ctx.lang, line.note
    )
    say_cart(ctx, say, cart, "changed", item=item)
    if any(w.priced for w in said):
        say("wish_price_confirmed")
    return []


def say_cart(ctx: ActionContext, say: Say, cart: Cart, key: str, **values: Any) -> None:
    maths = ctx.shop.pricing
    total = format_price(maths.total(cart.items), ctx.lang)
    if not cart.items:
        say(key, [say.button("btn_menu", "browse_menu")], total=total, **values)
        return
    say(key, cart_buttons(say), total=total, **values)


class ShowCart(ShopAction):
    def name(self) -> str:
        return "action_show_cart"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        maths, catalog = ctx.shop.pricing, ctx.shop.catalog
        cart = await ctx.cart()
        if not cart.items:
            say("cart_empty", [say.button("btn_menu", "browse_menu")])
            return []
        total = maths.total(cart.items)
        free_from = catalog.free_delivery_from
        hint = ""
        # Collected in the shop ("na wynos", pickup chosen): what delivery costs is no news.
        if _way_so_far(tracker) == "pickup":
            hint = ""
        elif free_from and total < free_from:
            hint = ctx.text("free_delivery_hint", missing=format_price(free_from - total, ctx.lang))
        elif quote(catalog, total, "delivery").delivery_fee == 0:
            hint = ctx.text("free_delivery_yes")
        say(
            "cart",
            [
                say.button("btn_checkout", "checkout"),
                say.button("btn_menu", "browse_menu"),
                say.button("btn_clear_cart", "clear_cart"),
            ],
            items=maths.describe_cart(cart.items, ctx.lang),
            total=format_price(total, ctx.lang),
            hint=hint,
        )
        return []


def _way_so_far(tracker: Tracker) -> str | None:
    """Delivery or pickup, as chosen at the checkout or said with the order ("na wynos")."""
    way = tracker.get_slot("fulfilment") or tracker.get_slot("given_fulfilment")
    return str(way) if way else None


class ClearCart(ShopAction):
    def name(self) -> str:
        return "action_clear_cart"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        cart = await ctx.cart()
        cart.items.clear()
        say("cart_cleared", [say.button("btn_menu", "browse_menu")])
        return [
            SlotSet("last_item", None),
            SlotSet("last_items", None),
            SlotSet("pending_items", None),
        ]
