"""The local demo, driven by a piped script as a newcomer would type it."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """!as newcomer
!invite leader
/start $INVITE
!2
/language
!3
/help
!as 2
/start
!7
!quit
"""


def test_scripted_demo_joins_a_leader_and_switches_language(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN")}
    result = subprocess.run([sys.executable, "-m", "bot", "demo"], input=SCRIPT, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, env={**env, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "── you are now Nils Ny (newcomer) ──",
        "bot> Velkomen! No er du registrert som leiar: Medisinsk sengepost 1, Helse Bergen.",
        "[1] Bokmål  [2] ✓ Nynorsk  [3] English",
        "bot> Språk: Nynorsk",
        "bot> Personvern",
        "bot> Hei, Nils Ny!",
        "bot> Language: English",
        "     • leader: Medisinsk sengepost 1, Helse Bergen",
        "── you are now Ola Vik (safety_rep) ──",
        "     • verneombod: Medisinsk sengepost 1, Helse Bergen",
        "demo: there is no button 7",
        "demo: bye",
    ]
    position = 0
    for step in steps:
        found = out.find(step, position)
        assert found >= 0, f"missing, in order: {step!r}\n{out}"
        position = found + len(step)
    assert (tmp_path / "demo.db").exists()
