"""Figures (sim/outputs/figures.py), the report (sim/outputs/report.py) and one child's journey
(sim/outputs/journey.py)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.api import open_results
from sim.cli.main import main
from sim.outputs import experiment_figures, report
from sim.outputs import figures as plots
from sim.outputs import html as report_html

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the small scenario through the command line, which writes the report and journey log at the end."""
    out = tmp_path_factory.mktemp("report") / "run"
    assert main(["run", str(SMALL), "--replications", "2", "--out", str(out), "--workers", "1"]) == 0
    return out


@pytest.fixture(scope="module")
def html(run_dir: Path) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------- plots
def _labelled(fig: Figure) -> None:
    ax = fig.axes[0]
    assert (ax.get_title() or fig._suptitle.get_text()) and ax.get_xlabel() and ax.get_ylabel()


def test_every_plot_is_a_labelled_figure_saved_as_png_and_svg(run_dir: Path, tmp_path: Path) -> None:
    results = open_results(run_dir)
    made = {
        "ecdf": results.plot_disposal_ecdf(),
        "ecdf_da": results.plot_disposal_ecdf("domestic_abuse"),
        "violin": results.plot_disposal_violin("domestic_abuse"),
        "open": results.plot_open_caseload(),
        "queue": results.plot_cafcass_queue(),
        "utilisation": results.plot_utilisation(),
        "attribution": results.plot_delay_attribution(),
        "child_days": results.plot_child_days(),
        "compare": plots.disposal_ecdf({"a": results.children, "b": results.children.iloc[::2]}),
        "forest": experiment_figures.forest(
            pd.DataFrame(
                {
                    "indicator": ["time_to_disposal_weeks_mean", "disposed_within_26_weeks_share"],
                    "difference": [-1.5, 0.04],
                    "ci95_low": [-2.5, 0.01],
                    "ci95_high": [-0.5, 0.07],
                }
            )
        ),
    }
    for name, fig in made.items():
        assert isinstance(fig, Figure), name
        _labelled(fig)
        png, svg = plots.save(fig, tmp_path, name)
        plots.close(fig)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in svg.read_text(encoding="utf-8")[:2000]
    ecdf_lines = [line.get_label() for line in made["ecdf"].axes[0].get_lines()]
    assert "26 weeks" in ecdf_lines and any(label.startswith("public law") for label in ecdf_lines)
    assert any("domestic abuse alleged" in line.get_label() for line in made["ecdf_da"].axes[0].get_lines())
    assert "26 weeks" in [line.get_label() for line in made["violin"].axes[0].get_lines()]
    # one function for one run and for runs compared: then a panel per group, a line per run
    compared = made["compare"].axes
    assert {"public law", "private law"} <= {ax.get_title() for ax in compared}
    assert [line.get_label() for line in compared[0].get_lines()] == ["a", "b", "26 weeks"]


def test_forest_plot_takes_options_and_groups() -> None:
    table = pd.DataFrame(
        {
            "option": ["more_judges", "more_judges", "more_cafcass", "more_cafcass"],
            "indicator": ["time_to_disposal_weeks_mean"] * 4,
            "group": ["public_law", "private_law"] * 2,
            "difference": [-1.0, -2.0, 0.5, -0.2],
            "ci95_low": [-1.5, -3.0, -0.1, -0.6],
            "ci95_high": [-0.5, -1.0, 1.1, 0.2],
        }
    )
    fig = experiment_figures.forest(table)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["time to disposal weeks mean (public law)", "time to disposal weeks mean (private law)"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["more_judges", "more_cafcass"]
    plots.close(fig)


def test_comparison_figures_are_written_from_the_comparisons_tables(run_dir: Path, tmp_path: Path) -> None:
    children = open_results(run_dir).children
    table = pd.DataFrame(
        {
            "option": "half",
            "indicator": "time_to_disposal_weeks_mean",
            "breakdown": ["all", "case_type"],
            "group": ["all", "public_law"],
            "difference_mean": [-1.0, -2.0],
            "difference_ci95_low": [-1.5, -3.0],
            "difference_ci95_high": [-0.5, -1.0],
        }
    )
    paths = experiment_figures.write_comparison_figures(tmp_path, table, {"base": children, "half": children.iloc[::2]})
    assert [p.name for p in paths] == ["delay_distributions.png", "differences_forest.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


# ---------------------------------------------------------------------------------------------- the report
def test_run_writes_the_report_and_journey_log(run_dir: Path) -> None:
    assert (run_dir / "report.html").stat().st_size > 100_000
    assert (run_dir / "journey_rep-0000.ocel.json").exists()


def test_the_report_refers_to_nothing_outside_itself(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html
    sources = re.findall(r"""\bsrc\s*=\s*['"]([^'"]*)['"]""", html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    links = re.findall(r"""\bhref\s*=\s*['"]([^'"]*)['"]""", html)
    assert links and all(link.startswith("#") for link in links)  # the contents, inside the file
    assert all(f"id='{link[1:]}'" in html for link in links)


def test_every_figure_is_embedded(html: str) -> None:
    images = re.findall(r"<img[^>]*src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(images) >= 9
    assert len(images) == html.count("<img") == html.count("<figure>")
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_report_shows_what_was_run_and_the_key_figures(run_dir: Path, html: str) -> None:
    results = open_results(run_dir)
    manifest = results.manifest
    summary = results.summary.set_index(["indicator", "breakdown", "group"])
    mean = summary.loc[("time_to_disposal_weeks_mean", "all", "all")]
    assert f"<td class='num'>{mean['mean']:.1f}</td>" in html
    assert f"{mean['ci95_low']:.1f} to {mean['ci95_high']:.1f}" in html
    share = summary.loc[("disposed_within_26_weeks_share", "case_type", "public_law"), "mean"]
    assert f"{share:.1%}" in html
    assert "Family justice simulation: small" in html
    assert manifest["scenario"]["resolved"]["description"] in html
    assert "tests/scenarios/small.yaml" in html
    assert str(manifest["random"]["root_seed"]) in html
    assert manifest["scenario"]["resolved_sha256"] in html
    assert str(manifest["code"]["commit"]) in html
    assert manifest["packages"]["simpy"] in html
    # child-centred indicators, attribution, assumptions, starting state and STRESS-DES
    for text in (
        "Children at the centre",
        "share of life in proceedings mean",
        "Where the time went",
        "notice (court)",  # the court's wait, split into the notice the rules set ...
        "waiting for a listing (court)",  # ... and waiting for a listing because the lists are full
        "Starting state",
        "started empty",
        "Differences from the baseline",
        "<code>run_years</code>",
        "<code>regions.wales.cafcass.short_term_advisers</code>",
        "Assumptions log",
        "Judicial time is pooled",
        "STRESS-DES",
        "Run length",
        "Initialisation",
        "Random sampling",
        "System specification",
        "run time",
    ):
        assert text in html, text


def test_the_report_command(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run_dir / "report.html").unlink()
    assert main(["report", str(run_dir)]) == 0
    assert (run_dir / "report.html").exists()
    assert "report in" in capsys.readouterr().out
    assert main(["report", str(tmp_path)]) == 2
    assert "not a results directory" in capsys.readouterr().err


def test_baseline_differences_and_quoted_markdown() -> None:
    from sim.experiment.manifest import resolved_scenario
    from sim.scenario.loading import load_scenario

    assert report.differences_from_baseline(resolved_scenario(load_scenario(report.BASELINE))) == []
    text = report_html.markdown_to_html(
        "# Title\n\nSome `code` and **bold**, see [x](y.md).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<code>code</code>" in text and "<strong>bold</strong>" in text and "<td>2</td>" in text
    assert "href" not in text
    assert report_html.escape("see https://example.org") == "see https:&#47;&#47;example.org"
    quoted = report_html.markdown_to_html(
        "# Heading\n\n![a picture](https://example.org/a.png) <b>raw</b> https://x.org\n"
    )
    assert "<h3>Heading</h3>" in quoted  # under the report's own headings
    assert "<img" not in quoted and "<b>" not in quoted and "://" not in quoted
    template = report_html.environment().from_string("{{ value }} {{ quoted }}")
    printed = template.render(value="<script>https://example.org</script>", quoted=quoted)
    assert printed.startswith("&lt;script&gt;https:&#47;&#47;example.org&lt;/script&gt; <h3>")


# ---------------------------------------------------------------------------------------------- journey
def test_journey_tells_a_returning_childs_story(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    children = open_results(run_dir).children
    first = children[children["replication"] == 0]
    new_here = first.loc[(first["case_number"] == 1) & ~first["is_return"], "child_id"]  # a first case in the run
    returning = first[first["is_return"] & (first["case_number"] > 1) & first["child_id"].isin(new_here)]
    child_id = int(returning["child_id"].iloc[0])
    cases = first[first["child_id"] == child_id].sort_values("case_number")
    assert main(["journey", str(run_dir), str(child_id)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Child {child_id} (replication 0)")
    assert f"Case {cases['case_id'].iloc[0]} (" in text
    assert f"Returned to court: case {cases['case_id'].iloc[1]} (" in text
    assert re.search(r"^\d{4}-\d{2}-\d{2} → \d{4}-\d{2}-\d{2}  ", text, re.MULTILINE)
    assert "waited" in text and "Where the days went" in text
    start = pd.Timestamp(cases["start_date"].iloc[0]).strftime("%Y-%m-%d")
    assert f"\n{start}  Case " in text


def test_journey_errors(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journey", str(run_dir), "99999999"]) == 2
    err = capsys.readouterr().err
    assert "no child 99999999" in err and "Traceback" not in err
    assert main(["journey", str(tmp_path), "1"]) == 2
    assert "not a results directory" in capsys.readouterr().err
    assert main(["journey", str(tmp_path / "nowhere"), "1"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_journey_says_when_a_childs_warm_up_cases_were_counted_not_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a warm-up whose finished cases were only counted, a child who came back to court is shown from the
    case that was stored, with a word on the earlier ones; a child never stored is explained, not just missing."""
    scenario = tmp_path / "warm.yaml"
    scenario.write_text(f"extends: {SMALL}\nname: warm\nstarting_state: {{warm_up_days: 365}}\n", encoding="utf-8")
    out = tmp_path / "run"
    args = ["--replications", "1", "--workers", "1", "--no-report", "--allow-root", str(SMALL.parent)]
    assert main(["run", str(scenario), *args, "--out", str(out)]) == 0
    children = open_results(out).children
    firsts = children.groupby("child_id")["case_number"].min()
    came_back = int(firsts[firsts > 1].index[0])  # its first cases ended in the warm-up
    capsys.readouterr()
    assert main(["journey", str(out), str(came_back)]) == 0
    assert "began and ended in the warm-up, which the run counted and did not store" in capsys.readouterr().out
    never_stored = int(sorted(set(range(int(children["child_id"].max()))) - set(children["child_id"]))[0])
    assert main(["journey", str(out), str(never_stored)]) == 2
    err = capsys.readouterr().err
    assert f"no child {never_stored}" in err and "keep_warm_up_rows" in err


# ---------------------------------------------------------------------------------------------- what the report holds
def test_the_report_opens_with_a_summary_in_sentences_and_a_table_of_contents(run_dir: Path, html: str) -> None:
    contents = html.split("<nav class='toc'>", 1)[1].split("</nav>", 1)[0]
    titles = re.findall(r"<a href='#[^']+'>([^<]+)</a>", contents)
    assert titles == [report_html.escape(t) for t in report.SECTIONS.values()]
    summary = open_results(run_dir).summary.set_index(["indicator", "breakdown", "group"])
    public = summary.loc[("time_to_disposal_weeks_mean", "case_type", "public_law")]
    sentence = f"Public law cases took {public['mean']:.1f} weeks on average from issue to disposal"
    assert sentence in html.split("id='summary'", 1)[1].split("id='what-was-run'", 1)[0]
    assert "intervals are rough" in html  # two replications
    for text in ("By region", "By age band", "Domestic abuse is read within a case type", "Backlog"):
        assert text.lower() in html.lower(), text
    assert "Where the time went" in html and "<h3>By domestic abuse</h3>" in html and "<h3>By region</h3>" in html


def test_the_report_shows_whatever_breakdowns_definitions_and_drift_the_run_wrote(
    run_dir: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    summary = pd.read_csv(copy / "summary.csv")
    summary["definition"] = ""
    summary.loc[summary["indicator"] == "time_to_disposal_weeks_mean", "definition"] = (
        "cases that started in the period"
    )
    assert "case_type/domestic_abuse" in set(summary["breakdown"])  # the run writes the crossed breakdowns
    summary.to_csv(copy / "summary.csv", index=False)
    pd.DataFrame(
        {
            "indicator": ["public_law_outstanding_nao", "private_law_mean_weeks"],
            "change": [812.0, 0.1],
            "drifts": [True, False],
        }
    ).to_csv(copy / "drift.csv", index=False)
    text = report.render_report(copy)
    assert "(cases that started in the period)." in text  # the definition beside the headline sentence
    assert "By case type / domestic abuse" in text and "private law / yes" in text
    assert "within a case type (the case type / domestic abuse breakdown below)" in text
    assert "public law outstanding nao drifts over the run" in text
    assert "1 headline series drift over the run" in text and "longer" in text and "812.00" in text


def test_distributions_are_drawn_on_an_axis_scaled_to_the_data() -> None:
    weeks = [10.0] * 500 + [20.0] * 500 + [400.0] * 3  # three children take eight years
    children = pd.DataFrame(
        {
            "case_type": "public_law",
            "status": "disposed",
            "warm_up": False,
            "from_open_caseload": False,
            "days_to_disposal": [w * 7 for w in weeks],
        }
    )
    violin = plots.disposal_violin(children)
    top = violin.axes[0].get_ylim()[1]
    assert 26 < top < 100  # not squashed under the eight-year waits
    assert "3 above" in [t.get_text() for t in violin.axes[0].texts]
    ecdf = plots.disposal_ecdf(children)
    assert ecdf.axes[0].get_xlim()[1] == pytest.approx(top)
    plots.close(violin)
    plots.close(ecdf)


def test_the_tornado_marks_low_and_high_with_their_intervals() -> None:
    from sim.experiment.sweep import design

    factors = {"a": [20, 10], "b": [0.3, 0.05]}
    settings = design(factors, one_at_a_time=True)  # as is, a=20, a=10, b=0.3, b=0.05
    summary = pd.DataFrame(
        {
            "setting": range(5),
            "indicator": "time_to_disposal_weeks_mean",
            "breakdown": "all",
            "group": "all",
            "mean": [10.0, 12.0, 9.0, 14.0, 10.5],
            "ci95_low": [9.0, 11.0, 8.0, 13.0, 9.5],
            "ci95_high": [11.0, 13.0, 10.0, 15.0, 11.5],
        }
    )
    reference, ends = experiment_figures.tornado_ends(summary, factors, settings, one_at_a_time=True)
    assert reference == ("as in the scenario", 10.0, 9.0, 11.0)
    assert ends["a"] == {"low": (10, 9.0, 8.0, 10.0), "high": (20, 12.0, 11.0, 13.0)}
    assert ends["b"] == {"low": (0.05, 10.5, 9.5, 11.5), "high": (0.3, 14.0, 13.0, 15.0)}
    fig = experiment_figures.tornado(reference, ends)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]  # widest (b) at the top
    assert {"low: 10", "high: 20", "low: 0.05", "high: 0.3"} <= {t.get_text() for t in ax.texts}
    assert len([c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]) == 4
    plots.close(fig)


def test_forest_of_every_headline_indicator_and_backlog_by_region(run_dir: Path) -> None:
    from sim.outputs import breakdown_figures

    results = open_results(run_dir)
    wanted = ["time_to_disposal_weeks_mean", "disposed_within_26_weeks_share", "open_cases_at_end_count"]
    forest = breakdown_figures.panel_forest(
        results.summary[results.summary.breakdown.isin(["all", "case_type"])], wanted, "t"
    )
    shown = [ax for ax in forest.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == [plots.label(i) for i in wanted]
    assert shown[1].get_xlabel() == "percent"
    backlog = breakdown_figures.backlog_by_region(results.timeline)
    assert [ax.get_title() for ax in backlog.axes if ax.get_visible()] == ["north east", "wales"]
    plots.close(forest)
    plots.close(backlog)


def test_the_initialisation_item_says_when_the_warm_ups_finished_cases_were_only_counted(tmp_path: Path) -> None:
    from sim.outputs.stress_des import stress_des_rows

    def initialisation(**start: object) -> str:
        manifest = {"starting_state": {"starting_state_kind": "warm_up", "warm_up_days": 1826, **start}}
        (row,) = [r for r in stress_des_rows(manifest, tmp_path) if r[1] == "Initialisation"]
        return row[2]

    assert initialisation(keep_warm_up_rows=False).startswith("warm-up from empty for 1,826 days; cases that began")
    assert "stats.json" in initialisation(keep_warm_up_rows=False)
    assert initialisation(keep_warm_up_rows=True) == "warm-up from empty for 1,826 days"
    assert initialisation() == "warm-up from empty for 1,826 days"  # a folder written before the rows were counted
