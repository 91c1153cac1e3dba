"""The prioritisation model, in ASReview's parts: a feature extractor, a balance of the
training data, a classifier and a querier.

- feature extractor (:func:`features`): TF-IDF over title + abstract (word 1-2-grams plus a
  half-weight block of single words, presence rather than counts);
- balance (:func:`_balanced_weights`): sample weights that give the includes far more weight
  than their number (they are rare and each one matters);
- classifier (:func:`scores`): a linear SVM;
- querier (:func:`rank`): the unlabelled, highest score first (ASReview's "max").

Benchmarked in ``tests/benchmarks/bench_prioritise.py`` against ASReview on three real
reviews; naive Bayes and logistic regression were tried and ranked worse there. :func:`rank`
is pure: texts + labels in, order of the unlabelled out.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # the protocol and store are only needed to read settings and texts
    from ...protocol import Protocol
    from ...store import Store

TRAINING_VERDICTS = {"include": True, "maybe": True, "exclude": False}   # maybe: worth a full-text look


@dataclass(frozen=True)
class Settings:
    """Model and schedule settings; the defaults are the benchmarked ones."""

    ngram_max: int = 2            # word 1- and 2-grams ("randomised controlled", "clinical decision")
    binary: bool = True           # a word's presence, not its count: long abstracts do not dominate
    max_df: float = 0.95          # drop words in nearly every record
    word_weight: float = 0.5      # a block of single words beside the n-grams, at this weight (0: none)
    c: float = 0.11               # SVM regularisation: strong, there are few labels early on
    include_weight: float = 20.0  # includes weigh this many times all excludes together
    min_includes: int = 1         # below these, works stay in the order given
    min_excludes: int = 1
    batch_share: float = 0.02     # simulation: retrain after max(1, 2% of the labelled count) decisions


DEFAULT = Settings()


def _tfidf(texts: Sequence[str], ngram_max: int, settings: Settings):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from scipy import sparse

    vectorizer = TfidfVectorizer(ngram_range=(1, ngram_max), binary=settings.binary,
                                 sublinear_tf=not settings.binary, max_df=settings.max_df,
                                 dtype=np.float64)
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:      # no words at all (empty texts): nothing to learn from
        return sparse.csr_matrix((len(texts), 1))


def features(texts: Sequence[str], settings: Settings = DEFAULT):
    """TF-IDF matrix of the texts (rows in the same order). Fitted on every text, labelled or
    not: it uses no labels, and rare words in the unscreened pool still get a weight.

    With ``word_weight`` the n-gram block gets a second, single-word block beside it (each
    row then re-scaled to unit length): single words count a little more than in the n-gram
    block alone, without dropping the phrases. On the benchmark this lifted all three reviews."""
    from scipy import sparse
    from sklearn.preprocessing import normalize

    matrix = _tfidf(texts, settings.ngram_max, settings)
    if settings.word_weight <= 0 or settings.ngram_max == 1:
        return matrix
    words = _tfidf(texts, 1, settings)
    return normalize(sparse.hstack([settings.word_weight * words, matrix], format="csr"))


def _balanced_weights(labels: np.ndarray, settings: Settings) -> np.ndarray:
    """Balance: the includes together weigh ``include_weight`` times all the excludes; the
    weights sum to the number of labels."""
    n_include = int(labels.sum())
    n_exclude = len(labels) - n_include
    weights = np.where(labels, 1.0, n_include / (settings.include_weight * n_exclude))
    weights *= len(labels) / weights.sum()
    return weights


def scores(matrix, train: np.ndarray, labels: np.ndarray, pool: np.ndarray, settings: Settings) -> np.ndarray:
    """Classifier: relevance score of each ``pool`` row from a linear SVM trained on ``train`` rows."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    weights = _balanced_weights(labels, settings)
    model = LinearSVC(C=settings.c, random_state=0)   # deterministic: the same verdicts give the same order
    with warnings.catch_warnings():    # a not-quite-converged SVM still ranks well; say nothing
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(matrix[train], labels, sample_weight=weights)
    return model.decision_function(matrix[pool])


def can_rank(labelled: Mapping[int, bool], settings: Settings = DEFAULT) -> bool:
    """Enough includes and excludes to train on (the protocol's thresholds)."""
    includes = sum(1 for v in labelled.values() if v)
    return includes >= max(1, settings.min_includes) and len(labelled) - includes >= max(1, settings.min_excludes)


def rank(texts: Sequence[str], labelled: Mapping[int, bool], settings: Settings = DEFAULT,
         matrix=None) -> list[int]:
    """Querier: indices of the unlabelled texts, most likely relevant first.

    ``labelled`` maps a text's index to True (include) or False (exclude). Before the
    thresholds are met the unlabelled come back in their given order; ties keep it too.
    Pass ``matrix`` (from :func:`features`) to skip re-computing the features."""
    pool = np.array([i for i in range(len(texts)) if i not in labelled], dtype=np.int64)
    if not len(pool) or not can_rank(labelled, settings):
        return pool.tolist()
    if matrix is None:
        matrix = features(texts, settings)
    train = np.fromiter(labelled.keys(), dtype=np.int64, count=len(labelled))
    labels = np.fromiter((bool(v) for v in labelled.values()), dtype=bool, count=len(labelled))
    relevance = scores(matrix, train, labels.astype(np.int8), pool, settings)
    return pool[np.argsort(-relevance, kind="stable")].tolist()


def settings_from_protocol(protocol: "Protocol") -> Settings:
    """``[screening] prioritise = true`` or a table with ``min_includes`` / ``min_excludes``:
    how many of each a reviewer must have decided before their queue is prioritised."""
    from ...protocol import ProtocolError

    value = protocol.screening.extra.get("prioritise", {})
    if not isinstance(value, dict):
        return DEFAULT
    thresholds = {}
    for key in ("min_includes", "min_excludes"):
        if key in value:
            number = value[key]
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise ProtocolError(f"{protocol.path}: screening.prioritise.{key}: expected a whole number >= 1, got {number!r}")
            thresholds[key] = number
    return Settings(**thresholds)


def work_text(title: str, abstract: str) -> str:
    """What the model reads of a work."""
    return f"{title or ''} {abstract or ''}".strip()


def work_texts(store: "Store", works: Sequence[int]) -> list[str]:
    """The model's texts of these works, in their order."""
    texts = store.work_texts(works)
    return [work_text(*texts.get(w, ("", ""))) for w in works]


def training_labels(verdicts: Mapping[int, str]) -> dict[int, bool]:
    """work -> include? from a reviewer's own verdicts (work -> verdict): what the model learns from."""
    return {work: TRAINING_VERDICTS[verdict] for work, verdict in verdicts.items() if verdict in TRAINING_VERDICTS}

