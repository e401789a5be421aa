"""The shapes of our content files, checked before anything reads them.

An imported file that is valid YAML but has the wrong shape (`questions: [a]` where a
mapping of languages is expected, `threshold: abc`, `sizes: {small: 5}`) is refused with the
path of the offending field, e.g. `knowledge/faq.yaml: faq[0].questions: …`, instead of
failing somewhere inside the import.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.content.validation import ContentError


def _text(value: Any) -> Any:
    # YAML reads `2490`, `yes` or `1.5` as numbers and booleans; as content they are text.
    if isinstance(value, bool | int | float):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_text)]
PerLanguage = dict[Text, Text]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FaqEntryShape(_Shape):
    id: Text = Field(min_length=1)
    intent: Text | None = None
    questions: dict[Text, list[Text] | None] | None = None
    answer: PerLanguage | None = None
    tags: list[Text] | None = None


class FaqFileShape(_Shape):
    threshold: float | None = Field(default=None, ge=0, le=1)
    faq: list[FaqEntryShape] | None = None


class CategoryShape(_Shape):
    id: Text = Field(min_length=1)
    name: PerLanguage | None = None


class ProductShape(_Shape):
    id: Text = Field(min_length=1)
    category: Text | None = None
    name: PerLanguage | None = None
    aliases: list[Text] | None = None
    description: PerLanguage | None = None
    allergens: list[Text] | None = None
    prices: dict[Text, int | float] | None = None
    available: bool = True
    vegetarian: bool = False
    spicy: bool = False


class CatalogFileShape(_Shape):
    shop: dict[Text, Any] | None = None
    sizes: dict[Text, PerLanguage] | None = None
    categories: list[CategoryShape] | None = None
    products: list[ProductShape] | None = None


class Example(_Shape):
    text: Text


class IntentFileShape(_Shape):
    intents: dict[Text, list[Text | Example]]


class RasaVariation(_Shape):
    text: Text | None = None
    condition: list[dict[Text, Any]] | None = None


class ResponsesFileShape(_Shape):
    # Ours: {intent: {lang: [templates]}}; Rasa's domain: {utter_intent: [variations]}.
    responses: dict[Text, dict[Text, list[Text] | None] | list[RasaVariation] | None]


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not any(c in part for c in "[(") and part not in {"str", "int", "float", "bool"}:
            out += f".{part}" if out else part  # union members' tags are left out
    return out


def check_shape(path: str, raw: dict[str, Any], shape: type[BaseModel]) -> None:
    """Raise ContentError naming the first fields that do not fit `shape`."""
    try:
        shape.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()[:3]]
        field = _where(exc.errors()[0]["loc"])
        raise ContentError(
            f"{path}: " + "; ".join(problems), "file_shape", path=path, field=field
        ) from None
