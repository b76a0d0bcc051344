"""Multi-step dialogs as data, on the `dialog_state` table.

- state.py: a person's open dialog (its screen, token and data), written before
  every answer; a measure draft is set aside while another dialog runs.
- callbacks.py: the typed codec for every button's callback data.
- spec.py: a dialog as data (screens, what they show and accept, where they lead).
- engine.py: runs a spec in the real Application; diagrams.py draws it.
"""

from bot.dialogs.state import Dialog, begin, current, end, save, set_aside, with_token

__all__ = ["Dialog", "begin", "current", "end", "save", "set_aside", "with_token"]
