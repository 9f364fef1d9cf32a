"""The corpus's former holes: each mistake that ``harness check`` used to miss now fails it.

Each test plants one realistic refactoring mistake in a temporary copy of the
project (``tmp_path``; the committed tree is never touched) and runs
``python -m harness check`` on the scenarios added to pin it; every one of
them must be a mismatch. The mistakes are the ones a mutation run of the
corpus and a user's trial showed slipping through: a raising labelled branch
still adding its command's labels, labels merged in completion order, a later
group's errors holding an earlier group's markers, a labelled branch losing
its command-result descriptor, and answers that merely look like a retry.
The blocks after them come from reviewing every survivor of the corpus's
mutation run (``benchmarks/power.py``), module by module: for each a
representative mistake and the scenarios written for it. The last block comes
from the survivors of the refactor-shaped mutants (``benchmarks/refactor_power.py``):
the ``rm-*`` scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from planting import plant
from test_refactoring_mistakes import project_copy, run_check

RUNNER = "harness/pipeline/parallel_stage_runner.py"
STATE_MACHINE = "harness/pipeline/state_machine.py"
DESCRIPTORS = "harness/pipeline/descriptors.py"


@dataclass(frozen=True, slots=True)
class Hole:
    """A mistake: text replacements in one file, and the scenarios that must each catch it."""

    file: str
    replacements: tuple[tuple[str, str], ...]
    scenarios: tuple[str, ...]
    # What the check reports: a mismatch, or a crash when the mistake raises where the reference does not.
    verdict: str = "MISMATCH"


HOLES = {
    "raising-labelled-branch-adds-its-labels": Hole(
        RUNNER,
        (
            (
                "            return BranchResult(value=marker_value(marker))",
                "            return BranchResult(value=marker_value(marker), labels=label_descriptor(command, None))",
            ),
        ),
        ("label-raising-branch-adds-no-labels", "label-raising-branch-alone-capped"),
    ),
    "labels-merged-in-completion-order": Hole(
        RUNNER,
        (
            ('__slots__ = ("_runtime",)', '__slots__ = ("_runtime", "_completed")'),
            (
                "        self._runtime = runtime\n",
                "        self._runtime = runtime\n        self._completed: list[SecurityDescriptor] = []\n",
            ),
            (
                "            return BranchResult(value=normalized, labels=labels)",
                "            self._completed.append(labels if labels is not None else normalized.descriptor)\n"
                "            return BranchResult(value=normalized, labels=labels)",
            ),
            ("    @staticmethod\n    def _aggregate(\n", "    def _aggregate(\n        self,\n"),
            (
                "        merged = merge_descriptors(*taken) if taken else None",
                "        taken, self._completed = self._completed, []\n"
                "        merged = merge_descriptors(*taken) if taken else None",
            ),
        ),
        ("label-merge-declaration-order-reverse-completion", "label-result-labels-declaration-order-capped"),
    ),
    "later-group-keeps-earlier-markers": Hole(
        RUNNER,
        (("        errors: list[Marker] = []\n", "        errors: list[Marker] = runtime.error_context.latest_errors\n"),),
        ("error-context-later-group-clears", "error-context-later-group-only-its-own"),
    ),
    "labelled-branch-loses-its-result-descriptor": Hole(
        RUNNER,
        (("labels = label_descriptor(command, result_descriptor)", "labels = label_descriptor(command, None)"),),
        ("label-labelled-branch-keeps-result-descriptor", "label-labelled-branches-result-labels-capped-source"),
    ),
    "a-text-starting-with-retry-is-a-retry": Hole(
        STATE_MACHINE,
        (('        return raw == "retry"\n', '        return raw.startswith("retry")\n'),),
        ("retry-look-alike-answers-in-group", "retry-look-alike-answers-sequential"),
    ),
    "a-retry-value-in-any-case-is-a-retry": Hole(
        STATE_MACHINE,
        (('        return raw.get("value") == "retry"\n', '        return str(raw.get("value")).lower() == "retry"\n'),),
        ("retry-look-alike-answers-sequential",),
    ),
    # --- state_machine ---
    "a-retried-stage-always-starts-from-the-pipeline-input": Hole(
        STATE_MACHINE,
        (
            (
                "        input_text = self._original_input if target == 0 else self._last_output.get(target - 1, self._original_input)\n",
                "        input_text = self._original_input\n",
            ),
        ),
        ("retry-from-skipped-stage-reads-stale-output",),
    ),
    "a-replaced-retry-context-is-not-saved-in-the-history": Hole(
        STATE_MACHINE,
        (
            (
                "            if context is not None:\n                self._history[context.id] = context.attempts\n",
                "",
            ),
        ),
        ("context-fields-nested-retries",),
    ),
    "every-consumed-stage0-retry-is-logged": Hole(
        STATE_MACHINE,
        (
            (
                "        return PassThrough(self._original_input, self._advance(0, self._original_input), logged)\n",
                "        return PassThrough(self._original_input, self._advance(0, self._original_input))\n",
            ),
        ),
        ("retry-forward-from-fixed-input-pass-through",),
    ),
    # --- values ---
    "a-null-answer-becomes-empty-text-like-undefined": Hole(
        "harness/pipeline/values.py",
        (
            ('    if raw is None:\n        return StructuredValue(type="null", text="null", data=None)\n', ""),
            ("    if raw is MISSING:\n", "    if raw is None or raw is MISSING:\n"),
        ),
        ("js-null-and-object-answers",),
    ),
    "member-descriptors-of-a-table-read-from-its-keys": Hole(
        "harness/pipeline/values.py",
        (("members = value.values() if isinstance(value, Mapping) else value", "members = value"),),
        ("source-member-descriptors-retry",),
    ),
    "a-branch-input-copy-without-the-descriptor": Hole(
        "harness/pipeline/values.py",
        (("        descriptor=shared.descriptor,\n", ""),),
        ("input-descriptor-capability-tools-through-group",),
    ),
    # --- runner ---
    # A branch's output finalized without its input (an argument dropped): an
    # unlabelled branch then no longer carries the input's descriptor.
    "branch-finalized-without-its-input": Hole(
        RUNNER,
        (
            (
                "finalize_stage_output(normalized, branch_input, value, own_descriptor, labels)",
                "finalize_stage_output(normalized, value, own_descriptor, labels)",
            ),
        ),
        ("label-unlabelled-branch-keeps-input-policy",),
    ),
    # Pacing switched on only for delays above 1 ms: a 1 ms delay no longer spaces the starts.
    "pacing-ignores-a-one-millisecond-delay": Hole(
        "harness/pipeline/concurrency.py",
        (("pace_ms is not None and pace_ms > 0 else None", "pace_ms is not None and pace_ms > 1 else None"),),
        ("pace-one-millisecond",),
    ),
    # A marker look-alike's null message written as `null` instead of taking its error text.
    "null-marker-message-not-replaced-by-its-error": Hole(
        "harness/pipeline/markers.py",
        (
            (
                '"message": js_string(message if message is not None else error),',
                '"message": js_string(message),',
            ),
        ),
        ("marker-look-alike-null-fields",),
    ),
    # --- executor ---
    "sequential-stage-loses-its-result-descriptor": Hole(
        "harness/pipeline/executor.py",
        (("label_descriptor(command, result_descriptor)", "label_descriptor(command, None)"),),
        ("label-sequential-result-descriptor", "label-plain-result-descriptor-normalized"),
    ),
    "source-output-not-cached-for-entry-1": Hole(
        "harness/pipeline/executor.py",
        (("        self._cache.set(0, value)\n        return StageSuccess(value)", "        return StageSuccess(value)"),),
        ("kind-source-labels-reach-entry1",),
    ),
    "plain-descriptor-strings-not-taken-as-lists": Hole(
        "harness/pipeline/descriptors.py",
        (
            ('labels=_as_strings(value.get("labels")),', 'labels=value.get("labels") or (),'),
            ('taint=_as_strings(value.get("taint")),', 'taint=value.get("taint") or (),'),
        ),
        ("label-plain-result-descriptor-normalized",),
    ),
    # --- observation ---
    # Pinned since observations record what each effect saw beyond its text, and
    # each aggregate's branch values (metadata `stages`); both were invisible before.
    "effects-run-before-the-branch-is-finalized": Hole(
        RUNNER,
        (
            (
                "            finalize_stage_output(normalized, branch_input, value, own_descriptor, labels)\n"
                "            await runtime.run_effects(command, normalized, context)\n",
                "            await runtime.run_effects(command, normalized, context)\n"
                "            finalize_stage_output(normalized, branch_input, value, own_descriptor, labels)\n",
            ),
        ),
        ("effect-sees-branch-labels",),
    ),
    "aggregate-metadata-holds-branch-data-not-values": Hole(
        RUNNER,
        (('metadata={"stages": values, "errors": errors},', 'metadata={"stages": data, "errors": errors},'),),
        ("effect-sees-branch-labels", "order-varied-durations"),
    ),
    # --- refactor-shaped mutants (benchmarks/refactor_power.py) ---
    # The raw value where the normalized one was meant (a swap-local survivor): a blank
    # audit ref, which normalizes to none, taken as a ref, so a second blank-ref tool is dropped.
    # A statement moved above the early `continue` it followed (a swap-statements
    # survivor): a nameless tool's args, no list, are read and raise.
    "tool-args-read-before-the-nameless-tool-is-skipped": Hole(
        DESCRIPTORS,
        (
            (
                "        if not isinstance(name, str) or not name.strip():\n            continue\n"
                "        kept_args = tuple(a.strip() for a in (args or ()) if isinstance(a, str) and a.strip())\n",
                "        kept_args = tuple(a.strip() for a in (args or ()) if isinstance(a, str) and a.strip())\n"
                "        if not isinstance(name, str) or not name.strip():\n            continue\n",
            ),
        ),
        ("rm-plain-descriptor-duplicates-and-padded-audit-refs",),
    ),
    # A reset moved past the loop it prepared (a move-across-await survivor): a run that
    # ends by the iteration limit leaves the first-source flag set for the next run.
    "first-source-flag-reset-after-the-loop": Hole(
        "harness/pipeline/executor.py",
        (
            ("        self._source_runs = 0\n        self._machine = ", "        self._machine = "),
            (
                "        return await self._loop.execute(value)\n",
                "        final = await self._loop.execute(value)\n        self._source_runs = 0\n        return final\n",
            ),
        ),
        ("rm-two-runs-after-iteration-limit-source-first-answer",),
    ),
    # The raw answer where the one split from its command result was meant (swap-local
    # survivors in the sequential stage): a labelled retry signal is no retry, loses
    # its hint, or the members' descriptors are looked for in the wrapper.
    "labelled-retry-signal-tested-on-the-command-result": Hole(
        "harness/pipeline/executor.py",
        (("            if is_retry_signal(value):\n", "            if is_retry_signal(raw):\n"),),
        ("rm-labelled-result-retry-signal",),
    ),
    "labelled-retry-signal-read-off-the-command-result": Hole(
        "harness/pipeline/executor.py",
        (("                return read_retry(value)\n", "                return read_retry(raw)\n"),),
        ("rm-labelled-result-retry-signal",),
    ),
    "labelled-answer-descriptors-found-in-the-command-result": Hole(
        "harness/pipeline/executor.py",
        (("output, structured_input, value, own_descriptor", "output, structured_input, raw, own_descriptor"),),
        ("rm-labelled-result-retry-signal",),
    ),
    # Another local tested (swap-local survivors in the markers): the prefix cut without a
    # separator, a boolean index taken for a number.
    "directive-prefix-cut-without-a-separator": Hole(
        "harness/pipeline/markers.py",
        (("            if separator:\n", "            if message:\n"),),
        ("rm-directive-error-without-separator",),
    ),
    "boolean-look-alike-index-taken-as-a-number": Hole(
        "harness/pipeline/markers.py",
        (("and not isinstance(index, bool)", "and not isinstance(candidate, bool)"),),
        ("rm-marker-look-alike-boolean-index",),
    ),
    # Statements moved above the retry check they followed (swap-statements survivors in
    # the runner): look-alikes collected into the published list of a failing group, and
    # the retrying branch's label descriptor built (and raising) before its signal is seen.
    "look-alikes-collected-before-the-retry-rejection": Hole(
        RUNNER,
        (
            (
                "            if any(result.retry_signal is not None for result in branches):\n"
                "                return StageFailure(RETRY_IN_PARALLEL_STAGE)\n"
                "            if not errors:\n                errors.extend(collect_marker_shaped(branches))\n",
                "            if not errors:\n                errors.extend(collect_marker_shaped(branches))\n"
                "            if any(result.retry_signal is not None for result in branches):\n"
                "                return StageFailure(RETRY_IN_PARALLEL_STAGE)\n",
            ),
        ),
        ("rm-group-retry-beside-marker-look-alike",),
    ),
    "branch-labels-built-before-the-retry-signal-is-seen": Hole(
        RUNNER,
        (
            (
                "            if is_retry_signal(value):\n                return BranchResult(value=None, retry_signal=value)\n"
                "            labels = label_descriptor(command, result_descriptor)\n",
                "            labels = label_descriptor(command, result_descriptor)\n"
                "            if is_retry_signal(value):\n                return BranchResult(value=None, retry_signal=value)\n",
            ),
        ),
        ("rm-group-retry-beside-marker-look-alike",),
    ),
    # A check moved above the reads it validates (a swap-statements survivor): a table
    # signal's `from` that is no number is taken as the target.
    "retry-from-validated-before-it-is-read": Hole(
        STATE_MACHINE,
        (
            (
                "    if isinstance(from_stage, bool) or not isinstance(from_stage, (int, float)) or not math.isfinite(from_stage):\n"
                "        from_stage = None\n",
                "",
            ),
            (
                "    has_hint = False\n    if isinstance(raw, RetrySignal):\n",
                "    has_hint = False\n"
                "    if isinstance(from_stage, bool) or not isinstance(from_stage, (int, float)) or not math.isfinite(from_stage):\n"
                "        from_stage = None\n"
                "    if isinstance(raw, RetrySignal):\n",
            ),
        ),
        ("rm-retry-table-with-odd-from",),
    ),
    # Two checks swapped (a swap-statements survivor): when one request passes both retry
    # limits, the global one names the abort.
    "global-retry-limit-checked-first": Hole(
        STATE_MACHINE,
        (
            (
                "        if context.attempt_number > MAX_RETRIES_PER_CONTEXT:\n",
                "        if self._global_retries.get(target, 0) >= MAX_RETRIES_PER_STAGE:\n"
                "            return Abort(\n"
                '                f"Stage {target} exceeded global retry limit ({MAX_RETRIES_PER_STAGE} attempts).{context.hint_suffix()}"\n'
                "            )\n"
                "        if context.attempt_number > MAX_RETRIES_PER_CONTEXT:\n",
            ),
        ),
        ("rm-both-retry-limits-at-once",),
    ),
    # An early return moved above the branch it ended (a swap-statements survivor): a
    # table hint shown as `[object Object]` in the hint history.
    "every-hint-shown-as-its-text": Hole(
        STATE_MACHINE,
        (
            (
                "    if isinstance(hint, (str, dict, list, tuple)):\n        return hint\n    return js_string(hint)\n",
                "    return js_string(hint)\n",
            ),
        ),
        ("rm-retry-table-hint-history-keeps-tables",),
    ),
    # Another local read (swap-local survivors): the stage's global attempt taken for its
    # number, a branch's descriptors looked for in its normalized output or the command
    # result, and a failed branch's marker built from the shared input, not its own copy.
    "tries-involvement-read-off-the-attempt": Hole(
        STATE_MACHINE,
        (("involved = context is not None and stage in", "involved = context is not None and attempt in"),),
        ("rm-retried-stage-sees-its-tries",),
    ),
    "branch-descriptors-found-in-its-normalized-output": Hole(
        RUNNER,
        (
            (
                "finalize_stage_output(normalized, branch_input, value, own_descriptor, labels)",
                "finalize_stage_output(normalized, branch_input, normalized, own_descriptor, labels)",
            ),
        ),
        ("rm-group-branches-members-and-mutated-input",),
    ),
    "branch-descriptors-found-in-the-command-result": Hole(
        RUNNER,
        (
            (
                "finalize_stage_output(normalized, branch_input, value, own_descriptor, labels)",
                "finalize_stage_output(normalized, branch_input, raw, own_descriptor, labels)",
            ),
        ),
        ("rm-group-branches-members-and-mutated-input",),
    ),
    "marker-built-from-the-shared-input": Hole(
        RUNNER,
        (("marker = build_marker(index, exc, branch_input)", "marker = build_marker(index, exc, shared_input)"),),
        ("rm-group-branches-members-and-mutated-input",),
    ),
    "one-member-descriptor-merged-when-the-value-has-more-members": Hole(
        "harness/pipeline/values.py",
        (
            (
                "return found[0] if len(found) == 1 else merge_descriptors(*found)",
                "return found[0] if len(members) == 1 else merge_descriptors(*found)",
            ),
        ),
        ("rm-source-members-one-described",),
    ),
    # The raw answer tested where each descriptor found was meant: a null answer keeps none.
    "descriptors-kept-only-when-the-raw-answer-is-not-null": Hole(
        "harness/pipeline/values.py",
        (("        if found is not None:\n", "        if raw_output is not None:\n"),),
        ("rm-null-answer-keeps-input-labels",),
    ),
    "blank-audit-ref-counted-as-a-ref": Hole(
        DESCRIPTORS,
        (("        if ref is not None:\n            if ref in", "        if audit_ref is not None:\n            if ref in"),),
        ("rm-plain-descriptor-duplicates-and-padded-audit-refs",),
    ),
    # Stage 0 taken for the source before asking whether the pipeline runs it: a
    # literal input's `from = -1` (harness stage 0) was run as a source's first answer.
    "literal-stage-zero-run-as-the-source": Hole(
        "harness/pipeline/executor.py",
        (
            (
                "        if not self._runs_stage(stage):\n"
                "            # A `from` outside the pipeline names mlld's internal index.\n"
                '            return StageFailure(f"there is no stage {stage - 1 + self._first_entry}")\n'
                "        if stage == 0:\n"
                "            return await self._run_source(context)\n",
                "        if stage == 0:\n"
                "            return await self._run_source(context)\n"
                "        if not self._runs_stage(stage):\n"
                '            return StageFailure(f"there is no stage {stage - 1 + self._first_entry}")\n',
            ),
        ),
        ("rm-literal-retry-from-before-input",),
    ),
    # The same order in the names: a literal's stage 0 started or failed as `__source__`, not `unknown`.
    "literal-stage-zero-started-as-the-source": Hole(
        "harness/pipeline/executor.py",
        (
            (
                '    def entry_name(self, stage: int) -> str:\n        if not self._runs_stage(stage):\n            return "unknown"\n'
                '        if stage == 0:\n            return "__source__"\n',
                '    def entry_name(self, stage: int) -> str:\n        if stage == 0:\n            return "__source__"\n'
                '        if not self._runs_stage(stage):\n            return "unknown"\n',
            ),
        ),
        ("rm-literal-retry-from-before-input",),
    ),
    "literal-stage-zero-failed-as-the-source": Hole(
        "harness/pipeline/executor.py",
        (
            (
                '    def failed_command_name(self, stage: int) -> str:\n        if not self._runs_stage(stage):\n'
                '            return "unknown"\n        if stage == 0:\n            return "__source__"\n',
                '    def failed_command_name(self, stage: int) -> str:\n        if stage == 0:\n'
                '            return "__source__"\n        if not self._runs_stage(stage):\n            return "unknown"\n',
            ),
        ),
        ("rm-literal-retry-from-before-input",),
    ),
    # The entry looked up before the stage-0 test: with a source and no entry,
    # stage 0 reads entries[-1] of an empty pipeline and the run raises.
    "source-alone-started-after-an-entry-lookup": Hole(
        "harness/pipeline/executor.py",
        (
            (
                '            return "unknown"\n        if stage == 0:\n            return "__source__"\n'
                "        entry = self._entries[stage - 1]\n        if isinstance(entry, Command):\n",
                '            return "unknown"\n        entry = self._entries[stage - 1]\n'
                '        if stage == 0:\n            return "__source__"\n        if isinstance(entry, Command):\n',
            ),
        ),
        ("rm-source-alone-retries-then-fails",),
        "CRASHED",
    ),
    "source-alone-failed-after-an-entry-lookup": Hole(
        "harness/pipeline/executor.py",
        (
            (
                '            return "unknown"\n        if stage == 0:\n            return "__source__"\n'
                "        entry = self._entries[stage - 1]\n        return entry.name",
                '            return "unknown"\n        entry = self._entries[stage - 1]\n'
                '        if stage == 0:\n            return "__source__"\n        return entry.name',
            ),
        ),
        ("rm-source-alone-retries-then-fails",),
        "CRASHED",
    ),
}


def planted(tmp_path: Path, hole: Hole) -> Path:
    copy = project_copy(tmp_path, list(hole.scenarios))
    for original, replacement in hole.replacements:
        plant(copy / hole.file, original, replacement)
    return copy


@pytest.mark.parametrize("name", sorted(HOLES))
def test_each_former_hole_fails_the_check_on_every_scenario_that_pins_it(tmp_path: Path, name: str) -> None:
    hole = HOLES[name]
    result = run_check(planted(tmp_path, hole), list(hole.scenarios))
    assert result.returncode == 1, result.stdout + result.stderr
    for scenario in hole.scenarios:
        assert f"{hole.verdict:<17}{scenario}\n" in result.stdout, result.stdout
    assert f"total: 0 passed, {len(hole.scenarios)} failed" in result.stdout


def test_the_unplanted_copy_passes_on_every_scenario_the_holes_use(tmp_path: Path) -> None:
    scenarios = sorted({scenario for hole in HOLES.values() for scenario in hole.scenarios})
    result = run_check(project_copy(tmp_path, scenarios), scenarios)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"total: {len(scenarios)} passed, 0 failed" in result.stdout
