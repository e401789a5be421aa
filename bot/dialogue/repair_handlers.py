"""The intents answered by the repair patterns: emptying the cart (asked first), contact
details typed outside a flow step, cancelling what is meant, a way chosen before the
checkout, and a question about the premises we have no answer to."""

from __future__ import annotations

from bot.dialogue.checkout import (
    remember_way,
)
from bot.dialogue.confirmation import Confirmation
from bot.dialogue.contact_said import contact_in
from bot.dialogue.flows import Flow, FlowKit
from bot.dialogue.registry import IntentRegistry
from bot.dialogue.turn import Turn
from bot.domain.order_status import OPEN
from bot.domain.phones import readable_phone
from bot.messages import Button
from bot.orders import latest_order
from bot.store import repo
from knowledge.catalog import format_price


class RepairHandlers:
    """The intents answered by these patterns: emptying the cart, contact details typed
    outside a flow step, and a question about the premises we have no answer to."""

    def __init__(self, kit: FlowKit) -> None:
        self.kit = kit
        voice = kit.speaker
        self.clear_cart = Confirmation(
            "confirm_clear_cart",
            voice,
            "clear_cart_confirm",
            "btn_yes_clear",
            "btn_no_keep_cart",
            self._empty_cart,
            self._keep_cart,
            # An order typed instead of the answer: the customer changed their mind, the
            # cart stays (as after "no") and the order is added to it — said, not silent.
            self._keep_cart_for_order,
        )
        self.ask_person = Confirmation(
            "offer_person",
            voice,
            "facility_unknown",
            "btn_ask_person",
            "btn_no_thanks",
            self._hand_over_question,
            self._no_thanks,
        )

    def flows(self) -> list[Flow]:
        return [self.clear_cart, self.ask_person]

    def register(self, registry: IntentRegistry) -> None:
        registry.handle("clear_cart", self._ask_before_emptying)
        registry.handle("contact_details", self._keep_contact)
        registry.handle("facilities", self._offer_a_person)
        registry.handle("cancel_order", self._cancel_what)
        registry.handle("choose_fulfilment", self._keep_way)

    async def _cart_total(self, turn: Turn) -> tuple[int, str]:
        cart = await repo.cart_of(turn.session, turn.customer.id, turn.preloaded)
        total = self.kit.shop.pricing.total(cart.items)
        return len(cart.items), format_price(total, turn.lang)

    async def _ask_before_emptying(self, turn: Turn) -> None:
        lines, total = await self._cart_total(turn)
        if not lines:
            voice = self.kit.speaker
            voice.say(turn, "cart_empty", [voice.button(turn.lang, "btn_menu", "browse_menu")])
            return
        await self.clear_cart.start(turn, total=total)

    async def _cancel_what(self, turn: Turn) -> None:
        """ "anuluj" with items in the cart and no open order: the cart is what is meant
        (emptied after a yes); otherwise the order is cancelled as usual."""
        if not turn.entities("order_number"):
            lines, _ = await self._cart_total(turn)
            if (
                lines
                and await latest_order(turn.session, turn.customer.id, OPEN, turn.preloaded) is None
            ):
                await self._ask_before_emptying(turn)
                return
        await self.kit.steps.run(turn, "action_cancel_order")

    async def _empty_cart(self, turn: Turn) -> None:
        await self.kit.steps.run(turn, "action_clear_cart")

    async def _keep_cart(self, turn: Turn) -> None:
        _, total = await self._cart_total(turn)
        self.kit.speaker.say(turn, "cart_kept", self._cart_buttons(turn), total=total)

    async def _keep_cart_for_order(self, turn: Turn) -> None:
        _, total = await self._cart_total(turn)
        self.kit.speaker.say(turn, "cart_kept_for_order", total=total)

    def _cart_buttons(self, turn: Turn) -> list[Button]:
        return self.kit.speaker.cart_buttons(turn.lang)

    async def _keep_contact(self, turn: Turn) -> None:
        """Kept in the dialogue state for the checkout; never a proven phone."""
        name, phone = contact_in(turn.text)
        slots = dict(turn.state.slots or {})
        contact = []
        if phone is not None:
            if name:
                slots["given_name"] = name
                contact.append(name)
            slots["given_phone"] = phone
            contact.append(readable_phone(phone))
        turn.state.slots = slots
        if not contact:
            self.kit.speaker.say(turn, "phone_invalid")
            return
        lines, _ = await self._cart_total(turn)
        buttons = self._cart_buttons(turn) if lines else self.kit.speaker.main_buttons(turn.lang)
        self.kit.speaker.say(turn, "contact_kept", buttons, contact=", ".join(contact))

    async def _keep_way(self, turn: Turn) -> None:
        """The way chosen before the checkout: kept for it (which then does not ask), and
        said back; a question left open is asked again by the engine."""
        remember_way(turn)
        slots = turn.state.slots or {}
        way, address = slots.get("given_fulfilment"), slots.get("given_address")
        if way not in ("delivery", "pickup"):
            self.kit.speaker.say(turn, "ok_what_next", self.kit.speaker.main_buttons(turn.lang))
            return
        facts = self.kit.shop.catalog.facts
        if way == "delivery" and address and not facts.delivers_to(str(address)):
            # Kept only where the shop delivers: elsewhere, said now, with pickup offered.
            turn.state.slots = {
                k: v for k, v in slots.items() if k not in ("given_fulfilment", "given_address")
            }
            buttons = self.kit.speaker.main_buttons(turn.lang)
            self.kit.speaker.say(turn, "address_outside_area", buttons, address=str(address)[:100])
            return
        key = "way_kept_delivery_to" if way == "delivery" and address else f"way_kept_{way}"
        buttons = self._cart_buttons(turn) if turn.state.flow is None else []
        self.kit.speaker.say(turn, key, buttons, address=address or "")

    async def _offer_a_person(self, turn: Turn) -> None:
        await self.ask_person.start(turn)

    async def _hand_over_question(self, turn: Turn) -> None:
        turn.handoff_reason = "question"

    async def _no_thanks(self, turn: Turn) -> None:
        self.kit.speaker.say(turn, "ok_what_next", self.kit.speaker.main_buttons(turn.lang))
