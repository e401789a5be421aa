"""Operator-editable content: intents, FAQ entries, products, and every version of them.

Rows hold the live content; `ContentVersion` rows are the audit trail. Each version
records who changed what as a list of changes `{kind, key, before, after}` (`None` before
means created, `None` after means deleted), so any version can be restored by undoing
the later ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, Id, utcnow


class ContentIntent(Base):
    __tablename__ = "content_intents"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    examples: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {lang: [text]}
    responses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {lang: [template]}
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContentFaqEntry(Base):
    __tablename__ = "content_faq_entries"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    intent: Mapped[str | None] = mapped_column(String(64))
    questions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {lang: [text]}
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {lang: text}
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContentProduct(Base):
    __tablename__ = "content_products"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(64))
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    descriptions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    allergens: Mapped[list[str]] = mapped_column(JSON, default=list)
    prices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # size -> grosze
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # vegetarian, spicy
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContentSetting(Base):
    """Content that is not a list of items: the shop, sizes and categories; FAQ threshold."""

    __tablename__ = "content_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ContentVersion(Base):
    """One saved change (or import, or rollback): who, when, and what changed."""

    __tablename__ = "content_versions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)  # the version number
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id"))
    user_email: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(32))  # seed|save|delete|import|rollback
    summary: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
