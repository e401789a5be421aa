"""Queries on the context store, kept out of route functions and the dialogue."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Table,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import (
    MANYTOONE,
    ONETOMANY,
    ColumnProperty,
    InstanceState,
    RelationshipProperty,
    aliased,
    joinedload,
)
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.schema import CallableColumnDefault

from bot.domain.order_status import OPEN
from bot.messages import Button, OutboundMessage
from bot.store.db import commit_in_one_trip, commits_in_one_trip
from bot.store.models import (
    Cart,
    ChannelIdentity,
    Conversation,
    Customer,
    DialogueState,
    Event,
    Message,
    Order,
    utcnow,
)
from bot.store.preloaded import Preloaded


async def live_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    """The customer, following joins (a joined customer points at the survivor)."""
    customer = await session.get(Customer, customer_id)
    hops = 0
    while customer is not None and customer.merged_into_id is not None and hops < 16:
        customer = await session.get(Customer, customer.merged_into_id)
        hops += 1
    return customer


async def lock_for_new_message(session: AsyncSession, customer_id: int) -> None:
    """Before one of the customer's messages is inserted: hold their row until the commit.

    PostgreSQL draws a row's id at the insert, not at the commit, so two messages of one
    customer stored at once (two instances, a webhook beside the web chat) could commit in
    the other order, and whoever drained the customer's queue in between answered the later
    one first. With the row held, one customer's messages commit in the order of their ids.
    SQLite has one writer at a time: ids are in commit order there already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    # FOR NO KEY UPDATE: other writers of this customer wait; rows referring to it do not.
    await session.execute(
        select(Customer.id).where(Customer.id == customer_id).with_for_update(key_share=True)
    )


async def identity_revoked(session: AsyncSession, channel: str, address: str) -> bool:
    """Whether this address was retired ("forget me", an operator): its tokens are refused."""
    revoked = await session.scalar(
        select(ChannelIdentity.revoked_at).where(
            ChannelIdentity.channel == channel, ChannelIdentity.address == address
        )
    )
    return revoked is not None


async def revoke_identities(
    session: AsyncSession,
    channel: str,
    *,
    customer_id: int | None = None,
    address: str | None = None,
) -> list[str]:
    """Retire a customer's addresses on a channel (or one address); returns those retired."""
    query = select(ChannelIdentity).where(
        ChannelIdentity.channel == channel, ChannelIdentity.revoked_at.is_(None)
    )
    if customer_id is not None:
        query = query.where(ChannelIdentity.customer_id == customer_id)
    if address is not None:
        query = query.where(ChannelIdentity.address == address)
    identities = list(await session.scalars(query))
    for identity in identities:
        identity.revoked_at = utcnow()
    await session.commit()
    return [identity.address for identity in identities]


async def find_identity(
    session: AsyncSession, channel: str, address: str
) -> ChannelIdentity | None:
    return await session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.address == address
        )
    )


async def identity_context(
    session: AsyncSession, channel: str, address: str
) -> tuple[ChannelIdentity, Customer, Conversation] | None:
    """The identity, its (live) customer and their conversation, in one query when possible."""
    row = (
        await session.execute(
            select(ChannelIdentity, Customer, Conversation)
            .join(Customer, Customer.id == ChannelIdentity.customer_id)
            .outerjoin(Conversation, Conversation.customer_id == Customer.id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.address == address)
        )
    ).first()
    if row is None:
        return None
    identity, customer, conversation = row
    if customer.merged_into_id is not None:  # rare: the identity still points at a loser
        live = await live_customer(session, customer.id)
        assert live is not None
        return identity, live, await conversation_of(session, live.id)
    if conversation is None:
        conversation = await conversation_of(session, customer.id)
    return identity, customer, conversation


# The hot path's statements are built once, with bind parameters: executing one then
# costs no construction and no cache-key generation (SQLAlchemy memoizes a statement's key
# on the object), only the parameters.
_IDENTITIES: Table = ChannelIdentity.__table__  # type: ignore[assignment]
_CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
_STATES: Table = DialogueState.__table__  # type: ignore[assignment]

_CUSTOMER_OF_ADDRESS = (
    select(_IDENTITIES.c.customer_id, _CUSTOMERS.c.merged_into_id)
    .join(_CUSTOMERS, _CUSTOMERS.c.id == _IDENTITIES.c.customer_id)
    .where(
        _IDENTITIES.c.channel == bindparam("channel"),
        _IDENTITIES.c.address == bindparam("address"),
    )
)


async def customer_of_address(session: AsyncSession, channel: str, address: str) -> int | None:
    """The customer an address belongs to, when it is live (not joined into another): one
    Core row, nothing loaded into the session. None: unknown, or to be followed."""
    row = (
        await session.execute(_CUSTOMER_OF_ADDRESS, {"channel": channel, "address": address})
    ).first()
    if row is None or row[1] is not None:
        return None
    return int(row[0])


@dataclass
class TurnRow:
    """What one turn of a customer reads, in one query, under the customer's lock."""

    customer: Customer
    conversation: Conversation | None
    state: DialogueState | None
    # Messages of the customer stored and not yet answered (they go first).
    unanswered: bool
    # The message about to be stored is there already (a resent web chat message).
    duplicate: bool = False
    # The address written from (when asked for by `turn_context_of_address`).
    identity: ChannelIdentity | None = None
    # The cart and latest orders, read in the same query.
    preloaded: Preloaded | None = None


_UNANSWERED = exists().where(
    Message.delivery_status == "received",
    Message.customer_id == bindparam("customer_id"),
    Message.direction == "in",
)
_LATEST = aliased(Order, name="latest_order")
# OPEN as equalities, not IN: an IN list is rendered into the SQL at every execution
# (SQLAlchemy's "expanding" parameters), the statement of every turn.
_IS_OPEN = or_(*(Order.status == status for status in sorted(OPEN)))
_LATEST_OPEN = aliased(Order, name="latest_open_order")


def _latest_order_id(*criteria: ColumnElement[bool]) -> Any:
    """The id of the customer's latest order (meeting `criteria`), correlated to Customer."""
    return (
        select(Order.id)
        .where(Order.customer_id == Customer.id, *criteria)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )


def _turn_context(*entities: Any) -> Any:
    """The customer, conversation, dialogue state, cart (with its lines) and latest orders,
    with `entities` after the state; one statement, every part by index. Objects already in
    the session are refreshed (read under the lock)."""
    return (
        select(Customer, Conversation, DialogueState, *entities, Cart, _LATEST, _LATEST_OPEN)
        .outerjoin(Conversation, Conversation.customer_id == Customer.id)
        .outerjoin(DialogueState, DialogueState.customer_id == Customer.id)
        .outerjoin(Cart, Cart.customer_id == Customer.id)
        .outerjoin(_LATEST, _LATEST.id == _latest_order_id())
        .outerjoin(_LATEST_OPEN, _LATEST_OPEN.id == _latest_order_id(_IS_OPEN))
        .where(Customer.id == bindparam("customer_id"))
        .options(joinedload(Cart.items))
        .execution_options(populate_existing=True)
    )


_TURN_CONTEXT = _turn_context(_UNANSWERED)
# The same, with the address's identity (whichever customer it points at) and whether the
# message (channel, provider_id) is stored already; provider_id NULL matches nothing.
_TURN_CONTEXT_OF_ADDRESS = _turn_context(
    ChannelIdentity,
    _UNANSWERED,
    exists().where(
        Message.channel == bindparam("channel"), Message.provider_id == bindparam("provider_id")
    ),
).join(
    ChannelIdentity,
    (ChannelIdentity.channel == bindparam("channel"))
    & (ChannelIdentity.address == bindparam("address")),
)


async def turn_context(session: AsyncSession, customer_id: int) -> TurnRow | None:
    """The customer, their conversation, dialogue state, cart and latest orders, and whether
    they have unanswered messages: one round trip."""
    rows = (await session.execute(_TURN_CONTEXT, {"customer_id": customer_id})).unique().all()
    if not rows:
        return None
    customer, conversation, state, has_unanswered, *rest = rows[0]
    return TurnRow(
        customer, conversation, state, bool(has_unanswered), preloaded=Preloaded(customer.id, *rest)
    )


async def turn_context_of_address(
    session: AsyncSession, customer_id: int, channel: str, address: str, provider_id: str | None
) -> TurnRow | None:
    """`turn_context` with the identity of (channel, address) and whether the message
    (channel, provider_id) is stored already, in the same round trip. None when the
    customer or the address is gone."""
    params = {
        "customer_id": customer_id,
        "channel": channel,
        "address": address,
        "provider_id": provider_id,
    }
    rows = (await session.execute(_TURN_CONTEXT_OF_ADDRESS, params)).unique().all()
    if not rows:
        return None
    customer, conversation, state, identity, has_unanswered, is_duplicate, *rest = rows[0]
    return TurnRow(
        customer,
        conversation,
        state,
        bool(has_unanswered),
        bool(is_duplicate),
        identity,
        Preloaded(customer.id, *rest),
    )


_STATE_FIELDS = ("flow", "step", "slots", "pending_options", "fallback_count")
_UPDATE_STATE = (
    update(_STATES)
    .where(_STATES.c.customer_id == bindparam("state_customer_id"))
    .values(
        {
            name: bindparam(name, type_=_STATES.c[name].type)
            for name in (*_STATE_FIELDS, "updated_at")
        }
    )
)


async def save_state(session: AsyncSession, state: DialogueState) -> None:
    """Write a stored dialogue state the turn changed with one prebuilt UPDATE instead of
    the unit of work, and leave it clean in the session as a flush would. Anything else
    (a new state, other attributes changed) is left to the flush."""
    params = _state_update(state)
    if params is None:
        return
    with session.no_autoflush:
        result = await session.execute(_UPDATE_STATE, params)
    if (getattr(result, "rowcount", 0) or 0) != 1:
        return  # gone meanwhile: the flush finds out and fails the turn
    _state_written(session, state, params)


async def resolve_customer(
    session: AsyncSession, channel: str, address: str, *, language: str | None = None
) -> tuple[Customer, bool]:
    """The customer behind a channel address, created on first contact. Commits."""
    identity = await find_identity(session, channel, address)
    if identity is not None:
        customer = await live_customer(session, identity.customer_id)
        assert customer is not None
        return customer, False
    customer = Customer(language=language, last_channel=channel)
    session.add(customer)
    try:
        await session.flush()
        session.add(ChannelIdentity(channel=channel, address=address, customer_id=customer.id))
        session.add(Conversation(customer_id=customer.id))
        await session.commit()
        return customer, True
    except IntegrityError:
        # Another request created this identity at the same moment: use theirs.
        await session.rollback()
        identity = await find_identity(session, channel, address)
        assert identity is not None
        existing = await live_customer(session, identity.customer_id)
        assert existing is not None
        return existing, False


async def conversation_of(session: AsyncSession, customer_id: int) -> Conversation:
    conv = await session.scalar(select(Conversation).where(Conversation.customer_id == customer_id))
    if conv is None:
        conv = Conversation(customer_id=customer_id)
        session.add(conv)
        await session.flush()
    return conv


async def dialogue_state_of(session: AsyncSession, customer_id: int) -> DialogueState:
    state = await session.get(DialogueState, customer_id)
    if state is None:
        state = DialogueState(customer_id=customer_id, slots={})
        session.add(state)
        await session.flush()
    return state


# The cart and its items in one statement (a joined load: one trip, not two).
_CART_OF = select(Cart).where(Cart.customer_id == bindparam("customer_id"))
_CART_OF = _CART_OF.options(joinedload(Cart.items))


async def cart_of(
    session: AsyncSession, customer_id: int, preloaded: Preloaded | None = None
) -> Cart:
    """The customer's cart with its lines, made when they have none. From `preloaded` when
    it is of this customer (no trip; a cart made then is added to the session, written with
    the turn)."""
    if preloaded is not None and preloaded.customer_id == customer_id:
        if preloaded.cart is None:
            preloaded.cart = Cart(customer_id=customer_id, items=[])
            session.add(preloaded.cart)
        return preloaded.cart
    found = await session.execute(_CART_OF, {"customer_id": customer_id})
    cart = found.unique().scalar_one_or_none()
    if cart is None:
        cart = Cart(customer_id=customer_id, items=[])
        session.add(cart)
        await session.flush()
    return cart


async def find_message_by_provider_id(
    session: AsyncSession, channel: str, provider_id: str
) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.channel == channel, Message.provider_id == provider_id)
    )


async def unprocessed_inbound(session: AsyncSession, customer_id: int) -> list[Message]:
    """The customer's messages waiting for an answer, in the order to answer them."""
    rows = await session.scalars(
        select(Message)
        .where(
            Message.customer_id == customer_id,
            Message.direction == "in",
            Message.delivery_status == "received",
        )
        .order_by(Message.id)
    )
    return in_provider_order(list(rows))


def in_provider_order(messages: list[Message]) -> list[Message]:
    """Store order, except that one channel's messages carrying the provider's sequence
    (Telegram's update_id) fill that channel's places in sequence order: updates that
    arrived at once and were stored in a different order are answered as they were sent."""
    ordered = list(messages)
    places: dict[str, list[int]] = {}
    for index, message in enumerate(messages):
        if isinstance((message.payload or {}).get("sequence"), int):
            places.setdefault(message.channel, []).append(index)
    for indexes in places.values():
        by_sequence = sorted(
            (messages[i] for i in indexes), key=lambda m: int((m.payload or {})["sequence"])
        )
        for index, message in zip(indexes, by_sequence, strict=True):
            ordered[index] = message
    return ordered


async def customers_with_unprocessed(
    session: AsyncSession, stored_before: datetime | None = None
) -> list[int]:
    query = select(Message.customer_id).where(
        Message.direction == "in", Message.delivery_status == "received"
    )
    if stored_before is not None:
        query = query.where(Message.created_at < stored_before)
    return list(await session.scalars(query.distinct()))


async def replies_to(session: AsyncSession, message_id: int) -> list[Message]:
    return list(
        await session.scalars(
            select(Message).where(Message.in_reply_to_id == message_id).order_by(Message.id)
        )
    )


async def timeline(
    session: AsyncSession,
    customer_id: int,
    *,
    after: int = 0,
    limit: int = 500,
    include_private: bool = False,
) -> list[Message]:
    """The customer's whole cross-channel history, oldest first."""
    query = select(Message).where(Message.customer_id == customer_id, Message.id > after)
    if not include_private:
        query = query.where(Message.private.is_(False))
    rows = await session.scalars(query.order_by(Message.id).limit(limit))
    return list(rows)


# How far a returning chat's catch-up reaches back before the newest message it has shown.
RESUME_WINDOW = timedelta(minutes=2)
RESUME_WINDOW_ROWS = 100


async def catch_up(
    session: AsyncSession, customer_id: int, *, after: int = 0, limit: int = 500
) -> list[Message]:
    """What a chat that has shown the messages up to id `after` is sent on coming back,
    oldest first: the messages after it, and again those stored up to RESUME_WINDOW before
    it (at most RESUME_WINDOW_ROWS). On PostgreSQL a message can commit after one with a
    later id was shown (two writers for one customer): its id is below `after`, but not its
    time. The chat shows each id once, so the ones sent again are dropped there. A chat that
    has shown nothing (`after` 0) gets the newest `limit` messages; older ones it reads back
    a page at a time (`recent_timeline` with `before`)."""
    if after <= 0:
        newest, _older = await recent_timeline(session, customer_id, limit=limit)
        return newest
    newer = await timeline(session, customer_id, after=after, limit=limit)
    query = select(Message).where(
        Message.customer_id == customer_id, Message.id <= after, Message.private.is_(False)
    )
    recent = list(
        await session.scalars(query.order_by(Message.id.desc()).limit(RESUME_WINDOW_ROWS))
    )
    if not recent:
        return newer
    since = max(m.created_at for m in recent) - RESUME_WINDOW
    return [m for m in reversed(recent) if m.created_at >= since] + newer


async def recent_timeline(
    session: AsyncSession,
    customer_id: int,
    *,
    before: int | None = None,
    limit: int = 200,
    include_private: bool = False,
) -> tuple[list[Message], bool]:
    """The newest `limit` messages of the customer (older than `before`), oldest first, and
    whether older ones remain: one page of a long history, read backwards by index."""
    query = select(Message).where(Message.customer_id == customer_id)
    if before is not None:
        query = query.where(Message.id < before)
    if not include_private:
        query = query.where(Message.private.is_(False))
    rows = list(await session.scalars(query.order_by(Message.id.desc()).limit(limit + 1)))
    older = len(rows) > limit
    return rows[:limit][::-1], older


_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]


def _message_values(message: Message) -> dict[str, Any]:
    """A new message's row, with the column defaults a flush would apply."""
    if message.private is None:
        message.private = False
    if message.attempts is None:
        message.attempts = 0
    if message.created_at is None:
        message.created_at = utcnow()
    return {
        "customer_id": message.customer_id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "author": message.author,
        "channel": message.channel,
        "address": message.address,
        "text": message.text or "",
        "payload": message.payload,
        "provider_id": message.provider_id,
        "in_reply_to_id": message.in_reply_to_id,
        "private": message.private,
        "delivery_status": message.delivery_status,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "last_error": message.last_error,
        "agent_id": message.agent_id,
        "created_at": message.created_at,
    }


_INSERT_MESSAGES = insert(_MESSAGES).returning(_MESSAGES.c.id, sort_by_parameter_order=True)
_INSERT_EVENTS = insert(_EVENTS)


async def insert_messages(session: AsyncSession, messages: list[Message]) -> None:
    """Insert new messages in one statement (SQLAlchemy Core, no unit of work), in order,
    and give the objects their ids. The objects stay out of the session: plain values for
    the receipt, the live listeners and delivery."""
    if not messages:
        return
    values = [_message_values(m) for m in messages]
    ids = (await session.execute(_INSERT_MESSAGES, values)).scalars().all()
    for message, message_id in zip(messages, ids, strict=True):
        message.id = message_id


def event_values(
    kind: str,
    customer_id: int | None,
    channel: str | None,
    data: dict[str, Any] | None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "customer_id": customer_id,
        "channel": channel,
        "data": data or None,
        "created_at": created_at or utcnow(),
    }


def _take_recorded_events(session: AsyncSession) -> list[dict[str, Any]]:
    """Events added with `record_event` and not written yet, as rows (they leave the
    session: written with the turn's own event, first, as a flush would have)."""
    recorded = [e for e in session.new if isinstance(e, Event)]
    for recorded_event in recorded:
        session.expunge(recorded_event)
    return [event_values(e.kind, e.customer_id, e.channel, e.data, e.created_at) for e in recorded]


@dataclass(frozen=True)
class _Prepared:
    """A Core statement compiled once for SQLite's positional parameters, with the bind
    processors of its columns' types (JSON, dates), to run on a plain sqlite3 cursor."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if process is None else process(values[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )


def _prepare(statement: Any, dialect: Dialect, column_keys: list[str] | None = None) -> _Prepared:
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    names = tuple(compiled.positiontup or ())
    processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    return _Prepared(str(compiled), names, processors)


_MESSAGE_COLUMNS = list(_message_values(Message(text="", payload=None)))
_EVENT_COLUMNS = list(event_values("", None, None, None))
_SQLITE_TURN: dict[Any, tuple[_Prepared, _Prepared, _Prepared]] = {}


def _sqlite_turn_statements(dialect: Dialect) -> tuple[_Prepared, _Prepared, _Prepared]:
    """The turn's three statements (state, event, message) for SQLite, compiled once."""
    key = (dialect.name, dialect.driver)
    found = _SQLITE_TURN.get(key)
    if found is None:
        found = _SQLITE_TURN[key] = (
            _prepare(_UPDATE_STATE, dialect),
            _prepare(insert(_EVENTS), dialect, _EVENT_COLUMNS),
            _prepare(insert(_MESSAGES), dialect, _MESSAGE_COLUMNS),
        )
    return found


@dataclass
class _ColumnUpdate:
    """One loaded object whose changes are plain column values: its UPDATE, to run in the
    turn's trip instead of the flush's own statements and trip."""

    state: InstanceState[Any]
    # None: nothing to write (only a collection gained rows, which carry the key).
    statement: _Prepared | None
    values: dict[str, Any]
    # Attributes the UPDATE sets that the object did not (`onupdate` columns).
    stamped: dict[str, Any]

    # True: the statement is the row's DELETE (an orphan of a collection).
    deletes: bool = False

    def run(self, cursor: sqlite3.Cursor) -> None:
        if self.statement is None:
            return
        cursor.execute(self.statement.sql, self.statement.row(self.values))
        if cursor.rowcount != 1:
            raise StaleDataError(f"{self.state.class_.__name__} was deleted meanwhile")

    def written(self, session: AsyncSession) -> None:
        """The object's attributes are the stored ones now (what a flush ends with); a
        deleted one is gone from the session, as after the flush's DELETE."""
        if self.deletes:
            session.sync_session._remove_newly_deleted([self.state])
            return
        for key, value in self.stamped.items():
            self.state.dict[key] = value
        self.state._commit_all(self.state.dict, session.sync_session.identity_map)


_ROW_DELETES: dict[tuple[Any, ...], _Prepared] = {}


def _orphans(
    session: AsyncSession, dialect: Dialect
) -> dict[InstanceState[Any], _ColumnUpdate] | None:
    """Loaded objects taken out of a delete-orphan collection (a cart's line) and left
    without a parent, each with its row's DELETE; None when one of them is more than a row
    of a table with one key (the flush then deletes it, cascades and all)."""
    found: dict[InstanceState[Any], _ColumnUpdate] = {}
    for obj in session.dirty:
        parent = inspect(obj)
        for key in parent.committed_state:
            prop = parent.mapper.attrs.get(key)
            if not isinstance(prop, RelationshipProperty) or prop.direction is not ONETOMANY:
                continue
            for lost in parent.attrs[key].history.deleted:
                state = inspect(lost)
                mapper = state.mapper
                table = mapper.local_table
                if (
                    not prop.cascade.delete_orphan
                    or not state.persistent
                    or state.key is None
                    or not isinstance(table, Table)
                    or len(mapper.primary_key) != 1
                    or any(r.direction is ONETOMANY for r in mapper.relationships)
                    or any(
                        state.dict.get(r.key) is not None
                        for r in mapper.relationships
                        if r.direction is MANYTOONE
                    )
                ):
                    return None
                pk = mapper.primary_key[0]
                cache_key = (table.name, dialect.name, dialect.driver)
                statement = _ROW_DELETES.get(cache_key)
                if statement is None:
                    built = delete(table).where(pk == bindparam("pk_", type_=pk.type))
                    statement = _ROW_DELETES[cache_key] = _prepare(built, dialect)
                found[state] = _ColumnUpdate(state, statement, {"pk_": state.key[1][0]}, {}, True)
    return found


_COLUMN_UPDATES: dict[tuple[Any, ...], _Prepared] = {}


def _column_updates(
    session: AsyncSession, dialect: Dialect, inserted: set[InstanceState[Any]]
) -> list[_ColumnUpdate] | None:
    """The session's changes to loaded objects as prepared UPDATEs when every one of them
    is a change of column values (a customer's language, an address seen, a cart line's
    quantity) or a collection that gained objects of `inserted` (a cart's new line) or lost
    loaded ones it deletes as orphans (a line taken out of a cart: its DELETE); None when
    the flush must write them (objects deleted otherwise, a key changed, a SQL expression
    assigned)."""
    if session.deleted:
        return None
    orphans = _orphans(session, dialect)
    if orphans is None:
        return None
    updates: list[_ColumnUpdate] = list(orphans.values())
    for obj in session.dirty:
        state = inspect(obj)
        if state in orphans:
            continue  # its row is deleted; what changed on it is moot
        if not state.persistent or state.key is None:
            return None
        mapper = state.mapper
        values: dict[str, Any] = {}
        grown = False
        for key in state.committed_state:
            prop = mapper.attrs.get(key)
            if isinstance(prop, RelationshipProperty) and prop.direction is ONETOMANY:
                history = state.attrs[key].history
                if any(inspect(o) not in orphans for o in history.deleted):
                    return None
                if any(inspect(o) not in inserted for o in history.added):
                    return None
                grown = True  # the new objects' rows carry the key, the lost ones go
                continue
            if not isinstance(prop, ColumnProperty) or len(prop.columns) != 1:
                return None
            column = prop.columns[0]
            if column.primary_key or not isinstance(column, Column):
                return None
            history = state.attrs[key].history
            if not history.added and not history.deleted:
                continue  # set to what it was
            value = state.dict.get(key)
            if isinstance(value, ClauseElement):
                return None
            values[column.key] = value
        if not values and grown:
            updates.append(_ColumnUpdate(state, None, {}, {}))
            continue
        if not values:
            state._commit_all(state.dict, session.sync_session.identity_map)
            continue
        table = mapper.local_table
        if not isinstance(table, Table) or len(mapper.primary_key) != 1:
            return None
        stamped = {}
        for column in table.c:
            onupdate = column.onupdate
            if onupdate is None or column.key in values:
                continue
            if not isinstance(onupdate, CallableColumnDefault):
                return None
            # utcnow, as the flush calls it (wrapped to take the execution context)
            stamped[column.key] = values[column.key] = onupdate.arg(None)  # type: ignore[arg-type]
        pk = mapper.primary_key[0]
        values["pk_"] = state.key[1][0]
        columns = tuple(sorted(k for k in values if k != "pk_"))
        cache_key = (table.name, columns, dialect.name, dialect.driver)
        statement = _COLUMN_UPDATES.get(cache_key)
        if statement is None:
            built = (
                update(table)
                .where(pk == bindparam("pk_", type_=pk.type))
                .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
            )
            statement = _COLUMN_UPDATES[cache_key] = _prepare(built, dialect)
        updates.append(_ColumnUpdate(state, statement, values, stamped))
    return updates


@dataclass
class _NewRow:
    """One object added in the turn whose row is plain column values (a dialogue state, a
    cart, a cart line): its INSERT, to run in the turn's trip instead of the flush's."""

    state: InstanceState[Any]
    statement: _Prepared
    values: dict[str, Any]
    # Columns that take a column of a row inserted before this one (a new cart's id).
    links: list[tuple[str, _NewRow, str]]
    # The key column the INSERT's rowid goes to (None: the key is given).
    rowid_column: str | None

    def insert(self, cursor: sqlite3.Cursor) -> None:
        for column, parent, parent_column in self.links:
            self.values[column] = parent.values[parent_column]
        cursor.execute(self.statement.sql, self.statement.row(self.values))
        if self.rowid_column is not None:
            self.values[self.rowid_column] = cursor.lastrowid

    def written(self) -> None:
        """The object's attributes are the stored row's (keys and defaults included)."""
        mapper = self.state.mapper
        for column in mapper.local_table.c:
            self.state.dict[mapper.get_property_by_column(column).key] = self.values[column.key]


_INSERTS: dict[tuple[Any, ...], _Prepared] = {}
_NO_VALUE = object()


def _column_value(column: Column[Any], value: Any) -> Any:
    """The value a flush would insert for a column the object left unset (its default);
    `_NO_VALUE` when only the flush can tell (a server default, a SQL expression)."""
    if value is not None:
        return _NO_VALUE if isinstance(value, ClauseElement) else value
    default = column.default
    if default is None:
        return _NO_VALUE if column.server_default is not None else None
    if default.is_scalar:
        return default.arg  # type: ignore[attr-defined]
    if isinstance(default, CallableColumnDefault):
        return default.arg(None)  # type: ignore[arg-type]
    return _NO_VALUE


def _new_rows(session: AsyncSession, dialect: Dialect) -> list[_NewRow] | None:
    """The session's new objects as prepared INSERTs, each after the rows its keys refer
    to, when every one is a row of column values whose keys to other rows are those of
    loaded objects or of objects inserted with it; None when the flush must write them."""
    # In the order they were added, as the flush inserts them (ids in that order).
    added = sorted((inspect(obj) for obj in session.new), key=lambda state: state.insert_order)
    states = dict.fromkeys(added)
    rows: dict[InstanceState[Any], _NewRow] = {}
    links: dict[InstanceState[Any], list[tuple[str, InstanceState[Any], str]]] = {}
    for state in states:
        mapper = state.mapper
        table = mapper.local_table
        if not isinstance(table, Table) or mapper.inherits is not None:
            return None
        if len(mapper.primary_key) != 1:
            return None
        values: dict[str, Any] = {}
        rowid_column = None
        for column in table.c:
            value = state.dict.get(mapper.get_property_by_column(column).key)
            if column.primary_key and value is None:
                rowid_column = column.key
                continue
            value = _column_value(column, value)
            if value is _NO_VALUE:
                return None
            values[column.key] = value
        for prop in mapper.relationships:
            if prop.key not in state.dict or prop.secondary is not None:
                continue
            related = state.dict[prop.key]
            others = list(related) if prop.uselist else [related] if related is not None else []
            for other in others:
                other_state = inspect(other)
                for local, remote in prop.local_remote_pairs:
                    if prop.direction is MANYTOONE and other_state in states:
                        links.setdefault(state, []).append((local.key, other_state, remote.key))
                    elif prop.direction is MANYTOONE and other_state.persistent:
                        remote_key = other_state.mapper.get_property_by_column(remote).key
                        if other_state.dict.get(remote_key) is None:
                            return None  # expired: the flush reads it
                        values[local.key] = other_state.dict[remote_key]
                    elif prop.direction is ONETOMANY and other_state in states:
                        links.setdefault(other_state, []).append((remote.key, state, local.key))
                    else:
                        return None
        cache_key = (table.name, tuple(values), dialect.name, dialect.driver)
        statement = _INSERTS.get(cache_key)
        if statement is None:
            statement = _INSERTS[cache_key] = _prepare(insert(table), dialect, list(values))
        rows[state] = _NewRow(state, statement, values, [], rowid_column)
    ordered: dict[InstanceState[Any], _NewRow] = {}
    while len(ordered) < len(rows):
        ready = [
            (state, row)
            for state, row in rows.items()
            if state not in ordered
            and all(parent in ordered for _, parent, _ in links.get(state, []))
        ]
        if not ready:
            return None  # rows that refer to each other: the flush orders them
        for state, row in ready:
            row.links = [(c, ordered[parent], pc) for c, parent, pc in links.get(state, [])]
            if any(c == row.rowid_column for c, _, _ in row.links):
                return None  # a key taken from another new row: left to the flush
            ordered[state] = row
    return list(ordered.values())


def _state_update(state: DialogueState) -> dict[str, Any] | None:
    """The prebuilt UPDATE's parameters when only the stored state's own fields changed;
    None when the flush writes it (a new state, other attributes changed, no change)."""
    info = inspect(state)
    if not info.persistent or not info.modified or not info.committed_state:
        return None
    if not set(info.committed_state) <= set(_STATE_FIELDS):
        return None
    params = {name: getattr(state, name) for name in _STATE_FIELDS}
    params.update(state_customer_id=state.customer_id, updated_at=utcnow())
    return params


def _state_written(session: AsyncSession, state: DialogueState, params: dict[str, Any]) -> None:
    """The state's attributes are the stored ones now (what a flush ends with)."""
    state.updated_at = params["updated_at"]
    info = inspect(state)
    info._commit_all(info.dict, session.sync_session.identity_map)


async def write_turn(
    session: AsyncSession,
    *,
    state: DialogueState,
    event: dict[str, Any],
    inbound: Message | None,
    replies: list[Message],
    others: list[Message],
) -> None:
    """A turn's writes and their commit: the dialogue state, the intent event (with events
    the turn recorded), the inbound message when it is not stored yet, its replies (in
    reply to it) and messages for other addresses; ids are set on the objects.

    On SQLite they go in one trip to the connection's thread with the commit
    (`commit_in_one_trip`: the writer's turn is held for the statements alone); elsewhere
    statement by statement, then the commit. Other changes the dialogue made to loaded
    objects (a cart line, a customer's name) are flushed first, in the same transaction.
    """
    events = [*_take_recorded_events(session), event]
    if not commits_in_one_trip(session):
        await save_state(session, state)
        await session.execute(_INSERT_EVENTS, events)
        if inbound is not None:
            await insert_messages(session, [inbound])
            for reply in replies:
                reply.in_reply_to_id = inbound.id
        await insert_messages(session, [*replies, *others])
        await session.commit()
        return
    state_params = _state_update(state)
    if state_params is not None:
        # Marked written before the flush, so that the flush leaves it to the trip.
        _state_written(session, state, state_params)
    dialect = session.get_bind().dialect
    # New rows (a dialogue state, a cart, its lines) and changes to loaded ones go in the
    # trip as Core statements; anything else (a row deleted, keys moved) is flushed first.
    new = _new_rows(session, dialect)
    changed = None if new is None else _column_updates(session, dialect, {r.state for r in new})
    if new is None or changed is None:
        await session.flush()
        new, changed = [], []
    update_state, insert_event_row, insert_message = _sqlite_turn_statements(dialect)
    inbound_row = _message_values(inbound) if inbound is not None else None
    reply_rows = [_message_values(m) for m in replies]
    other_rows = [_message_values(m) for m in others]

    def work(db: sqlite3.Connection) -> tuple[int | None, list[int | None]]:
        cursor = db.cursor()
        try:
            for row in new:
                row.insert(cursor)
            for change in changed:
                change.run(cursor)
            if state_params is not None:
                cursor.execute(update_state.sql, update_state.row(state_params))
                if cursor.rowcount != 1:
                    raise StaleDataError("the dialogue state was deleted meanwhile")
            cursor.executemany(insert_event_row.sql, [insert_event_row.row(e) for e in events])
            inbound_id = None
            if inbound_row is not None:
                cursor.execute(insert_message.sql, insert_message.row(inbound_row))
                inbound_id = cursor.lastrowid
            ids = []
            for values in reply_rows:
                if inbound_id is not None:
                    values["in_reply_to_id"] = inbound_id
                cursor.execute(insert_message.sql, insert_message.row(values))
                ids.append(cursor.lastrowid)
            for values in other_rows:
                cursor.execute(insert_message.sql, insert_message.row(values))
                ids.append(cursor.lastrowid)
            return inbound_id, ids
        finally:
            cursor.close()

    inbound_id, ids = await commit_in_one_trip(session, work)
    for row in new:
        row.written()
    # Pending → persistent, as a flush ends (in the identity map, their history committed).
    session.sync_session._register_persistent({row.state for row in new})
    for change in changed:
        change.written(session)
    if inbound is not None:
        assert inbound_id is not None  # sqlite3 gives an INSERT's rowid
        inbound.id = inbound_id
        for reply in replies:
            reply.in_reply_to_id = inbound_id
    for message, message_id in zip([*replies, *others], ids, strict=True):
        assert message_id is not None
        message.id = message_id
    await session.commit()  # the session's transaction ends (its commit is done)


def message_object(message: Message) -> dict[str, Any]:
    """A message as the public reply object of DESIGN.md."""
    payload = message.payload or {}
    obj: dict[str, Any] = {
        "id": message.id,
        "author": message.author,
        "text": message.text,
        "buttons": list(payload.get("buttons", [])),
        "created_at": message.created_at.isoformat(),
        "channel": message.channel,
    }
    if "client_message_id" in payload:
        obj["client_message_id"] = payload["client_message_id"]
    if message.author == "bot" and payload.get("language") in ("pl", "en"):
        obj["language"] = payload["language"]  # the language the bot wrote it in
    if message.delivery_status == "throttled":
        obj["throttled"] = True  # kept, not answered: sent over the conversation's rate
    elif message.delivery_status == "suppressed":
        obj["undelivered"] = True  # kept, reached nobody: no channel can reach the customer
    if "system_note" in payload:
        obj["system_note"] = payload["system_note"]  # the console words it in its language
        if "note_params" in payload:
            obj["note_params"] = payload["note_params"]  # …with these values
    return obj


def outbound_of(message: Message) -> OutboundMessage:
    payload = message.payload or {}
    return OutboundMessage(
        id=message.id,
        customer_id=message.customer_id,
        channel=message.channel,
        address=message.address or "",
        author=message.author,
        text=message.text,
        buttons=[Button(b["title"], b["payload"]) for b in payload.get("buttons", [])],
        created_at=message.created_at,
        attempts=message.attempts,
        extra={k: v for k, v in payload.items() if k != "buttons"},
    )


@functools.lru_cache(maxsize=8)
def _claim(consent_flags: tuple[tuple[str, str], ...]) -> Any:
    """The claim's UPDATE, returning the row and, for a channel with a consent flag, its
    customer's flag (NULL when the customer was joined into another)."""
    claim = (
        update(Message)
        .where(Message.id == bindparam("message_id"), Message.delivery_status == "pending")
        .values(
            delivery_status="sending",
            next_attempt_at=bindparam("lease_until", type_=_MESSAGES.c.next_attempt_at.type),
        )
    )
    if not consent_flags:
        return claim.returning(Message)
    flag_of_channel = case(
        *(
            (
                Message.channel == channel,
                select(getattr(Customer, flag))
                .where(Customer.id == Message.customer_id, Customer.merged_into_id.is_(None))
                .scalar_subquery(),
            )
            for channel, flag in consent_flags
        ),
        else_=None,
    )
    return claim.returning(Message, flag_of_channel)


async def claim_for_delivery(
    session: AsyncSession,
    message_id: int,
    lease_until: datetime,
    consent_flags: dict[str, str] | None = None,
) -> tuple[Message, bool | None] | None:
    """Atomically move one outbox row pending → sending, and return it (one statement: the
    UPDATE returns the row); None if someone else has it. Commits. With `consent_flags`
    (channel → Customer attribute), the same statement reads whether the row's customer
    has its channel's flag set (None: not known, e.g. a joined customer).

    While `sending`, `next_attempt_at` is the claim's lease: the sender renews it, and a
    row whose lease ran out was abandoned mid-send (a crash) — see `abandoned_rows`.
    """
    statement = _claim(tuple(sorted((consent_flags or {}).items())))
    params = {"message_id": message_id, "lease_until": lease_until}
    row = (await session.execute(statement, params)).first()
    await session.commit()
    if row is None:
        return None
    flag = row[1] if len(row) > 1 else None
    return row[0], None if flag is None else bool(flag)


_RECORD_DELIVERY = (
    update(_MESSAGES)
    .where(
        _MESSAGES.c.id == bindparam("message_id"),
        _MESSAGES.c.delivery_status == "sending",
        _MESSAGES.c.attempts == bindparam("attempts_before"),
    )
    .values(
        attempts=_MESSAGES.c.attempts + 1,
        delivery_status=bindparam("status"),
        last_error=bindparam("error"),
        provider_id=func.coalesce(_MESSAGES.c.provider_id, bindparam("sent_as")),
        next_attempt_at=bindparam("next_at", type_=_MESSAGES.c.next_attempt_at.type),
    )
)


async def record_delivery(
    session: AsyncSession,
    message_id: int,
    attempts_before: int,
    status: str,
    error: str | None,
    provider_id: str | None,
    next_attempt_at: datetime | None,
) -> bool:
    """A send's outcome on a row still claimed as it was (`sending`, `attempts_before`),
    in one prebuilt UPDATE; False when the row moved meanwhile. Not committed."""
    params = {
        "message_id": message_id,
        "attempts_before": attempts_before,
        "status": status,
        "error": error,
        "sent_as": provider_id,
        "next_at": next_attempt_at,
    }
    result = await session.execute(_RECORD_DELIVERY, params)
    return (getattr(result, "rowcount", 0) or 0) == 1


async def renew_claim(session: AsyncSession, message_id: int, lease_until: datetime) -> None:
    await session.execute(
        update(Message)
        .where(Message.id == message_id, Message.delivery_status == "sending")
        .values(next_attempt_at=lease_until)
    )
    await session.commit()


async def due_outbox(session: AsyncSession, now: datetime, limit: int = 100) -> list[int]:
    rows = await session.scalars(
        select(Message.id)
        .where(
            Message.delivery_status == "pending",
            (Message.next_attempt_at.is_(None)) | (Message.next_attempt_at <= now),
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return list(rows)


async def abandoned_rows(session: AsyncSession, now: datetime) -> list[Message]:
    """Rows left `sending` whose claim's lease ran out: their sender died mid-send."""
    rows = await session.scalars(
        select(Message).where(Message.delivery_status == "sending", Message.next_attempt_at < now)
    )
    return list(rows)


async def settle_abandoned(
    session: AsyncSession,
    message_id: int,
    now: datetime,
    status: str,
    note: str,
    provider_id: str | None = None,
) -> Message | None:
    """Move one abandoned row to `status` (pending: resend; unknown: report; sent: the
    provider has it as `provider_id`), unless another instance did it first or its sender
    came back. Not committed."""
    values: dict[str, Any] = {"delivery_status": status, "next_attempt_at": None}
    values["last_error"] = note
    if provider_id is not None:
        values["provider_id"] = provider_id
    result = await session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.delivery_status == "sending",
            Message.next_attempt_at < now,
        )
        .values(**values)
    )
    if (getattr(result, "rowcount", 0) or 0) != 1:
        return None
    return await session.get(Message, message_id, populate_existing=True)


def record_event(
    session: AsyncSession,
    kind: str,
    customer_id: int | None,
    channel: str | None = None,
    **data: Any,
) -> None:
    session.add(
        Event(
            kind=kind,
            customer_id=customer_id,
            channel=channel,
            data=data or None,
            created_at=utcnow(),
        )
    )


async def latest_event(session: AsyncSession, customer_id: int, kind: str) -> Event | None:
    """The customer's newest event of this kind."""
    return await session.scalar(
        select(Event)
        .where(Event.customer_id == customer_id, Event.kind == kind)
        .order_by(Event.id.desc())
        .limit(1)
    )


async def last_reachable_identity(
    session: AsyncSession, customer: Customer, blocked_channels: set[str] | None = None
) -> ChannelIdentity | None:
    """The identity of the customer's last active channel that can still be reached."""
    rows = await session.scalars(
        select(ChannelIdentity)
        .where(
            ChannelIdentity.customer_id == customer.id,
            ChannelIdentity.unreachable.is_(False),
            # An ended web chat session reaches nobody: its browser is refused from then on.
            ChannelIdentity.revoked_at.is_(None),
        )
        .order_by(ChannelIdentity.last_seen_at.desc(), ChannelIdentity.id.desc())
    )
    blocked = blocked_channels or set()
    reachable = [i for i in rows if i.channel not in blocked]
    # The channel of the latest message wins; within it, the address seen last.
    current = [i for i in reachable if i.channel == customer.last_channel]
    ordered = current or reachable
    return ordered[0] if ordered else None


async def request_id_of(session: AsyncSession, message: Message) -> str | None:
    """The request id stored with a message, or with the inbound message it answers."""
    found = (message.payload or {}).get("request_id")
    if found is None and message.in_reply_to_id is not None:
        inbound = await session.get(Message, message.in_reply_to_id)
        found = (inbound.payload or {}).get("request_id") if inbound is not None else None
    return str(found) if found else None
