"""The resources file: links for each method's steps and phases, as URL buttons under the step's
guidance in /followup; the file shipped in the package; a broken file stops the program at start
with one line naming the line of the file."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest

from bot import resources
from bot.resources import ResourcesError, default_resources
from bot.settings import SettingsError, load_settings

OWN_FILE = """\
[survey]
url = "https://intranett.helse-bergen.no/forbedring"

[[forbedring.review]]
label = "Vår agenda for gjennomgangen"
url = "https://intranett.helse-bergen.no/agenda-gjennomgang"

[[forbedring.all]]
nb = "Sammen om ForBedring"
nn = "Saman om ForBedring"
en = "Together on ForBedring"
url = "https://www.sammenomforbedring.no/"

[[dst.all]]
label = "Der skoen trykker"
url = "https://derskoentrykker.no/"
"""


@pytest.fixture
def settings(db_url, tmp_path):
    """The harness's settings, with a resources file of the trust's own."""
    path = tmp_path / "resources.toml"
    path.write_text(OWN_FILE, encoding="utf-8")
    return load_settings(env={"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path), "RESOURCES_FILE": str(path)},
                         env_file=None)


def url_buttons(message) -> list[tuple[str, str]]:
    return [(b["text"], b["url"]) for b in message.buttons if "url" in b]


def test_the_shipped_file_holds_the_programmes_links():
    shipped = default_resources()
    assert shipped.survey_url == "https://www.sammenomforbedring.no/"
    review = shipped.for_step("forbedring", "review")
    assert [link.label("en") for link in review] == ["Agenda template: review with the parties",
                                                     "Sammen om ForBedring (the programme)"]
    assert review[0].label("nn") == "Agendamal: gjennomgang med partane"
    assert [link.url for link in shipped.for_step("forbedring", "feedback")][0].endswith("agenda-feedback-meeting")
    # The other methods: their pages under every phase, whatever the phase's key.
    assert [link.url for link in shipped.for_step("dst", "mapping")] == ["https://derskoentrykker.no/"]
    assert [link.url for link in shipped.for_step("ttp", "all")] == ["https://xn--tidligogtettp-1fb.no/"]
    # Only the agenda templates are placeholders (the file says so), and only https.
    assert shipped.placeholders == ["https://example.org/forbedring/agenda-review-with-the-parties",
                                    "https://example.org/forbedring/agenda-feedback-meeting"]
    assert "PLACEHOLDER" in resources.DEFAULT_FILE.read_text(encoding="utf-8")
    settings = load_settings(env={}, env_file=None)
    assert settings.resources is shipped and hash(settings)  # read once; the settings stay hashable


async def test_the_links_are_buttons_under_the_steps_guidance(harness):
    harness.set_today(date(2026, 5, 2))
    leader = await harness.member(101, "leader", "Kari")
    rep = await harness.member(102, "safety_rep", "Ola", language="Nynorsk")

    await leader.send("/followup")
    await leader.press("Review with the parties")
    assert "Go through the results with the safety rep" in leader.last.plain
    assert url_buttons(leader.last) == [
        ("Vår agenda for gjennomgangen", "https://intranett.helse-bergen.no/agenda-gjennomgang"),
        ("Together on ForBedring", "https://www.sammenomforbedring.no/")]
    assert leader.last.buttons[-1]["text"] == "⬅ Back"  # the links sit between the step's own buttons and Back

    # A step without links of its own gets the method's; a rep sees them too, in their language.
    await rep.send("/followup")
    await rep.press("Tilbakemeldingsmøte")
    assert url_buttons(rep.last) == [("Saman om ForBedring", "https://www.sammenomforbedring.no/")]


def test_a_phase_of_another_method_gets_its_links_by_method_and_key():
    own = resources.parse(OWN_FILE + '\n[[dst.mapping]]\nlabel = "Dialogmøte: mal"\nurl = "https://a.no/d"\n', "x")
    assert [link.url for link in own.for_step("dst", "mapping")] == ["https://a.no/d", "https://derskoentrykker.no/"]
    assert [link.url for link in own.for_step("dst", "report")] == ["https://derskoentrykker.no/"]
    assert own.for_step("ttp", "all") == ()


BROKEN = [
    ('[survey]\nurl = "https://x.no/"\n\n[[forbedring.review]]\nlabel = "Agenda"\nurl = "http://x.no/agenda"\n',
     6, "'http://x.no/agenda' is not an https:// link"),
    ('[[forbedring.review]]\nlabel = "Agenda"\nurl = "https://x.no/a"\n\n[[forbedring.reveiw]]\nlabel = "B"\n'
     'url = "https://x.no/b"\n', 5, "unknown step 'forbedring.reveiw'"),
    ('[[forbedring.review]]\nlabel = "Agenda"\nurl = "https://x.no/a"\n[[forbedring.review]]\nnb = "Bare bokmål"\n'
     'url = "https://x.no/b"\n', 4, "needs label"),
    ('[[forbedring.review]]\nlabel = "Agenda"\nurl = https://x.no/a\n', 3, "Invalid value"),
    ('\n\n[[skoen.all]]\nlabel = "A"\nurl = "https://x.no/"\n', 3, "unknown method 'skoen'"),
    ('[survey]\nurl = "javascript:alert(1)"\n', 2, "is not an https:// link"),
    ('[[dst.all]]\nlabel = "A"\nurl = "https://x.no/"\ncolour = "red"\n', 4, "unknown key 'colour'"),
]


@pytest.mark.parametrize("text, line, problem", BROKEN)
def test_a_broken_file_names_its_line(tmp_path, text, line, problem):
    path = tmp_path / "resources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as error:
        load_settings(env={"RESOURCES_FILE": str(path)}, env_file=None)
    message = str(error.value)
    assert message.startswith(f"RESOURCES_FILE is malformed: {path} line {line}: "), message
    assert problem in message and "\n" not in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match="RESOURCES_FILE is malformed: .*nowhere.toml: cannot be read"):
        load_settings(env={"RESOURCES_FILE": str(tmp_path / "nowhere.toml")}, env_file=None)
    with pytest.raises(ResourcesError):
        resources.load(tmp_path)  # a directory


def test_a_broken_file_stops_the_program_at_start_with_one_line(tmp_path):
    path = tmp_path / "resources.toml"
    path.write_text('[survey]\nurl = "https://x.no/"\n\n[[forbedring.feedback]]\nlabel = "Agenda"\n'
                    'url = "http://x.no/agenda"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "RESOURCES_FILE": str(path),
                                 "TELEGRAM_BOT_TOKEN": "123456789:AAHsecretsecretsecretsecretsecret12"})
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: RESOURCES_FILE is malformed: {path} line 6: "
                                     "'http://x.no/agenda' is not an https:// link")



async def test_a_der_skoen_trykker_phase_gets_its_links_from_the_file(harness, db):
    """A phase's own links, then the method's, under the phase's guidance (conversations/dst.py)."""
    from tests.test_dst import enrol

    harness.settings = replace(harness.settings, resources=resources.parse(
        OWN_FILE + '\n[[dst.mapping]]\nnb = "Dialogmøte: mal"\nnn = "Dialogmøte: mal"\n'
        'en = "Dialogue meeting: template"\nurl = "https://intranett.helse-bergen.no/dialog"\n', "own.toml"))
    await harness.restart()
    harness.set_today(date(2027, 1, 20))
    await enrol(db)
    leader = await harness.member(701, "leader", "Kari")
    await leader.send("/dst")
    await leader.press("Kirurgisk poliklinikk")
    await leader.press("⬜ 2. Mapping through dialogue")
    assert "Hold dialogue meetings with the staff" in leader.last.plain
    assert url_buttons(leader.last) == [
        ("Dialogue meeting: template", "https://intranett.helse-bergen.no/dialog"),
        ("Der skoen trykker", "https://derskoentrykker.no/")]
    await leader.press("⬅ Back")
    await leader.press("⬜ 3. Report")
    assert url_buttons(leader.last) == [("Der skoen trykker", "https://derskoentrykker.no/")]


async def test_the_tidlig_og_tett_paa_reminder_links_to_the_files_page(harness, db):
    """[[ttp.all]] in the trust's file is the link in the TTP reminders (the shipped file: the method's pages)."""
    from tests.test_ttp import sweep

    harness.settings = replace(harness.settings, resources=resources.parse(
        OWN_FILE + '\n[[ttp.all]]\nlabel = "TTP"\nurl = "https://intranett.helse-bergen.no/ttp"\n', "own.toml"))
    await harness.restart()
    harness.set_today(date(2027, 3, 1))
    leader = await harness.member(801, "leader", "Kari")
    harness.application.bot_data["sender"].per_chat = 0
    await sweep(harness, db, date(2027, 3, 15))  # the default TTP day
    assert "Tidlig og tett på" in leader.last.plain
    assert url_buttons(leader.last) == [("The method's material", "https://intranett.helse-bergen.no/ttp")]
