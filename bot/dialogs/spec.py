"""What a dialog is, as data: its screens, what each shows and accepts, and where
each answer may lead. The engine (engine.py) runs a spec; diagrams.py draws it.

A screen's `show` returns a `View` (text and buttons); its `buttons` name the
actions a press may take, its `text` (and `media`) what typed text does. An
action returns an outcome:

- `Go(screen)`: on to that screen; Back on it returns to the screen the person
  came from. `Go(screen, unwind=True)` returns to a screen already on the way
  (the summary card after a field was changed): the screens since are
  forgotten, so Back from it goes where it went before.
- `Return()`: back to the screen the person came from (what ⬅ Back does).
- `Stay(problem)`: the same screen again, with the problem above it;
  `Stay(edit=True)` redraws it in the message whose button was pressed (a box
  ticked) instead of sending it anew.
- `Restart(screen, data)`: the dialog begins again (new buttons) at `screen`.
- `Done(closed=False)`: the dialog is over; the action has said what happened
  (`closed`: it also closed the dialog itself, in the transaction of its save).

Every `Go` and `Done` must be drawn in the action's `goes`, every
`Go(unwind=True)` and `Restart` in its `returns` (they lead to a screen without
adding a way ⬅ Back); the engine refuses one that is not, so the generated
diagram cannot lie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Awaitable, Callable

from bot.dialogs.callbacks import Kind, Optional, Route, Token, Word

END = "[*]"  # the end of a dialog, in `goes` and in the diagram
BACK, CANCEL = "back", "cancel"  # actions every screen may offer (Screen.back / .cancel)


@dataclass(frozen=True)
class Go:
    screen: str
    unwind: bool = False


@dataclass(frozen=True)
class Return:
    pass


@dataclass(frozen=True)
class Stay:
    problem: str = ""
    edit: bool = False  # redraw the pressed message in place (a ticked box), not a new one


@dataclass(frozen=True)
class Restart:
    screen: str
    data: dict


@dataclass(frozen=True)
class Done:
    closed: bool = False


Outcome = Go | Return | Stay | Restart | Done


@dataclass(frozen=True)
class Btn:
    """A button of this dialog: pressing it runs `action` of the screen shown, with `value`."""
    label: str
    action: str
    value: Any = None


@dataclass(frozen=True)
class Link:
    """A button of another route (already-built callback data)."""
    label: str
    data: str


@dataclass
class View:
    text: str
    rows: list[list[Btn | Link]] = field(default_factory=list)


@dataclass(frozen=True)
class Action:
    run: Callable[..., Awaitable[Outcome]]  # (turn, value) for buttons, (turn, text or message) for typing
    goes: tuple[str, ...] = ()  # the screens (or END) it may lead to, ⬅ Back leading back
    returns: tuple[str, ...] = ()  # the screens it may return to (Go(unwind=True), Restart)
    label: str = ""  # the arrow's label in the diagram
    value: Kind | None = None  # the type of the value its buttons carry


@dataclass(frozen=True)
class Screen:
    name: str
    title: str  # for the diagram
    show: Callable[..., Any]  # (turn) -> View, or an awaitable of one
    buttons: dict[str, Action] = field(default_factory=dict)
    text: Action | None = None
    media: Action | None = None  # a photo or a document sent while on this screen
    back: bool = False  # a ⬅ Back button returns to the screen the person came from
    cancel: bool = False  # a Cancel button ends the dialog
    note: str = ""  # drawn beside the screen in the diagram


@dataclass(frozen=True)
class DialogSpec:
    name: str  # dialog_state.dialog
    prefix: str  # its buttons' callback prefix
    title: str  # the diagram's heading
    module: str  # conversations/<module>.py and .mmd
    screens: tuple[Screen, ...]
    entries: tuple[tuple[str, str], ...]  # (how it is opened, the first screen) for the diagram
    cancelled: str  # what Cancel and /cancel say (an msgid)
    diagram: str = ""  # the .mmd file's name when a module has several dialogs (else the module's)
    # Who may answer it, (memberships) -> bool: checked before every press, text and attachment,
    # as rights can change while a dialog is open; None: any member (the actions' services check).
    allowed: Callable[[Any], bool] | None = None
    # Open to anyone the bot knows, roles or not (e.g. erasing oneself after the last role ended).
    for_known_people: bool = False

    def __post_init__(self):
        names = [s.name for s in self.screens]
        assert len(names) == len(set(names)), f"{self.name}: two screens share a name"
        for screen in self.screens:
            for action in self._actions(screen):
                unknown = [g for g in action.goes + action.returns if g != END and g not in names]
                assert not unknown, f"{self.name}.{screen.name}: goes to unknown screens {unknown}"
        for _, first in self.entries:
            assert first in names, f"{self.name}: entry to unknown screen {first}"

    @staticmethod
    def _actions(screen: Screen) -> list[Action]:
        return list(screen.buttons.values()) + [a for a in (screen.text, screen.media) if a]

    @cached_property  # asked for every button drawn: built once
    def route(self) -> Route:
        return Route(self.prefix, token=Token, action=Word(), value=Optional(Word()))

    @cached_property
    def _by_name(self) -> dict[str, Screen]:
        return {s.name: s for s in self.screens}

    def screen(self, name: str) -> Screen:
        return self._by_name[name]

    def has_screen(self, name: str) -> bool:
        return name in self._by_name

    def comes_from(self, name: str) -> list[str]:
        """The screens a person can reach `name` from (where ⬅ Back may return to)."""
        return [s.name for s in self.screens if s.name != name
                and any(name in a.goes for a in self._actions(s))]
