"""What the HTTP API answers, as pydantic models: the OpenAPI document shows every response's
shape and every error a route can give, all errors in one form (`{"detail": ...}`).

Models name the fields DESIGN.md and the README promise; they allow more (`extra="allow"`),
so a field added later is never cut from an answer by a model that has not caught up.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from bot.domain.refusals import Refusal


class Router(APIRouter):
    """An APIRouter whose typed answers carry exactly the fields the route gave: an optional
    field of the model that the route did not fill is left out, never sent as null."""

    def add_api_route(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().add_api_route(path, endpoint, **kwargs)


class Out(BaseModel):
    """A response body: the named fields, and whatever else the route adds."""

    model_config = ConfigDict(extra="allow")


# -- errors ------------------------------------------------------------------------------


class FieldError(BaseModel):
    """One invalid field of a request (FastAPI's validation, as this app reports it)."""

    loc: list[str | int]
    msg: str
    type: str
    params: dict[str, str] | None = None


class Error(BaseModel):
    """Every 4xx: a message, or (for invalid fields) the list of what is wrong where. A
    refusal staff pages word in their own language also names its kind and values."""

    detail: str | list[FieldError]
    code: str | None = None
    params: dict[str, str] | None = None


class Refused(HTTPException):
    """A 4xx for a `Refusal`: its English message as `detail`, with its `code` and `params`."""

    def __init__(
        self, status_code: int, refusal: Refusal, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code, str(refusal), headers)
        self.code = refusal.code
        self.params = refusal.params


def not_found(message: str, code: str, **params: str) -> Refused:
    """A 404 the staff pages word in their own language by `code`."""
    return Refused(404, Refusal(message, code, **params))


ERRORS: dict[int, str] = {
    400: "The body could not be read at all (e.g. bytes that are not UTF-8 text)",
    401: "Not logged in, a forged or expired token (staff or web chat), or wrong credentials",
    403: "The staff role does not allow this, or a webhook secret/signature is wrong",
    404: "No such resource",
    408: "The request body did not arrive in time (HTTP_BODY_TIMEOUT_SECONDS)",
    409: "Conflicts with the current state (taken by another agent, an invalid transition)",
    413: "The body or text is over its limit (MAX_BODY_BYTES, MAX_MESSAGE_CHARS, imports)",
    422: "Invalid input: a list of field errors, or one message",
    429: "A budget is spent (see README, Limits); Retry-After says when to try again",
}
BODY = (400, 408, 413, 422)  # any route that reads a request body
STAFF = (401, 403)  # any route behind a staff role


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: each code with the shared error model."""
    return {code: {"model": Error, "description": ERRORS[code]} for code in sorted(set(codes))}


# -- shared pieces -----------------------------------------------------------------------


class ButtonOut(Out):
    title: str
    payload: str


class MessageOut(Out):
    """A message of the timeline (DESIGN.md's reply object)."""

    id: int
    author: str = Field(description="customer, bot, agent or system")
    text: str
    buttons: list[ButtonOut]
    created_at: str
    channel: str
    client_message_id: str | None = Field(default=None, description="web chat, customer's")
    language: str | None = Field(
        default=None, description="a bot reply: the language it is written in (pl or en)"
    )
    throttled: bool | None = Field(
        default=None, description="kept but not answered: sent over MESSAGES_PER_MINUTE"
    )
    private: bool | None = Field(default=None, description="a note only agents see")
    undelivered: bool | None = Field(
        default=None, description="kept but reached nobody: no channel reaches the customer"
    )
    system_note: str | None = Field(
        default=None, description="a note the system made, e.g. webchat_ended"
    )


# -- system, auth, public ----------------------------------------------------------------


class Health(Out):
    status: str
    nlu: str
    channels: list[str]


class Readiness(Out):
    status: str = Field(description="ready or not ready")
    checks: dict[str, str]


class Token(Out):
    access_token: str
    token_type: str
    expires_in: int
    role: str


class Me(Out):
    id: int
    email: str
    role: str


class Availability(Out):
    agents_online: bool
    support_hours: str
    timezone: str
    open_now: bool


class IntentScore(Out):
    name: str | None
    confidence: float


class Parse(Out):
    """Rasa's parse result."""

    text: str
    intent: IntentScore
    entities: list[dict[str, Any]]
    intent_ranking: list[IntentScore] = Field(default_factory=list)
    lang: str | None = None


class WebchatSession(Out):
    session_token: str
    customer_id: int
    language: str | None = Field(
        default=None, description="the conversation's language (pl or en), once known"
    )
    timezone: str = Field(description="the shop's time zone (IANA), which times are given in")


class WebchatReceipt(Out):
    message: MessageOut
    replies: list[MessageOut]


class History(Out):
    messages: list[MessageOut]
    older: bool = Field(
        description="without `after`: earlier messages remain (ask `before` the first one)"
    )


class Ended(Out):
    ended: int = Field(description="sessions ended now")


# -- agents and customers ----------------------------------------------------------------


class ConversationRow(Out):
    id: int
    customer_id: int
    customer_name: str | None = Field(
        default=None, description="the name the customer gave or the channel told"
    )
    customer_phone_text: str | None = Field(
        default=None, description="their phone number as people write it, when known"
    )
    status: str
    channel: str | None
    language: str | None
    waiting_since: str | None
    waiting_seconds: int | float | None
    handoff_reason: str | None
    assigned_agent_id: int | None
    assigned_agent: str | None = Field(default=None, description="the email of who has it")
    last_message: dict[str, Any] | None
    last_customer_message: dict[str, Any] | None


class Conversations(Out):
    conversations: list[ConversationRow]


class Customer(Out):
    """The profile agents see: identities, cart, orders, handoffs, summary, timeline."""

    id: int
    name: str | None
    phone: str | None
    language: str | None
    last_channel: str | None
    identities: list[dict[str, Any]]
    cart: dict[str, Any]
    orders: list[dict[str, Any]]
    handoffs: list[dict[str, Any]]
    summary: str
    timeline: list[MessageOut] = Field(
        default_factory=list, description="the newest page of the timeline, oldest first"
    )
    timeline_older: bool = Field(default=False, description="older messages remain")


class TimelinePage(Out):
    """A page of a customer's timeline, oldest first; `older`: earlier pages remain."""

    messages: list[MessageOut]
    older: bool


class ConversationDetail(Out):
    conversation_id: int
    customer: Customer


class ConversationState(Out):
    id: int
    status: str
    assigned_agent_id: int | None = None


class Posted(Out):
    message: MessageOut


# -- orders ------------------------------------------------------------------------------


class OrderItem(Out):
    product_id: str
    name: str
    size: str | None
    quantity: int
    unit_price: int = Field(description="grosze")


class StatusStep(Out):
    id: int
    status: str
    previous: str | None
    by: str | None
    user_id: int | None
    eta_minutes: int | None
    reason: str | None
    at: str


class Order(Out):
    number: str
    status: str
    customer_id: int
    fulfilment: str | None
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    note: str | None
    payment_method: str | None
    channel: str | None
    items: list[OrderItem]
    subtotal: int
    delivery_fee: int
    total: int
    rating: int | None
    ready_at: str | None
    status_reason: str | None
    created_at: str
    updated_at: str | None
    history: list[StatusStep]
    seq: int
    customer: dict[str, Any] | None = None


class Orders(Out):
    orders: list[Order]
    seq: int = Field(
        description="the feed position this answer reaches: ask `after` it for later changes"
    )
    timezone: str
    sizes: dict[str, Any]


# -- operator content --------------------------------------------------------------------


class Saved(Out):
    version: int | None = Field(description="the content version saved, None if unchanged")
    changed: bool


class ContentStatus(Out):
    default_language: str
    response_variables: Any
    role: str


class IntentList(Out):
    intents: list[dict[str, Any]]
    version: int | None


class IntentOut(Out):
    name: str


class FaqList(Out):
    faq: list[dict[str, Any]]
    version: int | None


class Keyed(Out):
    id: str


class ProductList(Out):
    products: list[dict[str, Any]]
    categories: list[Any]
    sizes: dict[str, Any]
    version: int | None


class Versions(Out):
    versions: list[dict[str, Any]]
