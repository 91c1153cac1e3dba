"""Measuring prioritisation: replay a labelled data set (ASReview's simulation format) and report
WSS@95, RRF@10 and recall after a share screened, with the recall curve as a plot."""
from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .model import DEFAULT, Settings, features, scores, work_text

RECALL_SHARES = (0.10, 0.25, 0.50)
METRIC_KEYS = ("wss95", "rrf10", "recall_at_10pct", "recall_at_25pct", "recall_at_50pct",
               "screened_to_95", "screened_to_100")


class LabelledDataError(ValueError):
    """A labelled file that cannot be simulated (missing column, label not 0/1); one line."""


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
        relevance = scores(matrix, np.asarray(train), truth[train].astype(np.int8), pool, settings)
        retrains += 1
        size = max(1, int(len(train) * settings.batch_share))
        batch = pool[np.argsort(-relevance, kind="stable")[:size]]
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
