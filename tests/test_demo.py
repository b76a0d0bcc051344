"""The local demo, driven by a piped script as a newcomer would type it."""

from __future__ import annotations

import os
import subprocess
import sys


def run_demo(tmp_path, script: str) -> str:
    """Pipe a script into `forbedring-bot demo` in its own data directory; its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN")}
    result = subprocess.run([sys.executable, "-m", "bot", "demo"], input=script, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, env={**env, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_in_order(out: str, steps: list[str]) -> None:
    position = 0
    for step in steps:
        found = out.find(step, position)
        assert found >= 0, f"missing, in order: {step!r}\n{out[position:position + 3000]}"
        position = found + len(step)


SCRIPT = """!as newcomer
!invite leader
/start $INVITE
!1
!3
/help
!as 2
/start
!7
!quit
"""


def test_scripted_demo_joins_a_leader_and_switches_language(tmp_path):
    out = run_demo(tmp_path, SCRIPT)
    steps = [
        "── you are now Nils Ny (newcomer) ──",
        # Telegram tells Nils's language (nn): welcomed in it at once, with a button to change it.
        "bot> Velkomen! No er du registrert som leiar: Medisinsk sengepost 1, Helse Bergen.",
        "[1] 🌐 Byt språk",
        "bot> Personvern",
        "bot> Hei, Nils Ny!",
        "Nils> [🌐 Byt språk]",
        "[1] Bokmål  [2] ✓ Nynorsk  [3] English",
        "bot> Language: English",
        "bot> Privacy",
        "bot> Hello, Nils Ny!",
        "     • leader: Medisinsk sengepost 1, Helse Bergen",
        "── you are now Ola Vik (safety_rep) ──",
        "     • verneombod: Medisinsk sengepost 1, Helse Bergen",
        "demo: there is no button 7",
        "demo: bye",
    ]
    assert_in_order(out, steps)
    assert (tmp_path / "demo.db").exists()


YEAR_SCRIPT = """!date 2026-04-30
/followup
!3
!1
i går
!3
!as 2
!1
!as 1
/nyttiltak
!2
!2
Tavlemøte hver mandag
Ti minutter; vi merker det når avvik tas opp tidligere.
Assisterende avdelingsleder
1.10.2026
!1
/nyttiltak
!1
!1
Fagdager
Vi fortsetter med fagdagene.
Leder
1.11.2026
!1
/plan
!1
!1
!as 3
!2
Vi ble ikke tatt med.
!as 1
!date 2026-09-20
/tiltak
!1
!3
Godt i gang
/plan
!quit
"""


def test_scripted_demo_walks_a_unit_through_the_year(tmp_path):
    out = run_demo(tmp_path, YEAR_SCRIPT)
    steps = [
        "demo: the bot's date is now 2026-04-30",
        "Lagret: «Gjennomgang med partene» ferdig 29. april 2026.",
        "(while you were away)",
        "Takk, svaret ditt er lagra.",
        "Lagret: «Tavlemøte hver mandag».",
        "Lagret: «Fagdager».",
        # The feedback meeting is not marked: a warning first, one tap to go on (issue 13).
        "Før du leverer planen:\n     ⚠ Tilbakemeldingsmøtet er ikke merket som gjort.",
        "Planen er levert. 2 representanter blir bedt om å bekrefte den.",
        "demo: the bot's date is now 2026-09-20",
        "Status lagret: ferdig.",
        "⚠ tillitsvalgt Siri Berg: har innvendinger mot planen – «Vi ble ikke tatt med.»",
        "✅ Fagdager – ta vare på",
    ]
    assert_in_order(out, steps)


def test_demo_fast_forward_shows_the_years_reminders(tmp_path):
    script = "!date 2026-04-10\n!forward 10\n!as 2\n!as 1\n!forward 60\n!quit\n"
    out = run_demo(tmp_path, script)
    steps = ["demo: the bot's date is now 2026-04-20", "Resultatene fra undersøkelsen er klare",
             "demo: 1 new message(s) for Ola Vik (!as safety_rep)",
             "── you are now Ola Vik (safety_rep) ──", "Resultata frå undersøkinga er klare",
             "demo: the bot's date is now 2026-06-19", "Gjennomgangen med partene er ikke gjort",
             "Handlingsplanen har frist om to uker", "Handlingsplanen har passert fristen"]
    assert_in_order(out, steps)


def test_demo_the_survey_opens_with_its_link(tmp_path):
    """The survey-window reminder in the demo; its link button says where it leads."""
    out = run_demo(tmp_path, "!date 2027-01-28\n!forward 5\n!1\n!quit\n")
    assert_in_order(out, ["ForBedring-undersøkelsen er åpen", "Målet er at minst 75 % svarer",
                          "[1] Om undersøkelsen", "demo: [Om undersøkelsen] opens https://www.sammenomforbedring.no/"])


NEW_YEAR_SCRIPT = """!date 2026-05-05
/followup
!5
!3
60
41
80
70
65
50
70
/nyttiltak
!2
!2
Tavlemøte hver mandag
Ti minutter hver mandag.
Leder
1.12.2026
!1
!date 2027-02-03
/tiltak
!1
!3
/plan
!date 2027-05-05
/followup
!5
!3
62
50
80
70
65
50
70
/plan 2026
!quit
"""


def test_demo_a_new_year_carries_over_and_compares_with_last_year(tmp_path):
    """Across a new survey year (issue 13): last year's open measure is decided with one tap, and after the
    new results its theme's change is shown beside "worked"."""
    out = run_demo(tmp_path, NEW_YEAR_SCRIPT)
    assert_in_order(out, [
        "demo: the bot's date is now 2027-02-03",
        "⚠ 1 tiltak fra i fjor er fortsatt åpent: før det videre eller avslutt det.",
        "ForBedring 2027 er i gang · Medisinsk sengepost 1",
        "1. 🗓 Tavlemøte hver mandag – forbedre, Samarbeidsklima",
        "[1] 1 ➡ 2027  [2] 1 ✅  [3] 1 🟡  [4] 1 ❌",
        "«Tavlemøte hver mandag» er avsluttet.",
        "Handlingsplan 2027 · Medisinsk sengepost 1",
        "[1] Lever planen  [2] Plan 2026",
        "demo: the bot's date is now 2027-05-05",
        "Neste: Gjennomgang med partene, forsinket siden 29. april 2027.",
        "Handlingsplan 2026 · Medisinsk sengepost 1",
        "✅ Tavlemøte hver mandag – forbedre, Samarbeidsklima",
        "virket: delvis · Samarbeidsklima +9 siden resultatene for 2026",
        "[1] Plan 2027",
    ])


LEADER_GROUP_SCRIPT = """!date 2026-06-01
/nyttiltak
!2
!2
Tavlemøte hver mandag
Ti minutter hver mandag.
Leder
1.12.2026
!1
/tiltak
!1
!2
Mangler vikarbudsjett til tavlemøtene.
!1
!as group_leader
/raised
!1
Vi tar det opp i budsjettmøtet i august.
/handlingsplan
!as 1
!date 2026-06-28
!forward 1
!as gro
!quit
"""


def test_demo_a_stuck_measure_is_raised_to_the_clinics_leader_group(tmp_path):
    """The demo has a clinic-level leader group above MED1 (issue 13): a stuck measure raised by the unit
    reaches the group's leader in /raised, her answer reaches the unit, the group has its own plan, and on
    Monday she gets the digest about the units below her."""
    out = run_demo(tmp_path, LEADER_GROUP_SCRIPT)
    assert_in_order(out, [
        "Status lagret: står fast. Hva står fast?",
        "Kari> [Løft til ledergruppen over]",
        "Løftet til Ledergruppen Medisinsk klinikk.",
        "── you are now Gro Lund (group_leader) ──",
        "(while you were away)",
        "Medisinsk sengepost 1 har løftet et tiltak som står fast, til deg: «Tavlemøte hver mandag».",
        "Gro> /raised",
        "1. Tavlemøte hver mandag – Medisinsk sengepost 1, 1. juni 2026",
        "«Mangler vikarbudsjett til tavlemøtene.»",
        "[1] 1. Svar  [2] 1. Ta det på oss",
        "Gro> Vi tar det opp i budsjettmøtet i august.",
        "Handlingsplan 2026 · Ledergruppen Medisinsk klinikk (Helse Bergen)",
        "── you are now Kari Nordmann (leader) ──",
        "Ledergruppen over har svart om «Tavlemøte hver mandag»: Vi tar det opp i budsjettmøtet i august.",
        "demo: the bot's date is now 2026-06-29",
        "demo: 1 new message(s) for Gro Lund (!as group_leader)",
        "── you are now Gro Lund (group_leader) ──",
        "Enhetene under deg denne uka",
        "Medisinsk sengepost 1: handlingsplanen er ikke levert (frist 15. juni 2026)",
        "[1] Send påminnelse til lederen i Medisinsk sengepost 1",
    ])


def test_demo_der_skoen_trykker_phases(tmp_path):
    """MED1 follows Der skoen trykker beside ForBedring in the demo (issue 14): the leader opens the DST
    overview from /followup, marks phase 1 done with the parties, the safety rep confirms, and the overview
    shows it. The demo enrols MED1 from 1 February of the current year; the bot's clock is set inside it."""
    from datetime import datetime, timezone

    year = datetime.now(timezone.utc).year
    script = f"""!date {year}-03-10
/followup
!10
!1
!1
!1
!3
!as 2
!1
!as 1
/followup
!10
!quit
"""
    out = run_demo(tmp_path, script)
    assert_in_order(out, [
        "Kari> /followup",
        f"Denne enheten følger også Der skoen trykker (siden 1. februar {year}).",
        "[10] Der skoen trykker",
        "Kari> [Der skoen trykker]",
        "bot> Der skoen trykker · Medisinsk sengepost 1",
        "• Potensial for lavere sykefravær: ja – Høyt sykefravær over tid",
        "1. Forberedelse og forankring – ",
        "• lokal ressurs: Hanne Lie",
        "[1] ⬜ 1. Forberedelse og forankring",
        "Kari> [⬜ 1. Forberedelse og forankring]",
        "bot> Der skoen trykker · 1. Forberedelse og forankring",
        "[1] Merk som ferdig",
        "Kari> [Merk som ferdig]",
        "Kari> [I dag]",
        "Hvem deltok i tillegg til deg?",
        "[1] ☑ verneombud  [2] ☑ tillitsvalgt  [3] Lagre",
        "Kari> [Lagre]",
        f"Lagret: «Forberedelse og forankring» ferdig 10. mars {year}. 2 representanter blir bedt om å bekrefte.",
        f"✅ 1. Forberedelse og forankring – 10. mars {year}",
        "… verneombud Ola Vik: har ikke svart ennå",
        "── you are now Ola Vik (safety_rep) ──",
        "(while you were away)",
        f"Kari Nordmann har merkt «Førebuing og forankring» som ferdig (10. mars {year}) for Medisinsk sengepost 1.",
        "[1] Eg var med  [2] Eg var ikkje involvert",
        "Ola> [Eg var med]",
        "Takk, svaret ditt er lagra.",
        "── you are now Kari Nordmann (leader) ──",
        "Kari> [Der skoen trykker]",
        f"✅ 1. Forberedelse og forankring – 10. mars {year}",
        "✔ verneombud Ola Vik: deltok",
        "… tillitsvalgt Siri Berg: har ikke svart ennå",
        "Neste: Kartlegging gjennom dialog",
        "[1] ✅ 1. Forberedelse og forankring  [2] ⬜ 2. Kartlegging gjennom dialog",
    ])


def test_demo_staff_summary(tmp_path):
    """"You said, we did" in the demo (issue 14): once the plan is submitted, /plan offers the summary for
    the staff; it comes as text and as a photo card (the demo prints [photo] and the caption), in the
    leader's language, and the other-language buttons give it in Nynorsk and English."""
    script = YEAR_SCRIPT[:YEAR_SCRIPT.index("!as 3")] + "/plan\n!2\n!2\n!2\n!quit\n"
    out = run_demo(tmp_path, script)
    assert_in_order(out, [
        "Kari> [Lever likevel]",
        "Planen er levert. 2 representanter blir bedt om å bekrefte den.",
        "Kari> /plan",
        "[2] Oppsummering for de ansatte",
        "Kari> [Oppsummering for de ansatte]",
        "Videresend teksten under til de ansatte, eller skriv ut kortet",
        "[1] Nynorsk  [2] English",
        "bot> Dere sa, vi gjorde",
        "Medisinsk sengepost 1 · ForBedring 2026 · 30. april 2026",
        "Dette gjør vi med det",
        "• Tavlemøte hver mandag – planlagt, innen 1. oktober 2026",
        "• Fagdager – planlagt, innen 1. november 2026",
        "Planen ble levert 30. april 2026. Dette er den første oppsummeringen.",
        "bot> [photo]\n     Dere sa, vi gjorde – Medisinsk sengepost 1",
        "Kari> [English]",
        "[1] Bokmål  [2] Nynorsk",
        "bot> You said, we did",
        "What we do about it",
        "• Tavlemøte hver mandag – planned, by 1 October 2026",
        "The plan was submitted on 30 April 2026. This is the first summary.",
        "bot> [photo]\n     You said, we did – Medisinsk sengepost 1",
        "Kari> [Nynorsk]",
        "bot> De sa, vi gjorde",
        "Dette gjer vi med det",
        "• Fagdager – planlagt, innan 1. november 2026",
        "Planen vart levert 30. april 2026. Dette er den første oppsummeringa.",
        "bot> [photo]\n     De sa, vi gjorde – Medisinsk sengepost 1",
    ])
    # Kari's language (Bokmål) is the first one: English comes only on request.
    assert "You said, we did" not in out.split("Kari> [English]")[0]
