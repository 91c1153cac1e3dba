"""Screening prioritisation: put the works most likely to be included first.

Most records a search returns are irrelevant. Ranking the unscreened works by a model trained
on the decisions made so far lets reviewers meet the includes early and judge when enough is
enough (the active-learning loop ASReview made common). One job a module, each testable alone:

- ``model``: the feature extractor, balance, classifier and querier (:func:`rank` is pure:
  texts + labels in, order of the unlabelled out), and its settings from the protocol;
- ``background``: :class:`BackgroundRanker` retrains in its own process so the screening
  screen never waits;
- ``stopping``: :func:`progress`, the figures for a stopping rule (the model never stops
  screening by itself);
- ``simulation``: :func:`simulate` replays a labelled data set to measure all of the above
  (metrics, labelled CSV files, the recall plot).

The order a reviewer's list comes in, which calls the model, is :mod:`searchflow.screening.order`.
"""
from __future__ import annotations

from .background import BackgroundRanker, StoreTexts, prepare_background
from .model import (
    DEFAULT, TRAINING_VERDICTS, Settings, can_rank, features, rank, scores, settings_from_protocol,
    training_labels, work_text, work_texts,
)
from .simulation import (
    METRIC_KEYS, RECALL_SHARES, LabelledData, LabelledDataError, Simulation, metrics, plot_recall,
    random_recall_curve, read_labelled_csv, recall_after, recall_curve, require_matplotlib, screened_to_recall,
    simulate, wss,
)
from .stopping import Progress, progress

__all__ = [
    "BackgroundRanker", "DEFAULT", "LabelledData", "LabelledDataError", "METRIC_KEYS", "Progress", "RECALL_SHARES",
    "Settings", "Simulation", "StoreTexts", "TRAINING_VERDICTS", "can_rank", "features", "metrics", "plot_recall",
    "prepare_background", "progress", "random_recall_curve", "rank", "read_labelled_csv", "recall_after",
    "recall_curve", "require_matplotlib", "scores", "screened_to_recall", "settings_from_protocol", "simulate",
    "training_labels", "work_text", "work_texts", "wss",
]
