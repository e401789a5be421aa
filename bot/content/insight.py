"""For the operator: what the bot would do with a message, and where intents collide."""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.core import Core
from bot.dialogue.turn import TurnContext
from bot.store.models import Conversation, Customer, DialogueState, Message
from intents.classifier import IntentClassifier
from intents.data import FALLBACK, flatten
from intents.text import fold, tokens

NEAR_DUPLICATE = 0.9  # character n-gram cosine
NEAR_DUPLICATE_EMBEDDING = 0.97
FOLDS = 5
MISFIT_CONFIDENCE = 0.5  # a misfit the model is unsure about is noise, not a conflict
# Words that turn a sentence into its opposite (Polish and English, folded).
NEGATIONS = frozenset({"nie", "not", "no", "dont", "don", "t", "never", "nigdy"})


async def try_message(core: Core, text: str, lang: str | None) -> dict[str, Any]:
    """Parse the text and run the dialogue on a throwaway customer, then roll it all back.

    The customer, conversation and dialogue state exist only inside a transaction that is
    rolled back, so nothing is stored and no one is messaged; a hand-off is reported with
    what the customer would be told, and never started. (Remote Rasa actions, if configured,
    are still called.)
    """
    parse = await core.interpreter.aparse(text, lang)
    turn_lang = lang or parse.get("lang") or core.settings.default_language
    if turn_lang not in ("pl", "en"):
        turn_lang = core.settings.default_language
    async with core.sessions() as session:
        try:
            customer = Customer(language=turn_lang, last_channel="webchat")
            session.add(customer)
            await session.flush()
            conversation = Conversation(customer_id=customer.id, status="bot")
            state = DialogueState(customer_id=customer.id, slots={})
            session.add_all([conversation, state])
            await session.flush()
            context = TurnContext(session, customer, conversation, state, parse, turn_lang)
            # Never added to the session: the turn reads it, nothing stores it.
            message = Message(
                customer_id=customer.id,
                conversation_id=conversation.id,
                direction="in",
                author="customer",
                channel="webchat",
                text=text,
            )
            outcome = await core.dialogue.take_turn(message, context)
            replies, handoff = list(outcome.replies), outcome.handoff
            if handoff:
                replies.append((await core.hand_off(context, handoff, text))[1])
        finally:
            await session.rollback()
    return {
        "text": text,
        "lang": turn_lang,
        "intent": parse.get("intent"),
        "intent_ranking": list(parse.get("intent_ranking") or [])[:5],
        "entities": parse.get("entities") or [],
        "faq": parse.get("faq"),
        "replies": [{"text": r.text, "buttons": [b.as_dict() for b in r.buttons]} for r in replies],
        "handoff": handoff,
    }


def _words(text: str) -> tuple[str, ...]:
    """An example's words, case, diacritics and punctuation aside ("Zgadza się!" = "zgadza sie")."""
    return tuple(tokens(fold(text)))


def _opposites(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One says the other with a "not" ("zgadza się" / "nie zgadza się", "definitely" /
    "definitely not"): an affirm and a deny look alike and are no conflict."""
    differ = set(a) ^ set(b)
    return bool(differ) and differ <= NEGATIONS


def find_duplicates(examples: dict[str, dict[str, list[str]]]) -> list[dict[str, Any]]:
    """The same example (case, diacritics and punctuation aside) in two or more intents: the
    bot cannot answer it both ways, so one of them must go."""
    where: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
    for intent, by_lang in examples.items():
        for lang, texts in by_lang.items():
            for text in texts:
                where.setdefault((lang, _words(text)), {}).setdefault(intent, text)
    return [
        {"lang": lang, "examples": [{"intent": i, "text": t} for i, t in sorted(found.items())]}
        for (lang, _), found in sorted(where.items())
        if len(found) > 1
    ]


def find_conflicts(examples: dict[str, dict[str, list[str]]], encode: Any = None) -> dict[str, Any]:
    """What an operator can fix: the same example in two intents (`duplicates`) and examples
    of different intents that are nearly the same (`near_duplicates`, a sentence and its
    negation aside). Also, as hints, examples that cross-validation assigns to another intent
    (`misclassified`: each predicted by a model trained without its fold; the bot answers the
    example itself right, but wording like it may go to the other intent)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold

    texts, labels = flatten(examples)
    langs = [lang for by_lang in examples.values() for lang, ts in by_lang.items() for _ in ts]
    duplicates = find_duplicates(examples)
    if len(set(labels)) < 2:
        return {"duplicates": duplicates, "near_duplicates": [], "misclassified": []}
    emb = (
        np.asarray(encode(texts), dtype=np.float32)
        if encode is not None
        else np.zeros((len(texts), 1), dtype=np.float32)
    )
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    c = chars.fit_transform([" ".join(t.lower().split()) for t in texts])
    sim = (c @ c.T).toarray()
    emb_sim = emb @ emb.T if encode is not None else None
    near: list[dict[str, Any]] = []
    lab = np.asarray(labels)
    for i in range(len(texts)):
        other = lab != lab[i]
        other[: i + 1] = False
        hits = np.where(other & (sim[i] >= NEAR_DUPLICATE))[0].tolist()
        if emb_sim is not None:
            hits += np.where(other & (emb_sim[i] >= NEAR_DUPLICATE_EMBEDDING))[0].tolist()
        for j in sorted(set(hits)):
            a, b = _words(texts[i]), _words(texts[j])
            if a == b or _opposites(a, b):  # a duplicate (listed as such), or a negation
                continue
            score = max(sim[i, j], emb_sim[i, j] if emb_sim is not None else 0.0)
            near.append(
                {
                    "a": {"intent": labels[i], "text": texts[i], "lang": langs[i]},
                    "b": {"intent": labels[j], "text": texts[j], "lang": langs[j]},
                    "similarity": round(float(score), 3),
                }
            )
    counts = {label: labels.count(label) for label in set(labels)}
    usable = [i for i, label in enumerate(labels) if counts[label] >= 2]
    folds = min(FOLDS, min(counts[labels[i]] for i in usable)) if usable else 0
    wrong: list[dict[str, Any]] = []
    if folds >= 2 and len({labels[i] for i in usable}) >= 2:
        idx = np.asarray(usable)
        y = lab[idx]
        split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        for train, test in split.split(idx, y):
            tr, te = idx[train], idx[test]
            model = IntentClassifier().fit([texts[i] for i in tr], list(lab[tr]), emb[tr])
            preds = model.predict([texts[i] for i in te], emb[te])
            for i, pred in zip(te, preds, strict=True):
                top, conf = pred.ranking[0] if pred.ranking else (FALLBACK, 0.0)
                if pred.oos_probability >= conf:
                    top, conf = FALLBACK, pred.oos_probability
                if top != labels[i] and conf >= MISFIT_CONFIDENCE:
                    wrong.append(
                        {
                            "intent": labels[i],
                            "text": texts[i],
                            "lang": langs[i],
                            "predicted": top,
                            "confidence": round(float(conf), 3),
                        }
                    )
    wrong.sort(key=lambda w: -w["confidence"])
    near.sort(key=lambda n: -n["similarity"])
    return {"duplicates": duplicates, "near_duplicates": near[:200], "misclassified": wrong[:200]}
