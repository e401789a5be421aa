"""The customer-context store: one customer, one history, one cart, any channel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The largest id a row can have (BIGINT; SQLite's INTEGER is 64-bit too): larger ids in
# requests are refused before they reach the database.
MAX_ROW_ID = 2**63 - 1

# BIGINT on PostgreSQL, INTEGER (rowid alias, autoincrement) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(8))
    last_channel: Mapped[str | None] = mapped_column(String(32))
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when this customer was joined into another one; all rows move there.
    merged_into_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The fencing token of the newest holder of this customer's lock (bot.store.fencing).
    lock_fence: Mapped[int | None] = mapped_column(BigInteger)

    identities: Mapped[list[ChannelIdentity]] = relationship(
        back_populates="customer", foreign_keys="ChannelIdentity.customer_id"
    )


class ChannelIdentity(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_identity_channel_address"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    verified_by: Mapped[str] = mapped_column(String(32), default="channel")
    # Telegram 403 (blocked the bot) or a permanent delivery failure.
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Web chat: session tokens signed before this are refused ("forget me", an operator).
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    customer: Mapped[Customer] = relationship(
        back_populates="identities", foreign_keys=[customer_id]
    )


class Conversation(Base):
    """The customer's single thread across channels."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="bot")  # bot|waiting_agent|agent|closed
    assigned_agent_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id"))
    waiting_since: Mapped[datetime | None] = mapped_column()
    handoff_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(Base):
    """Every message in and out; outbound rows are also the transactional outbox."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id", name="uq_message_channel_provider_id"),
        Index("ix_messages_customer_id_id", "customer_id", "id"),
        Index("ix_messages_outbox", "delivery_status", "next_attempt_at"),
        # A customer's unanswered messages, and the customers who have some (the sweep).
        Index("ix_messages_unanswered", "delivery_status", "customer_id", "id"),
        Index("ix_messages_in_reply_to_id", "in_reply_to_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    conversation_id: Mapped[int] = mapped_column(Id, ForeignKey("conversations.id"))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    author: Mapped[str] = mapped_column(String(16))  # customer|bot|agent|system
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    provider_id: Mapped[str | None] = mapped_column(String(255))
    in_reply_to_id: Mapped[int | None] = mapped_column(Id, ForeignKey("messages.id"))
    private: Mapped[bool] = mapped_column(Boolean, default=False)  # agent notes
    # received | pending | sent | delivered | failed | suppressed
    delivery_status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DialogueState(Base):
    __tablename__ = "dialogue_states"

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    slots: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Buttons last offered: SMS "2" and typed titles resolve against these.
    pending_options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fallback_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Cart(Base):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column()

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.id"
    )


class CartItem(Base):
    __tablename__ = "cart_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    cart_id: Mapped[int] = mapped_column(Id, ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[str | None] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    # What the customer wants done to it ("bez cebuli", "well done"); lines differ by it.
    note: Mapped[str | None] = mapped_column(String(300))

    cart: Mapped[Cart] = relationship(back_populates="items")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="new")
    fulfilment: Mapped[str] = mapped_column(String(16), default="delivery")  # delivery|pickup
    address: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    subtotal: Mapped[int] = mapped_column(Integer, default=0)  # grosze
    delivery_fee: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str | None] = mapped_column(String(32))
    payment_method: Mapped[str | None] = mapped_column(String(16))  # cash | card | blik
    # The time the shop gave when accepting ("ready at about 19:40"), and why it refused.
    ready_at: Mapped[datetime | None] = mapped_column()
    status_reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    history: Mapped[list[OrderStatusChange]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderStatusChange.id"
    )


class OrderStatusChange(Base):
    """One step of an order's history (placing it is the first). The seq orders the board's
    live feed: a board that reconnects asks for every change after the last seq it saw."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        Id, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(24))
    previous: Mapped[str | None] = mapped_column(String(24))
    # Who: a staff user, or "customer" / "system" when no user did it.
    user_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(320))
    eta_minutes: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The change's place in commit order, given by the database when the change commits
    # (migration 0007): an id is taken at INSERT, so a lower id may commit after a higher
    # one was read; a seq never does. None until committed.
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)

    order: Mapped[Order] = relationship(back_populates="history")


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        Id, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[str | None] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)  # grosze, at the moment of ordering

    order: Mapped[Order] = relationship(back_populates="items")


class LinkToken(Base):
    """One-time codes and deep-link tokens for joining identities."""

    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # code | deeplink | sms_code
    token: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    target: Mapped[str | None] = mapped_column(String(64))  # phone for sms_code
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """Agents, operators and admins."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # kitchen | agent | operator | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Analytics events (intent matched, fallback, handoff, order placed, …)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_kind_created", "kind", "created_at"),
        # A customer's events (the agent's profile), and moving them in a join.
        Index("ix_events_customer_kind", "customer_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
