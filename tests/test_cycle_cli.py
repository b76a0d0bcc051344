"""The survey year's dates from a file, copied, shown; contradictions refused."""

from __future__ import annotations

from datetime import date

from bot.rules.cycle import (
    contradictions,
    current_year,
    default_cycle,
    shifted_one_year,
    working_year,
)
from storage.models import SurveyCycle
from tests.harness import rows, write
from tests.test_cli import ORG

TOML = """
[[cycle]]
trust_code = "HB"
year = 2027
survey_opens = 2027-02-03
survey_closes = 2027-03-03
results_available = 2027-04-20
feedback_meeting_due = 2027-05-20
plan_deadline = 2027-06-18
status_1 = 2027-09-15
status_2 = 2027-12-01
status_3 = 2028-01-15
evaluation_deadline = 2028-01-31
"""

CSV = ("trust_code;year;survey_opens;survey_closes;results_available;feedback_meeting_due;plan_deadline;"
       "status_1;status_2;status_3;evaluation_deadline\n"
       "OUS;2027;2027-02-01;2027-03-01;2027-04-15;2027-05-15;2027-06-15;2027-09-15;2027-12-01;2028-01-15;2028-01-31\n")


def test_set_from_toml_and_csv_then_show_and_copy(cli, db_url, tmp_path):
    cli("org", "import", write(tmp_path, "org.csv", ORG))
    code, out, err = cli("cycle", "set", write(tmp_path, "cycle.toml", TOML))
    assert code == 0, err
    assert "1 trust-year(s) read, 1 changed" in out
    assert cli("cycle", "set", write(tmp_path, "cycle.toml", TOML))[1].strip() == "1 trust-year(s) read, 0 changed"
    assert cli("cycle", "set", write(tmp_path, "cycle.csv", CSV))[0] == 0
    code, out, _ = cli("cycle", "show", "--trust", "HB", "--year", "2027")
    assert "HB 2027 (set by the trust)" in out and "plan_deadline          2027-06-18" in out
    code, out, _ = cli("cycle", "show", "--trust", "HB", "--year", "2030")
    assert "(defaults)" in out and "plan_deadline          2030-06-15" in out
    code, out, _ = cli("cycle", "copy", "--from-year", "2027")
    assert code == 0 and "copied 2 trust(s) from 2027 to 2028" in out
    code, out, _ = cli("cycle", "show", "--trust", "HB", "--year", "2028")
    assert "plan_deadline          2028-06-18" in out and "(set by the trust)" in out
    assert len(rows(db_url, SurveyCycle)) == 4


def test_contradicting_dates_are_refused_with_the_reason(cli, db_url, tmp_path):
    cli("org", "import", write(tmp_path, "org.csv", ORG))
    bad = TOML.replace("plan_deadline = 2027-06-18", "plan_deadline = 2027-04-01")
    code, _, err = cli("cycle", "set", write(tmp_path, "bad.toml", bad))
    assert code == 1
    assert "[[cycle]] 1: plan_deadline (2027-04-01) must be after feedback_meeting_due (2027-05-20)" in err
    code, _, err = cli("cycle", "set", write(tmp_path, "bad.csv", CSV.replace("OUS", "NOPE").replace("2027-04-15", "x")))
    assert code == 1 and "line 2: results_available must be a date like 2027-03-15" in err
    code, _, err = cli("cycle", "set", write(tmp_path, "bad2.csv", CSV.replace("OUS", "NOPE")))
    assert code == 1 and "line 2: no health trust with code 'NOPE'" in err
    assert rows(db_url, SurveyCycle) == []


def test_rules():
    assert contradictions(default_cycle(2027)) == []
    moved = shifted_one_year(default_cycle(2027))
    assert moved.year == 2028 and moved.plan_deadline == date(2028, 6, 15)
    # The year's follow-up runs to its evaluation deadline (31 January after, by default).
    assert [current_year(date(2026, 11, 27)), current_year(date(2026, 12, 1)), current_year(date(2027, 1, 31)),
            current_year(date(2027, 2, 1))] == [2026, 2026, 2026, 2027]
    assert working_year(date(2027, 2, 10), last_years_evaluation_deadline=date(2027, 2, 28)) == 2026
    # ... but never after this year's survey has opened.
    assert working_year(date(2027, 5, 10), date(2027, 6, 30), survey_opens=date(2027, 2, 1)) == 2027
