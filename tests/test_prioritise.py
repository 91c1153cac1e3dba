"""Screening prioritisation: metrics, ranking, blinding, the background ranker, `searchflow simulate`."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchflow.protocol import load as load_protocol
from searchflow.screening import prioritise as p
from searchflow.screening.decisions import record_decision
from searchflow.screening import order as screening_order
from searchflow.store import Store

from conftest import shared_file

# ------------------------------------------------------------------ metrics on hand-computed rankings

# 10 records, 2 relevant, at positions 1 and 4 (1-based).
ORDER = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_screened_to_recall_counts_records_until_the_share_is_found():
    assert p.screened_to_recall(ORDER, 0.5) == 1
    assert p.screened_to_recall(ORDER, 0.95) == 4     # 95% of 2 rounds up to both
    assert p.screened_to_recall(ORDER, 1.0) == 4


def test_wss_is_unscreened_share_minus_what_random_leaves():
    assert p.wss(ORDER, 0.95) == pytest.approx((10 - 4) / 10 - 0.05)
    assert p.wss([0, 0, 0, 1], 1.0) == pytest.approx(0.0)             # last place: nothing saved
    # 20 relevant among 40: 95% is 19 of them
    order = [1] * 19 + [0] * 20 + [1]
    assert p.wss(order, 0.95) == pytest.approx((40 - 19) / 40 - 0.05)


def test_recall_after_a_share_rounds_up_to_whole_records():
    assert p.recall_after(ORDER, 0.10) == 0.5          # 1 record: the first relevant
    assert p.recall_after(ORDER, 0.25) == 0.5          # 3 records (2.5 rounded up)
    assert p.recall_after(ORDER, 0.40) == 1.0
    assert p.recall_after([0, 1, 0, 0, 0, 0, 0, 0, 0, 0], 0.10) == 0.0


def test_metrics_keys_and_fractions():
    figures = p.metrics(ORDER)
    assert tuple(figures) == p.METRIC_KEYS
    assert figures["rrf10"] == figures["recall_at_10pct"] == 0.5
    assert figures["screened_to_95"] == 0.4 and figures["screened_to_100"] == 0.4
    assert all(0 <= v <= 1 for v in figures.values())


def test_metrics_need_a_relevant_record():
    with pytest.raises(ValueError):
        p.wss([0, 0, 0])


def test_progress_counts_irrelevant_in_a_row_and_estimates_the_rest():
    figures = p.progress([True, False, True] + [False] * 7, total=100, window=10)
    assert figures.irrelevant_in_a_row == 7
    assert figures.includes == 2 and figures.screened == 10
    assert figures.share_screened == pytest.approx(0.10)
    assert figures.estimated_remaining == 18          # 2 in the last 10, over 90 unscreened
    assert "7 irrelevant in a row" in figures.describe()
    assert p.progress([True] + [False] * 60, total=100, window=50).estimated_remaining == 0


# ------------------------------------------------------------------ ranking

CATS = [
    "Feline behaviour: indoor cats and scratching posts",
    "Cats at home: a randomised trial of cat litter and feline health",
    "Domestic cat nutrition and feline kidney disease",
    "Feline obesity in indoor cats: a cohort of house cats",
]
OTHERS = [
    "Bridge corrosion in coastal steel structures",
    "Steel fatigue under cyclic loading in railway bridges",
    "Concrete cracking in motorway bridges after frost",
    "Tax policy and small business investment in rural regions",
    "Wind turbine blade erosion offshore",
    "Monetary policy, inflation and interest rates",
]


def test_rank_puts_the_obvious_includes_first():
    texts = [OTHERS[0], CATS[0], OTHERS[1], OTHERS[2], CATS[1], OTHERS[3], CATS[2], OTHERS[4], CATS[3], OTHERS[5]]
    labelled = {1: True, 0: False}               # one cat paper included, one bridge paper excluded
    order = p.rank(texts, labelled)
    assert sorted(order) == [i for i in range(len(texts)) if i not in labelled]
    assert set(order[:3]) == {4, 6, 8}            # every other cat paper before anything else


def test_rank_keeps_the_given_order_until_thresholds_are_met():
    texts = CATS + OTHERS
    assert p.rank(texts, {0: True}) == list(range(1, len(texts)))          # no exclude yet
    strict = p.Settings(min_includes=2)
    assert p.rank(texts, {0: True, 5: False}, strict) == [i for i in range(len(texts)) if i not in (0, 5)]
    assert p.rank(texts, {0: True, 1: True, 5: False}, strict)[0] in (2, 3)


def test_rank_survives_texts_without_words():
    assert sorted(p.rank(["", "", "", ""], {0: True, 1: False})) == [2, 3]


def test_background_ranker_answers_at_once_and_catches_up():
    texts = (CATS + OTHERS) * 300                 # 3,000 records: a retrain takes a noticeable while
    ranker = p.BackgroundRanker(texts)
    try:
        labelled = {0: True, 4: False}
        ranker.update(labelled)
        slowest = 0.0
        for _ in range(20):                       # the screen asks while the thread trains
            start = time.perf_counter()
            screening_order.next_ranked(ranker.ranking(), range(len(texts)), labelled)
            slowest = max(slowest, time.perf_counter() - start)
        assert slowest < 0.1
        assert ranker.wait(timeout=60) and ranker.current
        assert ranker.error is None
        first = screening_order.next_ranked(ranker.ranking(), range(len(texts)), labelled)
        assert texts[first] in CATS               # the newest ranking: a cat paper next
        labelled[first] = True
        ranker.update(labelled)
        assert ranker.wait(timeout=60)
        assert screening_order.next_ranked(ranker.ranking(), range(len(texts)), labelled) not in labelled
        assert ranker.retrains == 2
    finally:
        ranker.close()


def test_background_ranker_uses_given_order_before_it_can_train():
    ranker = p.BackgroundRanker(CATS + OTHERS)
    try:
        ranker.update({0: True})
        assert ranker.wait(timeout=10)
        assert ranker.ranking() is None and screening_order.next_ranked(ranker.ranking(), range(len(CATS + OTHERS)), {0: True}) == 1
    finally:
        ranker.close()


# ------------------------------------------------------------------ blinding through the store

RIS = "".join(f"TY  - JOUR\nTI  - {title}\nAB  - {title}.\nER  - \n\n" for title in CATS + OTHERS)


@pytest.fixture
def project(tmp_path: Path):
    (tmp_path / "search.ris").write_text(RIS, encoding="utf-8")
    (tmp_path / "review.toml").write_text(
        '[review]\ntitle = "Cats"\ntype = "systematic"\n\n'
        '[screening]\nreviewers = ["ana", "ben"]\nexclusion_reasons = ["off topic"]\n\n'
        '[[search]]\nid = "db"\ndatabase = "MEDLINE"\nfiles = ["search.ris"]\n',
        encoding="utf-8")
    from searchflow.project import Project
    with Project.open(tmp_path / "review.toml") as proj:
        proj.run()
        yield proj


def _works_by_title(store: Store) -> dict[str, int]:
    return {row["title"]: row["work_id"] for row in store.record_rows()}


def test_ranked_queue_uses_only_the_reviewers_own_decisions(project):
    store, protocol = project.store, project.protocol
    works = _works_by_title(store)
    all_works = list(works.values())
    cat, bridge = works[CATS[0]], works[OTHERS[0]]
    record_decision(store, protocol, cat, "title_abstract", "ana", "include")
    record_decision(store, protocol, bridge, "title_abstract", "ana", "exclude", reason="off topic")

    ana = screening_order.queue(store, protocol, "ana", "title_abstract", all_works, screening_order.PRIORITISED)
    assert cat not in ana and bridge not in ana
    assert set(ana[:3]) == {works[t] for t in CATS[1:]}

    # ben has no decisions: his queue is the order given, whatever ana decided
    before = screening_order.queue(store, protocol, "ben", "title_abstract", all_works, screening_order.PRIORITISED)
    assert before == all_works
    # ben decides the opposite way round: his model follows him, and ana's stays as it was
    record_decision(store, protocol, bridge, "title_abstract", "ben", "include")
    record_decision(store, protocol, cat, "title_abstract", "ben", "exclude", reason="off topic")
    ben = screening_order.queue(store, protocol, "ben", "title_abstract", all_works, screening_order.PRIORITISED)
    assert set(ben[:2]) == {works[OTHERS[1]], works[OTHERS[2]]}       # the other bridge papers
    assert screening_order.queue(store, protocol, "ana", "title_abstract", all_works, screening_order.PRIORITISED) == ana


def test_protocol_thresholds_delay_prioritising(tmp_path: Path, project):
    text = project.protocol.path.read_text(encoding="utf-8")
    project.protocol.path.write_text(text.replace("[screening]\n", "[screening]\nprioritise = { min_includes = 2 }\n"),
                                     encoding="utf-8")
    protocol = load_protocol(project.protocol.path)
    store = project.store
    works = _works_by_title(store)
    all_works = list(works.values())
    record_decision(store, protocol, works[CATS[0]], "title_abstract", "ana", "include")
    record_decision(store, protocol, works[OTHERS[0]], "title_abstract", "ana", "exclude", reason="off topic")
    assert p.settings_from_protocol(protocol).min_includes == 2
    queue = screening_order.queue(store, protocol, "ana", "title_abstract", all_works, screening_order.PRIORITISED)
    assert queue == [w for w in all_works if w not in (works[CATS[0]], works[OTHERS[0]])]


# ------------------------------------------------------------------ simulate, through the real entry point

def _write_csv(path: Path, rows: list[tuple[str, str, str]], header=("title", "abstract", "included")) -> Path:
    import csv
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searchflow", *args], capture_output=True, text=True, timeout=120)


def _labelled_rows() -> list[tuple[str, str, str]]:
    rows = []
    for i in range(4):
        rows += [(CATS[i], f"{CATS[i]}; feline study {i}", "1")]
        rows += [(t, f"{t}; report {i}", "0") for t in OTHERS]
    return rows


def test_simulate_json_prints_exactly_the_issue_keys(tmp_path: Path):
    data = _write_csv(tmp_path / "cats.csv", _labelled_rows())
    result = _cli("simulate", str(data), "--json", "--seed", "3")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert list(figures) == list(p.METRIC_KEYS)
    assert all(0 <= v <= 1 for v in figures.values())
    assert figures["screened_to_100"] <= 0.25           # 3 cat papers left among 26: found at once


def test_simulate_text_report_and_other_label_column(tmp_path: Path):
    rows = [(t, a, lab) for t, a, lab in _labelled_rows()]
    data = _write_csv(tmp_path / "cats.csv", rows, header=("Title", "Abstract", "label_included"))
    result = _cli("simulate", str(data), "--label-column", "label_included")
    assert result.returncode == 0, result.stderr
    assert "WSS@95" in result.stdout and "RRF@10" in result.stdout


@pytest.mark.parametrize("header,rows,message", [
    (("title", "abstract"), [("a", "b")], "no label column 'included'"),
    (("name", "abstract", "included"), [("a", "b", "1")], "no 'title' column"),
    (("title", "abstract", "included"), [("a", "b", "1"), ("c", "d", "yes")], "line 3: label 'yes'"),
])
def test_simulate_bad_csv_is_one_line_and_exit_2(tmp_path: Path, header, rows, message):
    data = _write_csv(tmp_path / "bad.csv", rows, header=header)
    result = _cli("simulate", str(data))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_simulate_is_honest_about_what_it_knew():
    """The ranking for each record comes from labels revealed before it: a model that could see
    the hidden labels would find every include at once; the replay cannot when texts carry no signal."""
    texts = ["same words in every record"] * 40
    labels = [i % 4 == 0 for i in range(40)]
    run = p.simulate(texts, labels, seed=1)
    assert sorted(run.order + list(run.priors)) == list(range(40))
    assert run.metrics()["screened_to_100"] > 0.5       # identical texts: no better than the given order


def test_simulate_on_a_real_review():
    path = shared_file("screening", "wilson_appenzellerherzog2019.csv")
    data = p.read_labelled_csv(path)
    assert len(data.texts) == 2333 and sum(data.labels) == 23
    run = p.simulate(data.texts, data.labels, seed=0)
    figures = run.metrics()
    assert figures["wss95"] > 0.70                      # random order gives about 0
    assert figures["rrf10"] > 0.60


def test_background_ranker_close_ends_its_process():
    ranker = p.BackgroundRanker((CATS + OTHERS) * 300)
    process = ranker.process
    ranker.update({0: True, 4: False})             # close while it may still be training
    assert process.is_alive()
    ranker.close()
    assert not process.is_alive() and process.exitcode is not None    # ended and reaped: no orphan
    assert ranker.wait(timeout=1)                  # nobody waits forever on a closed ranker
