"""The lm-eval task class every statetrack YAML names (``class: !function utils.StateTrackTask``).

Our docs are a pure function of (family, variant, length), which each YAML gives in
``dataset_kwargs``. A ``custom_dataset`` callable would also build them, but lm-eval 0.4
then logs, for every task, a warning that custom kwargs can be passed with ``--metadata``
(none are read here), burying real warnings. This class builds the dataset itself.
"""

from __future__ import annotations

from typing import Any

from lm_eval.api.task import ConfigurableTask

from lm_eval_statetrack.compat import with_request_builder
from lm_eval_statetrack.datasets import build_dataset


class StateTrackTask(ConfigurableTask):
    """A YAML-configured task whose docs come from our generators."""

    def __new__(cls, config: dict[str, Any] | None = None, **kwargs: Any) -> StateTrackTask:
        # lm-eval 0.5 builds a ``class:`` task without picking its request builder
        return super().__new__(with_request_builder(cls, config))

    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        # lm-eval passes the whole YAML, including the ``class`` key that named us
        config = {key: value for key, value in (config or {}).items() if key != "class"}
        super().__init__(config=config, **kwargs)

    def download(self, dataset_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.dataset = build_dataset(**self.config.dataset_kwargs)
