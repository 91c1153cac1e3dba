"""Screening prioritisation: put the works most likely to be included first.

Most records a search returns are irrelevant. Ranking the unscreened works by a
model trained on the decisions made so far lets reviewers meet the includes early
and judge when enough is enough (the active-learning loop ASReview made common).

The model: TF-IDF over title + abstract (word 1-2-grams plus a half-weight block of
single words, presence rather than counts), a linear SVM, and sample weights that give the includes far more weight
than their number (they are rare and each one matters). Benchmarked in
``tests/benchmarks/bench_prioritise.py`` against ASReview on three real reviews;
naive Bayes and logistic regression were tried and ranked worse there.

Layers, so each can be tested alone:

- :func:`rank` is pure: texts + labels in, order of the unlabelled out.
- :class:`BackgroundRanker` retrains in its own process so the screening screen never waits.
- :func:`ranked_queue` reads one reviewer's own decisions from the store (blinding:
  nobody else's verdicts ever reach their model).
- :func:`simulate` replays a labelled data set to measure all of the above.

The model never stops screening by itself: :func:`progress` only gives reviewers the
figures (irrelevant in a row since the last include, share screened, an estimate of
the relevant records left) for a stopping rule their protocol names.
"""
from __future__ import annotations

import csv
import math
import os
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # the store and protocol are only needed by ranked_queue
    from ..protocol import Protocol
    from ..store import Store

RECALL_SHARES = (0.10, 0.25, 0.50)
METRIC_KEYS = ("wss95", "rrf10", "recall_at_10pct", "recall_at_25pct", "recall_at_50pct",
               "screened_to_95", "screened_to_100")
TRAINING_VERDICTS = {"include": True, "maybe": True, "exclude": False}   # maybe: worth a full-text look


class LabelledDataError(ValueError):
    """A labelled file that cannot be simulated (missing column, label not 0/1); one line."""


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


# ------------------------------------------------------------------ model

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


def _scores(matrix, train: np.ndarray, labels: np.ndarray, pool: np.ndarray, settings: Settings) -> np.ndarray:
    """Relevance score of each ``pool`` row from a model trained on ``train`` rows."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    n_include = int(labels.sum())
    n_exclude = len(labels) - n_include
    weights = np.where(labels, 1.0, n_include / (settings.include_weight * n_exclude))
    weights *= len(labels) / weights.sum()
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
    """Indices of the unlabelled texts, most likely relevant first.

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
    scores = _scores(matrix, train, labels.astype(np.int8), pool, settings)
    return pool[np.argsort(-scores, kind="stable")].tolist()


# ------------------------------------------------------------------ retraining in the background

@dataclass(frozen=True)
class StoreTexts:
    """The works' texts, to be read from the store by the model's own process: 100,000
    abstracts then never pass through, or stay in, the screen's process."""

    path: str
    works: tuple[int, ...]      # the model's text i is work works[i]'s title + abstract

    def __len__(self) -> int:
        return len(self.works)

    def load(self) -> list[str]:
        from ..store import Store

        store = Store.open(self.path)
        try:
            texts = store.work_texts(self.works)
        finally:
            store.close()
        return [work_text(*texts.get(w, ("", ""))) for w in self.works]


def prepare_background() -> None:
    """Start multiprocessing's resource tracker now, while ``sys.stderr`` is the real one: it is
    started on first use and handed ``sys.stderr``'s file descriptor, which a running Textual
    app has swapped for a capture without one (the start then fails)."""
    if os.name == "posix":            # elsewhere spawn needs no tracker
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()


TEXT_CHUNK = 5_000     # texts per message: pickling a chunk holds the screen's interpreter only briefly


class BackgroundRanker:
    """Retrains in a separate process whenever decisions arrive; :meth:`next_index` never waits.

    The screen calls :meth:`update` after each decision and :meth:`next_index` for the next
    record: it gets the newest finished ranking (perhaps one or two decisions old) or, until
    the first one is ready, the given order. The features and the SVM run in their own process
    (a thread would hold the interpreter lock through numpy and scipy steps and freeze the
    screen for a few hundred ms at a time, and keep a gigabyte of features in its memory).
    Two threads here only pass messages: the texts once, then the newest decisions; back
    come rankings. Call :meth:`close` when done: it ends the process.
    """

    def __init__(self, texts: Sequence[str] | StoreTexts, settings: Settings = DEFAULT):
        import multiprocessing

        self.settings = settings
        self._count = len(texts)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._done = threading.Condition(self._lock)
        self._pending: dict[int, bool] | None = None
        self._asked = 0              # version of the latest update
        self._ranked = 0             # version the current ranking was trained on
        self._ranking: list[int] | None = None
        self._closed = False
        self._stopped = False        # the process has ended (closed, or died)
        self.error: BaseException | None = None
        self.retrains = 0
        # spawn, not fork: this process has threads (the screen's, SQLite's), and a forked
        # child could inherit a lock some other thread held.
        context = multiprocessing.get_context("spawn")
        prepare_background()
        child_requests, self._requests = context.Pipe(duplex=False)      # (reading end, writing end)
        self._results, child_results = context.Pipe(duplex=False)
        self.process = context.Process(target=_serve, args=(child_requests, child_results, settings),
                                       name="searchflow-prioritise", daemon=True)
        self.process.start()
        child_requests.close()       # the child's ends are its own now: our reads see its exit as EOF
        child_results.close()
        self._sender = threading.Thread(target=self._send, args=(texts,), name="searchflow-prioritise-send",
                                        daemon=True)
        self._receiver = threading.Thread(target=self._receive, name="searchflow-prioritise-receive", daemon=True)
        self._sender.start()
        self._receiver.start()

    def update(self, labelled: Mapping[int, bool]) -> None:
        """New decisions (all of them, index -> include?); returns at once."""
        with self._lock:
            self._pending = dict(labelled)
            self._asked += 1
        self._wake.set()

    def ranking(self) -> list[int] | None:
        """The newest finished ranking (unlabelled indices, likeliest first), None before the first."""
        with self._lock:
            return self._ranking

    @property
    def current(self) -> bool:
        """The ranking reflects the latest update."""
        with self._lock:
            return self._ranked == self._asked

    def next_index(self, labelled: Mapping[int, bool]) -> int | None:
        """The record to screen next: the best-ranked one not yet labelled; None when none are left."""
        ranking = self.ranking() or ()
        for index in ranking:
            if index not in labelled:
                return index
        for index in range(self._count):   # before the first ranking, or newly added records
            if index not in labelled:
                return index
        return None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the ranking reflects the latest update (scripts and tests, not the screen)."""
        with self._done:
            return self._done.wait_for(lambda: self._ranked == self._asked or self._closed or self._stopped,
                                       timeout)

    def close(self) -> None:
        """End the model's process (at once, even mid-training: nothing in it needs saving)."""
        with self._lock:
            self._closed = True
            self._done.notify_all()
        self._wake.set()
        process = self.process
        if process.is_alive():
            process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        for thread in (self._sender, self._receiver):
            if thread is not threading.current_thread():
                thread.join(5)
        self._requests.close()
        self._results.close()

    def _send(self, texts: Sequence[str] | StoreTexts) -> None:
        try:
            if isinstance(texts, StoreTexts):
                self._requests.send(("texts", texts, True))
            else:
                texts = list(texts)
                for start in range(0, len(texts), TEXT_CHUNK):
                    self._requests.send(("texts", texts[start:start + TEXT_CHUNK], False))
                self._requests.send(("texts", [], True))
            del texts
            sent = 0
            while True:
                self._wake.wait()
                with self._lock:
                    self._wake.clear()
                    if self._closed:
                        return
                    labelled, version = self._pending, self._asked
                if version != sent:        # only the newest decisions: older ones are out of date
                    self._requests.send(("labels", version, labelled or {}))
                    sent = version
        except (OSError, ValueError):      # the process has ended: the receiver says why
            return

    def _receive(self) -> None:
        while True:
            try:
                version, order, error = self._results.recv()
            except (EOFError, OSError):
                break
            ranking = None if order is None else order.tolist()
            with self._lock:
                self._ranking = ranking
                self._ranked = version
                if ranking is not None:
                    self.retrains += 1
                if error is not None:
                    self.error = error
                self._done.notify_all()
        self.process.join(5)
        with self._lock:
            if not self._closed and self.error is None:
                self.error = RuntimeError(f"the prioritisation process stopped (exit code {self.process.exitcode})")
            self._stopped = True
            self._done.notify_all()


def _serve(requests, results, settings: Settings) -> None:
    """The model's process: collect the texts, then retrain on the newest decisions whenever
    some arrive, and send back each ranking (an int array of text indices). Ends when the
    screen's process closes its end of the pipe (or terminates it)."""
    import pickle

    if hasattr(os, "nice"):
        os.nice(5)                     # the screen comes first on a busy machine
    source: list[str] | StoreTexts = []
    complete = False
    texts: list[str] | None = None
    matrix = None
    latest: tuple[int, dict[int, bool]] | None = None
    while True:
        try:
            while True:                # everything waiting, then train once on the newest decisions
                message = requests.recv()
                if message[0] == "texts":
                    if isinstance(message[1], StoreTexts):
                        source = message[1]
                    else:
                        source.extend(message[1])
                    complete = message[2]
                elif message[0] == "labels":
                    latest = (message[1], message[2])
                if not requests.poll():
                    break
        except (EOFError, OSError):
            return
        if not complete or latest is None:
            continue
        (version, labelled), latest = latest, None
        order, error = None, None
        try:
            if can_rank(labelled, settings):
                if texts is None:
                    texts = source.load() if isinstance(source, StoreTexts) else source
                if matrix is None:
                    matrix = features(texts, settings)
                order = np.asarray(rank(texts, labelled, settings, matrix=matrix), dtype=np.int64)
        except Exception as exc:       # keep the given order rather than stop the screen
            try:
                pickle.dumps(exc)
                error = exc
            except Exception:
                error = RuntimeError(f"{type(exc).__name__}: {exc}")
        try:
            results.send((version, order, error))
        except (OSError, ValueError):
            return


# ------------------------------------------------------------------ the store

def settings_from_protocol(protocol: "Protocol") -> Settings:
    """``[screening] prioritise = true`` or a table with ``min_includes`` / ``min_excludes``:
    how many of each a reviewer must have decided before their queue is prioritised."""
    from ..protocol import ProtocolError

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


def reviewer_labels(store: "Store", reviewer: str, stage: str) -> dict[int, bool]:
    """work id -> include? from this reviewer's own standing verdicts only (blinding)."""
    from .decisions import reviewer_verdicts

    return {work: TRAINING_VERDICTS[d.verdict] for work, d in reviewer_verdicts(store, reviewer, stage).items()
            if d.verdict in TRAINING_VERDICTS}


def work_text(title: str, abstract: str) -> str:
    return f"{title or ''} {abstract or ''}".strip()


def ranked_queue(store: "Store", protocol: "Protocol", reviewer: str, stage: str,
                 work_ids: Sequence[int], settings: Settings | None = None) -> list[int]:
    """The works of ``work_ids`` this reviewer has not decided, likeliest includes first,
    from a model trained on this reviewer's own decisions only. Before the protocol's
    thresholds are met, the order given."""
    settings = settings or settings_from_protocol(protocol)
    labels = reviewer_labels(store, reviewer, stage)
    pending = [w for w in work_ids if w not in labels]
    if not pending or not can_rank(labels, settings):
        return pending
    universe = pending + list(labels)
    texts = store.work_texts(universe)
    position = {work: i for i, work in enumerate(universe)}
    order = rank([work_text(*texts.get(w, ("", ""))) for w in universe],
                 {position[w]: v for w, v in labels.items()}, settings)
    return [universe[i] for i in order]


# ------------------------------------------------------------------ progress and stopping figures

@dataclass(frozen=True)
class Progress:
    """Figures for a reviewer's stopping decision; the tool itself never stops."""

    screened: int
    total: int
    includes: int
    irrelevant_in_a_row: int          # excludes since the last include (all, if none yet)
    estimated_remaining: int          # relevant records estimated among the unscreened

    @property
    def share_screened(self) -> float:
        return self.screened / self.total if self.total else 1.0

    def describe(self) -> str:
        return (f"{self.includes} relevant · {self.irrelevant_in_a_row} irrelevant in a row · "
                f"{100 * self.share_screened:.0f}% screened · ~{self.estimated_remaining} relevant left (estimate)")


def progress(verdicts_in_order: Sequence[bool], total: int, window: int = 50) -> Progress:
    """Stopping figures from one reviewer's decisions in the order made (True = include).

    The estimate carries the include rate of the last ``window`` decisions over the
    unscreened records: while the ranking still turns up includes it is high (prioritised
    order puts the likeliest first, so it over-estimates), after a clean run it is zero.
    A guide for the reviewers' own rule, not a rule."""
    verdicts = [bool(v) for v in verdicts_in_order]
    in_a_row = 0
    for verdict in reversed(verdicts):
        if verdict:
            break
        in_a_row += 1
    recent = verdicts[-window:]
    rate = sum(recent) / len(recent) if recent else 0.0
    left = max(0, total - len(verdicts))
    return Progress(screened=len(verdicts), total=total, includes=sum(verdicts),
                    irrelevant_in_a_row=in_a_row, estimated_remaining=round(rate * left))


# ------------------------------------------------------------------ metrics

def _found(labels_in_order: Sequence[bool]) -> tuple[np.ndarray, int]:
    labels = np.asarray(labels_in_order, dtype=bool)
    relevant = int(labels.sum())
    if relevant == 0:
        raise ValueError("no relevant records in the ranking: recall is undefined")
    return np.cumsum(labels), relevant


def screened_to_recall(labels_in_order: Sequence[bool], recall: float) -> int:
    """How many records are screened, in this order, before ``recall`` of the relevant are found."""
    found, relevant = _found(labels_in_order)
    needed = math.ceil(recall * relevant - 1e-9)
    return int(np.searchsorted(found, needed)) + 1


def wss(labels_in_order: Sequence[bool], recall: float = 0.95) -> float:
    """Work saved over sampling at ``recall``: share of records left unscreened when it is
    reached, minus the share random order would leave (1 - recall). Cohen et al. 2006."""
    n = len(labels_in_order)
    return (n - screened_to_recall(labels_in_order, recall)) / n - (1 - recall)


def recall_after(labels_in_order: Sequence[bool], share: float) -> float:
    """Recall after screening ``share`` of the records (rounded up to whole records).
    At 10% this is ASReview's RRF@10 (relevant references found)."""
    found, relevant = _found(labels_in_order)
    k = math.ceil(share * len(found) - 1e-9)
    return float(found[k - 1]) / relevant if k else 0.0


def metrics(labels_in_order: Sequence[bool]) -> dict[str, float]:
    """The simulation figures, every one a fraction in 0..1 (keys: :data:`METRIC_KEYS`)."""
    n = len(labels_in_order)
    return {
        "wss95": wss(labels_in_order, 0.95),
        "rrf10": recall_after(labels_in_order, 0.10),
        "recall_at_10pct": recall_after(labels_in_order, 0.10),
        "recall_at_25pct": recall_after(labels_in_order, 0.25),
        "recall_at_50pct": recall_after(labels_in_order, 0.50),
        "screened_to_95": screened_to_recall(labels_in_order, 0.95) / n,
        "screened_to_100": screened_to_recall(labels_in_order, 1.0) / n,
    }


# ------------------------------------------------------------------ simulation

@dataclass
class Simulation:
    """One replay: the two starting records, then every other record in the order screened.
    Like ASReview's figures, the metrics leave the two starting records out."""

    priors: tuple[int, int]                     # (include, exclude) record indices
    order: list[int]
    labels_in_order: np.ndarray
    retrains: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        return metrics(self.labels_in_order)


def simulate(texts: Sequence[str], labels: Sequence[bool], seed: int = 0,
             settings: Settings = DEFAULT, matrix=None) -> Simulation:
    """Replay screening with known labels: start from one random include and one random
    exclude, then repeatedly screen the top of a ranking trained only on labels revealed
    so far, retraining after every decision (every ``batch_share`` of the labelled count
    once that exceeds one). It retrains to the last record, even after the last include:
    stopping early would need the hidden labels, and costs only a few seconds a run."""
    start = time.perf_counter()
    truth = np.asarray(labels, dtype=bool)
    if len(truth) != len(texts):
        raise ValueError("texts and labels differ in length")
    includes, excludes = np.flatnonzero(truth), np.flatnonzero(~truth)
    if len(includes) < 2 or len(excludes) < 1:
        raise LabelledDataError(f"a simulation needs at least 2 includes and 1 exclude "
                                f"(got {len(includes)} and {len(excludes)})")
    rng = np.random.default_rng(seed)
    priors = (int(rng.choice(includes)), int(rng.choice(excludes)))
    if matrix is None:
        matrix = features(texts, settings)
    in_pool = np.ones(len(truth), dtype=bool)
    in_pool[list(priors)] = False
    train = list(priors)
    order: list[int] = []
    retrains = 0
    while in_pool.any():    # to the last record: the replay never consults a label it has not revealed
        pool = np.flatnonzero(in_pool)
        scores = _scores(matrix, np.asarray(train), truth[train].astype(np.int8), pool, settings)
        retrains += 1
        size = max(1, int(len(train) * settings.batch_share))
        batch = pool[np.argsort(-scores, kind="stable")[:size]]
        for index in batch.tolist():        # reveal the labels one by one, as a reviewer would
            order.append(index)
            train.append(index)
            in_pool[index] = False
    return Simulation(priors=priors, order=order, labels_in_order=truth[order], retrains=retrains,
                      seconds=time.perf_counter() - start)


def random_recall_curve(labels_in_order: Sequence[bool]) -> np.ndarray:
    """Expected recall after each record in random order (a straight line), for the plot."""
    n = len(labels_in_order)
    return np.arange(1, n + 1) / n


def recall_curve(labels_in_order: Sequence[bool]) -> np.ndarray:
    found, relevant = _found(labels_in_order)
    return found / relevant


# ------------------------------------------------------------------ labelled files

@dataclass
class LabelledData:
    texts: list[str]
    labels: list[bool]
    path: Path


def _column(header: list[str], wanted: str) -> str | None:
    for name in header:
        if name == wanted:
            return name
    for name in header:
        if name.strip().casefold() == wanted.casefold():
            return name
    return None


def read_labelled_csv(path: str | Path, label_column: str = "included") -> LabelledData:
    """Title, abstract and a 0/1 label per row of a CSV (ASReview's simulation format)."""
    path = Path(path)
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise LabelledDataError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            label_key = _column(header, label_column)
            title_key = _column(header, "title")
            abstract_key = _column(header, "abstract")
            if not header:
                raise LabelledDataError(f"{path}: empty file, expected a CSV header with title and {label_column}")
            if label_key is None:
                raise LabelledDataError(f"{path}: no label column {label_column!r} (columns: {', '.join(header)})")
            if title_key is None:
                raise LabelledDataError(f"{path}: no 'title' column (columns: {', '.join(header)})")
            texts, labels = [], []
            for row in reader:
                value = (row.get(label_key) or "").strip()
                if value not in ("0", "1"):
                    raise LabelledDataError(f"{path}: line {reader.line_num}: label {value!r} in column "
                                            f"{label_key!r} is not 0 or 1")
                labels.append(value == "1")
                texts.append(work_text(row.get(title_key) or "", row.get(abstract_key) or "" if abstract_key else ""))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise LabelledDataError(f"{path}: not a readable UTF-8 CSV ({exc})") from None
    return LabelledData(texts=texts, labels=labels, path=path)


def require_matplotlib() -> None:
    """Fail before a long simulation, not after it, when the plot cannot be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise LabelledDataError("--plot needs matplotlib: pip install 'searchflow[plot]'") from None


def plot_recall(simulation: Simulation, out: str | Path, title: str = "") -> None:
    """Recall curve of the simulation against random order (needs the ``plot`` extra)."""
    require_matplotlib()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    curve = recall_curve(simulation.labels_in_order)
    x = np.arange(1, len(curve) + 1) / len(curve)
    figure, axes = plt.subplots(figsize=(6, 4.5))
    axes.plot(100 * x, 100 * curve, label="prioritised")
    axes.plot(100 * x, 100 * random_recall_curve(simulation.labels_in_order), linestyle="--", label="random order")
    axes.axhline(95, color="grey", linewidth=0.5)
    axes.set_xlabel("records screened (%)")
    axes.set_ylabel("relevant records found (%)")
    axes.set_title(title or "Screening prioritisation")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
