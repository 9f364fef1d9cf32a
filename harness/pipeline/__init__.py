"""The pipeline executor: the system the harness characterizes.

This package never imports the harness around it, nor the frozen reference
(``harness.reference``, a self-contained snapshot of it). Its public surface
is re-exported here; everything else is an implementation detail.
"""

from __future__ import annotations

from harness.pipeline.concurrency import default_parallel_limit, parse_parallel_limit, run_with_concurrency
from harness.pipeline.descriptors import (
    SecurityDescriptor,
    ToolProvenance,
    make_descriptor,
    merge_descriptors,
    normalize_descriptor,
)
from harness.pipeline.executor import PipelineExecutor
from harness.pipeline.invocation import stage_context
from harness.pipeline.markers import format_error
from harness.pipeline.parallel_stage_runner import ParallelRuntime, ParallelStageRunner
from harness.pipeline.serialization import MISSING, compact_json, js_string
from harness.pipeline.types import (
    Command,
    CommandResult,
    Effect,
    EffectError,
    PipelineAbortedError,
    PipelineError,
    PipelineEvent,
    PipelineIterationLimitError,
    PipelineStageError,
    RetryRequested,
    RetrySignal,
    StageContext,
    StructuredValue,
)
from harness.pipeline.values import extract_stage_value, normalize_output

__all__ = [
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
