"""The API namespace of one executor package: the types the harness builds a run from.

A self-contained reference has its own ``Command``, ``StructuredValue``,
``CommandResult``, ``stage_context`` (its own context variable), descriptors
and errors, distinct from :mod:`harness.pipeline`'s even when the code is the
same. An executor only recognises the types of its own package, so the
scenario layer builds every command, effect, result and descriptor, reads
the stage context, and classifies errors through the :class:`ExecutorApi` of
the executor that runs them. Nothing in the harness reaches for
:mod:`harness.pipeline` behind the executor's back: a mistake planted in the
area then shows up on one side only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final, final

import harness.pipeline as pipeline
from harness.errors import CandidateError

__all__ = ["API_NAMES", "PIPELINE_API", "ExecutorApi"]

API_NAMES: Final = (
    "Command",
    "CommandResult",
    "Effect",
    "MISSING",
    "PipelineError",
    "PipelineStageError",
    "StageContext",
    "StructuredValue",
    "compact_json",
    "js_string",
    "make_descriptor",
    "normalize_output",
    "stage_context",
)


@final
@dataclass(frozen=True, slots=True)
class ExecutorApi:
    """The names of an executor package the harness uses, taken from its barrel.

    The fields carry the package's own spelling (``api.Command``,
    ``api.stage_context()``); statically they are typed as
    :mod:`harness.pipeline`'s, which every snapshot of it mirrors.
    """

    package: str
    Command: type[pipeline.Command]
    CommandResult: type[pipeline.CommandResult]
    Effect: type[pipeline.Effect]
    MISSING: object
    PipelineError: type[pipeline.PipelineError]
    PipelineStageError: type[pipeline.PipelineStageError]
    StageContext: type[pipeline.StageContext]
    StructuredValue: type[pipeline.StructuredValue]
    compact_json: Callable[[object], str]
    js_string: Callable[[object], str]
    make_descriptor: Callable[..., pipeline.SecurityDescriptor]
    normalize_output: Callable[[object], pipeline.StructuredValue]
    stage_context: Callable[[], pipeline.StageContext]

    @classmethod
    def from_module(cls, module: ModuleType) -> ExecutorApi:
        """The API of ``module`` (an executor package's barrel); :class:`CandidateError` names a missing name."""
        values: dict[str, Any] = {}
        for name in API_NAMES:
            try:
                values[name] = getattr(module, name)
            except AttributeError:
                raise CandidateError(f"{module.__name__}: has no {name}, so it is not an executor package") from None
        return cls(package=module.__name__, **values)

    def __repr__(self) -> str:
        return f"ExecutorApi({self.package!r})"


PIPELINE_API: Final = ExecutorApi.from_module(pipeline)
"""The API of :mod:`harness.pipeline`: the extracted executor's, and any ``MODULE:ATTR`` candidate's."""
