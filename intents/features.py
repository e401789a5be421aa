"""The language-agnostic view of texts that the classifier and the FAQ share.

The default encoder is English-only, so Polish is carried by two sparse blocks computed once
per batch of messages and read by both the classifier and the FAQ:
- character n-grams (2-5, within words) of the diacritic-free text: typos, missing Polish
  letters, unknown words;
- word uni- and bigrams of simplemma lemmas (inflection), plus the name of each synonym group
  a word belongs to (`lexicon/synonyms.yaml`: "auto" and "parking" both add `~car`), so
  rewordings and questions in the other language share a feature.
A third block, the synonym groups alone, serves the FAQ (a reworded question often shares
nothing with the stored one but its topic); the classifier gives it no weight.
Each block is L2-normalised, so a block's dot product is its cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction import text as sklearn_text
from sklearn.feature_extraction.text import TfidfVectorizer

# scikit-learn's row normalisation without the wrapper's matrix checks (the same routine
# `TfidfVectorizer.transform` ends with; the version is pinned and a test compares).
from sklearn.utils.sparsefuncs_fast import _inplace_csr_row_normalize_l2

from intents.text import fold, lemma, tokens

SYNONYMS = Path(__file__).resolve().parent / "lexicon" / "synonyms.yaml"


@lru_cache(maxsize=4)
def synonym_groups(path: Path = SYNONYMS) -> dict[str, str]:
    """Folded word or lemma -> `~group` for every single-word entry of the synonym file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, str] = {}
    for group, words in raw.items():
        for word in words or ():
            for tok in tokens(str(word)):
                out[fold(tok)] = f"~{group}"
                out[lemma(tok)] = f"~{group}"
    return out


@lru_cache(maxsize=4)
def synonym_stems(path: Path = SYNONYMS) -> dict[str, tuple[tuple[str, str], ...]]:
    """The synonym file's folded words of 5+ letters (with their group), by first 3 letters."""
    out: dict[str, list[tuple[str, str]]] = {}
    for word, group in synonym_groups(path).items():
        if len(word) >= 5 and word.isalpha():
            out.setdefault(word[:3], []).append((word, group))
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=65536)
def _inflected_group(folded: str) -> str | None:
    """The group of a word typed without diacritics in another case or number, which the
    lemmatizer cannot read ("czlowieka", "pracownikiem", "obslugi"): a group word with at
    most its last letter changed and at most three letters more ("dostawa" is not "dostawca")."""
    for word, group in synonym_stems().get(folded[:3], ()):
        common = 0
        for a, b in zip(folded, word, strict=False):
            if a != b:
                break
            common += 1
        if common >= max(4, len(word) - 1) and len(folded) - common <= 3:
            return group
    return None


def word_view(text: str, groups: dict[str, str] | None = None) -> str:
    """Lemmas of the text followed by the synonym groups its words belong to."""
    return _views(text, groups)[0]


def group_view(text: str, groups: dict[str, str] | None = None) -> str:
    """The synonym groups of the text's words alone ("_" for none)."""
    return _views(text, groups)[1]


def _views(text: str, groups: dict[str, str] | None) -> tuple[str, str]:
    """(`word_view`, `group_view`) of the text, its words read once."""
    lemmas, concepts = _lemmas_and_groups(text, groups)
    return " ".join([*lemmas, *concepts]) or "_", " ".join(concepts) or "_"


def _lemmas_and_groups(text: str, groups: dict[str, str] | None) -> tuple[list[str], list[str]]:
    default = groups is None or groups is synonym_groups()
    groups = synonym_groups() if groups is None else groups
    lemmas = []
    concepts: dict[str, None] = {}
    for tok in tokens(text):
        lem = lemma(tok)
        lemmas.append(lem)
        folded = fold(tok)
        group = groups.get(lem) or groups.get(folded)
        if group is None and default and len(folded) >= 5:
            group = _inflected_group(folded)
        if group:
            concepts[group] = None
    return lemmas, list(concepts)


def _tfidf_rows(
    vectorizer: TfidfVectorizer, docs: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`vectorizer.transform(docs)` as CSR arrays (indptr, indices, data), computed as
    scikit-learn computes it: counts of the analyzer's in-vocabulary terms, binary or
    sublinear TF, IDF, then each row L2-normalised by scikit-learn's own routine."""
    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    indptr = [0]
    indices: list[int] = []
    counts: list[int] = []
    for doc in docs:
        seen: dict[int, int] = {}
        for term in analyze(doc):
            column = vocabulary.get(term)
            if column is not None:
                seen[column] = seen.get(column, 0) + 1
        for column in sorted(seen):
            indices.append(column)
            counts.append(seen[column])
        indptr.append(len(indices))
    rows = np.asarray(indptr, dtype=np.int32)
    columns = np.asarray(indices, dtype=np.int32)
    data = np.asarray(counts, dtype=vectorizer.dtype)
    if vectorizer.binary:
        data.fill(1)
    if vectorizer.sublinear_tf:
        np.log(data, data)
        data += 1.0
    if vectorizer.use_idf:
        data *= vectorizer.idf_[columns]
    if vectorizer.norm == "l2":
        _inplace_csr_row_normalize_l2(data, (len(docs), len(vocabulary)), columns, rows)
    elif vectorizer.norm is not None:
        raise ValueError(f"unsupported norm {vectorizer.norm!r}")
    return rows, columns, data


class _WordwiseCharVectorizer(TfidfVectorizer):
    """scikit-learn's `char_wb` TF-IDF, its fit counting each distinct word's n-grams once.

    `char_wb` n-grams never cross a space, so a text's counts are the sum of its words':
    the texts x words counts times the words x n-grams counts (CLINC150: 6k distinct words
    in 15k texts). The counts, and so the fit, are the library's own; `parts_` keeps the two
    factors of the last fit (columns as the fitted vocabulary numbers them) for the solver
    (`Featurizer.char_factors`)."""

    def _count_vocab(self, raw_documents: Sequence[str], fixed_vocab: bool):  # type: ignore[no-untyped-def]
        if fixed_vocab or self.analyzer != "char_wb":
            return super()._count_vocab(raw_documents, fixed_vocab)
        preprocess = self.build_preprocessor()
        words: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        for i, doc in enumerate(raw_documents):
            seen: dict[int, int] = {}
            for word in preprocess(doc).split():
                j = words.setdefault(word, len(words))
                seen[j] = seen.get(j, 0) + 1
            rows.extend([i] * len(seen))
            cols.extend(seen)
            counts.extend(seen.values())
        vocabulary: dict[str, int] = {}
        indptr = [0]
        grams: list[int] = []
        gram_counts: list[int] = []
        for word in words:
            seen = {}
            for term in self._char_wb_ngrams(word):
                column = vocabulary.setdefault(term, len(vocabulary))
                seen[column] = seen.get(column, 0) + 1
            grams.extend(seen)
            gram_counts.extend(seen.values())
            indptr.append(len(grams))
        if not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        per_text = csr_matrix(
            (np.asarray(counts, self.dtype), (rows, cols)), shape=(len(raw_documents), len(words))
        )
        per_word = csr_matrix(
            (np.asarray(gram_counts, self.dtype), np.asarray(grams, np.int32), indptr),
            shape=(len(words), len(vocabulary)),
        )
        x = sklearn_text.sp.csr_array(per_text @ per_word, dtype=self.dtype)
        x.sort_indices()
        # Column -> term, before the fit sorts the columns.
        self._terms: list[str] | None = list(vocabulary)
        self.parts_ = (per_text, per_word)
        return vocabulary, sklearn_text._align_api_if_sparse(x)

    def fit_transform(self, raw_documents, y=None):  # type: ignore[no-untyped-def]
        out = super().fit_transform(raw_documents, y)
        terms = getattr(self, "_terms", None)
        if terms is not None:
            per_word = self.parts_[1]
            renumber = np.fromiter((self.vocabulary_[t] for t in terms), np.int32, len(terms))
            per_word.indices = renumber[per_word.indices]
            per_word.has_sorted_indices = False
            self._terms = None
        return out


class Featurizer:
    """Character and word TF-IDF blocks, fitted on a training corpus."""

    def __init__(self) -> None:
        self.chars = _WordwiseCharVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32
        )
        self.words = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"\S+",
            dtype=np.float32,
        )
        self.groups = TfidfVectorizer(
            analyzer="word", token_pattern=r"\S+", use_idf=False, binary=True, dtype=np.float32
        )
        self.n_chars = 0
        self.n_words = 0
        self._groups = synonym_groups()

    def fit_transform(self, texts: Sequence[str]) -> csr_matrix:
        """Fit the vocabularies and IDF on `texts`; every synonym group is in the vocabulary
        (from one extra document), so a group first used by an FAQ entry still counts."""
        chars = self.chars.fit_transform([fold(t) for t in texts])
        seed = " ".join(sorted(set(self._groups.values())))
        views = [_views(t, self._groups) for t in texts]
        words = self.words.fit_transform([*(v[0] for v in views), seed])
        self.groups.fit([seed])
        self.n_chars = chars.shape[1]
        self.n_words = words.shape[1]
        groups = self.groups.transform([v[1] for v in views])
        return hstack([chars, words[:-1], groups], format="csr", dtype=np.float32)

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """The three blocks of each text as one row (one call for a whole batch).

        The same matrix as the fitted vectorizers' `transform`s joined by `hstack` (a test
        holds them equal), built straight from their analyzers, vocabularies and IDF: the
        library's per-call checks cost several milliseconds, a message's features tens of µs.
        """
        vectorizers = (self.chars, self.words, self.groups)
        views = [_views(t, self._groups) for t in texts]
        docs = ([fold(t) for t in texts], [v[0] for v in views], [v[1] for v in views])
        blocks = [_tfidf_rows(vec, block) for vec, block in zip(vectorizers, docs, strict=True)]
        offsets = (0, self.n_chars, self.n_chars + self.n_words)
        # Row by row, the blocks side by side: a stable sort by row of the blocks' entries
        # (each block's columns already ascending, the blocks' column ranges in order).
        rows = np.concatenate([np.repeat(np.arange(len(texts)), np.diff(b[0])) for b in blocks])
        order = np.argsort(rows, kind="stable")
        columns = np.concatenate([b[1] + np.int32(o) for b, o in zip(blocks, offsets, strict=True)])
        data = np.concatenate([b[2] for b in blocks])
        indptr = np.asarray(sum(b[0] for b in blocks), dtype=np.int32)
        return csr_matrix(
            (data[order], columns[order].astype(np.int32), indptr), shape=(len(texts), self.size)
        )

    def char_factors(self, rows: int) -> tuple[csr_matrix, csr_matrix] | None:
        """The character block of the first `rows` texts of the last `fit_transform` (its
        first `n_chars` columns) as a product of two much sparser matrices, for the solver:
        character n-grams never cross a space, so a text's n-grams are its words'. left:
        texts x distinct words, 1 / the row's norm where the text has the word; right:
        words x n-grams, the word's TF-IDF. Their product is the block except where an n-gram
        comes from two of a text's words or a repeated word (TF is sublinear), and for
        rounding; the solver adds what it leaves out. None without such a fit (a featurizer
        fitted by an earlier version, or on fewer texts)."""
        parts = getattr(self.chars, "parts_", None)
        if parts is None or parts[0].shape[0] < rows:
            return None
        per_text, per_word = parts
        idf = np.asarray(self.chars.idf_, dtype=np.float32)
        left = csr_matrix(per_text[:rows], dtype=np.float32)
        right = csr_matrix(per_word, dtype=np.float32)
        # The rows' norms as the vectorizer computes them: from the texts' counts.
        exact = left @ right
        exact.data = (np.log(exact.data) + 1) * idf[exact.indices]
        norm = np.sqrt(np.asarray(exact.multiply(exact).sum(axis=1), np.float64).ravel())
        scale = (1 / np.maximum(norm, 1e-12)).astype(np.float32)
        left.data = np.repeat(scale, np.diff(left.indptr))
        right.data = (np.log(right.data) + 1) * idf[right.indices]
        return left, right

    @property
    def size(self) -> int:
        return self.n_chars + self.n_words + len(self.groups.vocabulary_)

    @property
    def classifier_columns(self) -> int:
        """The columns the classifier learns from (the synonym-group block is the FAQ's)."""
        return self.n_chars + self.n_words

    def names(self) -> np.ndarray:
        """A name per column (to carry weights over to a refitted featurizer)."""
        chars = self.chars.get_feature_names_out()
        words = self.words.get_feature_names_out()
        groups = self.groups.get_feature_names_out()
        return np.concatenate([np.char.add("c:", chars.astype(str)),
                               np.char.add("w:", words.astype(str)),
                               np.char.add("g:", groups.astype(str))])  # fmt: skip

    def column_weights(self, chars: float, words: float, groups: float = 0.0) -> np.ndarray:
        """A weight per column of `transform`: one for each block."""
        out = np.full(self.size, groups, dtype=np.float32)
        out[: self.n_chars + self.n_words] = words
        out[: self.n_chars] = chars
        return out
