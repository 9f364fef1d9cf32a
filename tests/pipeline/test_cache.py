"""The stage output cache (spec R2.3)."""

from __future__ import annotations

from harness.pipeline.cache import StageOutputCache
from harness.pipeline.values import text_value


def test_initialize_forgets_entries_and_sets_initial_and_final() -> None:
    """R2.3: ``initialize`` clears; the wrapper is both the initial and the final value."""
    cache = StageOutputCache()
    cache.set(1, text_value("old"))
    wrapper = text_value("in")
    cache.initialize(wrapper)
    assert cache.initial is wrapper and cache.final is wrapper
    assert cache.get(1, "fallback").text == "fallback"


def test_negative_index_reads_the_initial_value() -> None:
    """R2.3: ``get(i < 0)`` is the initial wrapper, created from the fallback text when missing."""
    cache = StageOutputCache()
    created = cache.get(-1, "made")
    assert created.text == "made"
    assert cache.get(-1, "other") is created
    wrapper = text_value("in")
    cache.initialize(wrapper)
    assert cache.get(-1, "ignored") is wrapper


def test_missing_entries_are_created_as_text_and_cached() -> None:
    """R2.3: a missing entry becomes a plain text wrapper of the fallback, cached for later reads."""
    cache = StageOutputCache()
    created = cache.get(2, "text")
    assert (created.type, created.text, created.data) == ("text", "text", "text")
    assert cache.get(2, "different") is created


def test_set_stores_and_becomes_final() -> None:
    """R2.3: ``set`` stores the value and makes it the final value."""
    cache = StageOutputCache()
    value = text_value("v")
    cache.set(3, value)
    assert cache.get(3, "unused") is value
    assert cache.final is value


def test_clear_from_drops_that_index_and_later_ones() -> None:
    """R2.3: ``clear_from(i)`` drops every entry with index ``>= i``."""
    cache = StageOutputCache()
    kept, dropped, later = text_value("0"), text_value("1"), text_value("2")
    for index, value in enumerate((kept, dropped, later)):
        cache.set(index, value)
    cache.clear_from(1)
    assert cache.get(0, "x") is kept
    assert cache.get(1, "fresh").text == "fresh"
    assert cache.get(2, "fresh").text == "fresh"


def test_update_initial_replaces_initial_and_final() -> None:
    """R2.3: ``update_initial`` (a re-run source) replaces both the initial and the final value."""
    cache = StageOutputCache()
    cache.initialize(text_value("first"))
    cache.set(1, text_value("stage"))
    replacement = text_value("again")
    cache.update_initial(replacement)
    assert cache.initial is replacement and cache.final is replacement
    assert cache.get(-1, "x") is replacement


def test_a_new_cache_has_no_initial_and_no_final_value() -> None:
    """Before a run initializes it, the cache holds nothing: both values are ``None`` (not empty text)."""
    cache = StageOutputCache()
    assert cache.initial is None
    assert cache.final is None
