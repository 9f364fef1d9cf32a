"""The public surface of ``harness.pipeline``: exactly these names, each re-exported from its module."""

from __future__ import annotations

import inspect

import harness.pipeline

PUBLIC_NAMES = [
    "MISSING",
    "Command",
    "CommandResult",
    "Effect",
    "EffectError",
    "ParallelRuntime",
    "ParallelStageRunner",
    "PipelineAbortedError",
    "PipelineError",
    "PipelineEvent",
    "PipelineExecutor",
    "PipelineIterationLimitError",
    "PipelineStageError",
    "RetryRequested",
    "RetrySignal",
    "SecurityDescriptor",
    "StageContext",
    "StructuredValue",
    "ToolProvenance",
    "compact_json",
    "default_parallel_limit",
    "extract_stage_value",
    "format_error",
    "js_string",
    "make_descriptor",
    "merge_descriptors",
    "normalize_descriptor",
    "normalize_output",
    "parse_parallel_limit",
    "run_with_concurrency",
    "stage_context",
]


def test_all_is_pinned() -> None:
    """STYLE 1: the package's ``__all__`` is exactly the pinned list, in order."""
    assert harness.pipeline.__all__ == PUBLIC_NAMES


def test_every_public_name_is_re_exported_from_a_submodule() -> None:
    """STYLE 1: ``__init__`` only re-exports; every public object is defined in a submodule."""
    for name in PUBLIC_NAMES:
        exported = getattr(harness.pipeline, name)
        if inspect.isclass(exported) or inspect.isfunction(exported):
            assert exported.__module__.startswith("harness.pipeline."), name


def test_the_errors_share_one_base() -> None:
    """STYLE 7: the pipeline's failures are ``PipelineError`` subclasses."""
    for error in (
        harness.pipeline.PipelineStageError,
        harness.pipeline.PipelineAbortedError,
        harness.pipeline.PipelineIterationLimitError,
    ):
        assert issubclass(error, harness.pipeline.PipelineError)
