"""Progress bars that end the way the run ended, in JupyterLab, in a terminal and in a saved notebook.

``tqdm.auto`` picks a widget bar in Jupyter and a text bar elsewhere. Two details of the widget
bar mislead a reader, and ``progress_bar`` fixes both:

- a bar closed before its total turns red ("danger"): right for an error or Ctrl-C, wrong for a
  training run that stopped early because it solved the task. ``finish_early`` makes the reached
  step the bar's total, so such a bar ends full and green, with a note saying why it stopped;
- a saved notebook keeps, next to the widget, the text form of the bar as it was first shown:
  "0%| 0/50000", which is what GitHub and other viewers without widgets display. Here the bar is
  displayed with a display id and its output is replaced by its final state when it closes.
"""
from __future__ import annotations

from tqdm.auto import tqdm as _auto_tqdm

try:
    from tqdm.notebook import tqdm_notebook as _notebook_tqdm
except ImportError:  # no ipywidgets: tqdm.auto is the text bar
    _notebook_tqdm = None


class _TextBar(_auto_tqdm):
    def finish_early(self, note: str) -> None:
        """End the bar here as complete, with ``note`` (e.g. "solved") after its counts."""
        self.total = self.n
        self.set_postfix_str(note, refresh=False)


if _notebook_tqdm is not None and issubclass(_auto_tqdm, _notebook_tqdm):
    from IPython.display import display as _display

    class ProgressBar(_TextBar):
        def __init__(self, *args, **kwargs):
            kwargs["display"] = False  # shown below, with a display id
            super().__init__(*args, **kwargs)
            self._handle = None
            if not self.disable:
                self._handle = _display(self.container, display_id=True)
                self.displayed = True

        def finish_early(self, note: str) -> None:
            super().finish_early(note)
            if not self.disable:
                self.container.children[1].max = self.n

        def close(self):
            super().close()
            if self._handle is not None:  # the saved text form shows the final state
                self._handle.update(self.container)
                self._handle = None
else:
    ProgressBar = _TextBar


def progress_bar(iterable=None, **kwargs) -> ProgressBar:
    """A ``tqdm.auto`` bar (same arguments) with ``finish_early(note)`` and a truthful saved form.

    Used by ``train`` and ``train_q_learning``; use it in a notebook's own loops too.
    Introduced in `01_q_learning_basics.ipynb`.
    """
    return ProgressBar(iterable, **kwargs)
