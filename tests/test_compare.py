"""Grouping differences: one change to a value is one group, whatever views of it repeat it.

Planted mistakes (each tried in a temporary copy): a key of
``str(left), str(right)`` folds ``output.data[0]: 1 != 2`` into
``output.text: '1' != '2'`` and fails
``test_equal_text_of_different_types_is_another_change``; grouping every path
(no ``_VALUE_VIEW`` test) folds the two timeline differences and fails
``test_differences_outside_value_views_stay_apart``.
"""

from __future__ import annotations

from harness.compare import Difference, DifferenceGroup, group_differences


def test_the_views_of_one_value_form_one_group_in_document_order() -> None:
    differences = [
        Difference("output.text", '["a","c"]', '["c","a"]'),
        Difference("output.data[0]", "a", "c"),
        Difference("output.branches[0].text", "a", "c"),
        Difference("stages[1].text", '["a","c"]', '["c","a"]'),
        Difference("stages[1].data[0]", "a", "c"),
        Difference("stages[1].data[1]", "c", "a"),
    ]
    assert group_differences(differences) == [
        DifferenceGroup(differences[0], ("stages[1].text",)),
        DifferenceGroup(differences[1], ("output.branches[0].text", "stages[1].data[0]")),
        DifferenceGroup(differences[5]),
    ]
    assert group_differences(differences)[1].paths == ("output.data[0]", "output.branches[0].text", "stages[1].data[0]")


def test_differences_outside_value_views_stay_apart() -> None:
    differences = [Difference("timeline[0].end_ms", 10, 20), Difference("timeline[1].end_ms", 10, 20)]
    assert group_differences(differences) == [DifferenceGroup(differences[0]), DifferenceGroup(differences[1])]


def test_equal_text_of_different_types_is_another_change() -> None:
    differences = [Difference("output.data[0]", 1, 2), Difference("output.text", "1", "2")]
    assert [group.also for group in group_differences(differences)] == [(), ()]
