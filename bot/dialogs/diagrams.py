"""Each dialog's Mermaid diagram, drawn from its spec.

`python -m bot.dialogs.diagrams` writes conversations/<module>.mmd for every
dialog; tests/test_dialog_specs.py fails when a committed diagram differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.dialogs.spec import END, DialogSpec

CONVERSATIONS = Path(__file__).resolve().parent.parent.parent / "conversations"


def _label(text: str) -> str:
    return " ".join(text.replace('"', "'").split())


def mermaid(spec: DialogSpec) -> str:
    lines = [f"%% {spec.title} (conversations/{spec.module}.py).",
             "%% Generated from the spec by `python -m bot.dialogs.diagrams`; do not edit by hand.",
             "%% Every arrow writes the dialog (dialog_state) before the answer; /cancel ends it anywhere.",
             "stateDiagram-v2"]
    lines += [f"    state \"{_label(s.title)}\" as {s.name}" for s in spec.screens]
    lines += [f"    [*] --> {first}: {_label(how)}" for how, first in spec.entries]
    lines += [f"    note right of {s.name}: {_label(s.note)}" for s in spec.screens if s.note]
    for screen in spec.screens:
        actions = list(screen.buttons.values())
        if screen.text:
            actions.append(screen.text)
        if screen.media:
            actions.append(screen.media)
        for action in actions:
            for target in action.goes + action.returns:
                lines.append(f"    {screen.name} --> {END if target == END else target}: {_label(action.label)}")
        if screen.back:
            lines += [f"    {screen.name} --> {came}: ⬅ Back" for came in spec.comes_from(screen.name)]
        if screen.cancel:
            lines.append(f"    {screen.name} --> {END}: Cancel")
    return "\n".join(dict.fromkeys(lines)) + "\n"  # an arrow drawn once, however many ways lead along it


def path_of(spec: DialogSpec) -> Path:
    return CONVERSATIONS / f"{spec.diagram or spec.module}.mmd"


def all_specs() -> list[DialogSpec]:
    from bot.app import DIALOGS

    return list(DIALOGS)


def main() -> int:
    for spec in all_specs():
        path_of(spec).write_text(mermaid(spec), encoding="utf-8")
        print(f"wrote {path_of(spec)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
