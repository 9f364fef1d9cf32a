"""Writes a property makes to a shared example database, held until the property ends.

hypothesis saves a failing example under the test's primary key as soon as
it finds it, and again at every step of shrinking (each smaller one saved,
the one before moved aside). A process that reads the key in the meantime
replays a half-shrunk example, and hypothesis does not shrink an example it
reused from the primary key: it takes it as shrunk already
(``reused_previously_shrunk_test_case`` in
``hypothesis/internal/conjecture/engine.py``). Two ``harness fuzz`` workers
on one directory, or two nightly shards on one Redis, then report one bug
twice, once unshrunk.

:class:`PublishingDatabase` closes that window: it keeps the writes of the
test in progress in a journal, answers this process's own reads with the
journal applied, and hands the journal to the shared database in order when
the test ends (:meth:`PublishingDatabase.publish`, called by the pytest
plugin after each test's call phase). Other processes see either nothing of
a test's run or its end state: the shrunk example under the primary key.
What a process that is killed during a test held is lost with it; its pytest
report is lost too, so nothing it reported points at a missing example.

No library offers this: hypothesis's wrappers (``MultiplexedDatabase``,
``ReadOnlyDatabase``, ``BackgroundWriteDatabase``) either write at once or
write later without a point where the test's shrinking is known to be done.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Literal, final

from hypothesis.database import ExampleDatabase

__all__ = ["PublishingDatabase"]

_Operation = tuple[Literal["save", "delete"], bytes, bytes]


@final
class PublishingDatabase(ExampleDatabase):
    """``database`` as this process sees it, with its writes held until :meth:`publish`."""

    def __init__(self, database: ExampleDatabase) -> None:
        super().__init__()
        self._database = database
        self._journal: list[_Operation] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PublishingDatabase({self._database!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublishingDatabase) and self._database == other._database

    @property
    def database(self) -> ExampleDatabase:
        """The shared database the journal is published to."""
        return self._database

    @property
    def pending(self) -> int:
        """How many writes wait for :meth:`publish`."""
        return len(self._journal)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        with self._lock:
            journal = [(operation, value) for operation, held_key, value in self._journal if held_key == key]
        present = dict.fromkeys(self._database.fetch(key))
        for operation, value in journal:
            if operation == "save":
                present[value] = None
            else:
                present.pop(value, None)
        yield from present

    def save(self, key: bytes, value: bytes) -> None:
        with self._lock:
            self._journal.append(("save", key, value))

    def delete(self, key: bytes, value: bytes) -> None:
        with self._lock:
            self._journal.append(("delete", key, value))

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        if src == dest:
            self.save(src, value)
            return
        with self._lock:
            self._journal.extend((("delete", src, value), ("save", dest, value)))

    def publish(self) -> int:
        """Apply the held writes to the shared database in the order they were made; return how many."""
        with self._lock:
            journal, self._journal = self._journal, []
        for operation, key, value in journal:
            getattr(self._database, operation)(key, value)
        return len(journal)

    # Change listeners hear the shared database's changes, as they are published.
    def _start_listening(self) -> None:
        self._database.add_listener(self._broadcast_change)

    def _stop_listening(self) -> None:
        self._database.remove_listener(self._broadcast_change)
