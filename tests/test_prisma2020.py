"""Our prisma.csv against the PRISMA2020 R package (the Shiny app calls the same PRISMA_data()):
its template row by row, and its own reader run on our file with Rscript. Both read the
package's files from ../shared/data/prisma2020 at test time and skip when they are absent."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest

from conftest import shared_file
from flow_project import Project, scenario, screen
from searchflow.flow.counts import compute
from searchflow.flow.render import EMPTY_LISTS, prisma_csv, prisma_values

# PRISMA_data() turns every number into text with scales::comma; the lists into data frames.
LISTS = ("database_specific_results", "register_specific_results", "dbr_excluded", "other_excluded")
READ_BACK = r"""
args <- commandArgs(trailingOnly = TRUE)
for (f in list.files(args[1], pattern = "[.]R$", full.names = TRUE)) source(f)
options(warn = 2)     # a row PRISMA_data() does not find is a warning: make it fail
x <- PRISMA_data(read.csv(args[2]))
for (name in names(x)) {
  value <- x[[name]]
  if (is.data.frame(value)) value <- paste(value$reason, value$n, sep = ", ", collapse = "; ")
  if (is.character(value) && length(value) == 1) cat(name, "\t", value, "\n", sep = "")
}
"""


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _node(value: str) -> str:
    """The template leaves one node blank (organisation_results) and writes NA elsewhere."""
    return value or "NA"


@pytest.fixture
def screened(tmp_path):
    p = scenario(tmp_path)
    screen(p)
    return p


@pytest.fixture
def unscreened_without_registers(tmp_path):
    return Project(tmp_path, [("embase", "Embase", "database", ["E0", "E1", "E2"], 1)])


def test_same_rows_order_and_node_ids_as_the_template(screened):
    template = _rows(shared_file("prisma2020", "PRISMA.csv").read_text(encoding="utf-8"))
    ours = _rows(prisma_csv(compute(screened.store, screened.protocol)))
    assert list(ours[0]) == list(template[0])                     # the same columns
    assert [(r["data"], _node(r["node"]), r["box"]) for r in ours] == \
        [(r["data"], _node(r["node"]), r["box"]) for r in template]


def test_no_registers_keeps_the_template_placeholder(unscreened_without_registers):
    p = unscreened_without_registers
    values = {r["data"]: r["n"] for r in _rows(prisma_csv(compute(p.store, p.protocol)))}
    assert values["register_specific_results"] == "Register 1, xxx; Register 2, xxx; Register 3, xxx"
    assert values["register_results"] == "0"
    assert values["database_specific_results"] == "Embase, 3"
    assert values["total_studies_ma"] == "0" and values["total_reports_ma"] == "0"


def read_with_prisma2020(csv_path) -> dict[str, str]:
    """Run the package's PRISMA_data() on a CSV; its values by name."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript not found: R is needed to run the PRISMA2020 package's reader "
                    "(Debian: apt-get install -y r-base-core r-cran-scales)")
    r_folder = shared_file("prisma2020", "R", "PRISMA_data.R").parent
    result = subprocess.run([rscript, "--vanilla", "-e", READ_BACK, str(r_folder), str(csv_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return dict(line.split("\t", 1) for line in result.stdout.splitlines() if "\t" in line)


@pytest.mark.parametrize("project", ["screened", "unscreened_without_registers"])
def test_the_prisma2020_reader_accepts_our_csv_and_gets_our_counts(project, request, tmp_path):
    p = request.getfixturevalue(project)
    counts = compute(p.store, p.protocol).prisma
    path = tmp_path / "prisma.csv"
    path.write_text(prisma_csv(compute(p.store, p.protocol)), encoding="utf-8")
    read = read_with_prisma2020(path)
    ours = prisma_values(counts)
    for name, value in ours.items():
        if name in LISTS:
            if value in EMPTY_LISTS.values():       # read as the package reads its own template
                assert read[name] == "; ".join(f"{part.split(',')[0]}, NA" for part in value.split("; "))
            else:
                assert read[name] == (value or ", NA"), name     # no reasons: one empty row
        else:
            assert read[name].replace(",", "") == value, name
    assert read["total_studies_ma"] == "0" and read["total_studies_ma_text"] == "Total studies included in meta-analysis"
    assert read["records_screened"] == str(counts.screened)
