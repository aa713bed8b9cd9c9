"""The watch cache: recent changes per cluster, and wake-ups for watches and log followers.

Like the API server's watch cache it lives in memory: a watch can resume from any
resourceVersion the cache still holds, and gets `410 Gone` for older ones (after a restart the
cache starts at the cluster's current resourceVersion).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from .errors import gone

HISTORY = 5000


@dataclass(frozen=True)
class Change:
    """One stored change: ADDED, MODIFIED or DELETED, with the object before it (if any)."""

    rv: int
    type: str
    resource: str
    namespace: str
    obj: dict[str, Any]
    old: dict[str, Any] | None


class _ClusterFeed:
    def __init__(self, floor: int) -> None:
        self.floor = floor
        self.changes: deque[Change] = deque()
        self.waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()


class Hub:
    """Recent changes of every cluster, and the watches waiting for more (thread-safe)."""

    def __init__(self, keep: int = HISTORY) -> None:
        self._keep = keep
        self._feeds: dict[str, _ClusterFeed] = {}
        self._lock = threading.Lock()

    def _feed(self, key: str, current: int) -> _ClusterFeed:
        feed = self._feeds.get(key)
        if feed is None:
            feed = self._feeds[key] = _ClusterFeed(current)
        return feed

    def publish(self, key: str, change: Change | None, current: int) -> None:
        """Record `change` (None: only wake followers, e.g. a new log line) and wake watchers."""
        with self._lock:
            feed = self._feed(key, current - 1 if change else current)
            if change is not None:
                feed.changes.append(change)
                while len(feed.changes) > self._keep:
                    feed.floor = feed.changes.popleft().rv
            waiters = list(feed.waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def since(self, key: str, rv: int, current: int) -> list[Change]:
        """Changes after `rv`; 410 Gone if the cache no longer reaches back that far."""
        with self._lock:
            feed = self._feed(key, current)
            if rv < feed.floor:
                raise gone(rv, feed.floor + 1)
            return [c for c in feed.changes if c.rv > rv]

    def subscribe(self, key: str, current: int) -> asyncio.Event:
        """An event set whenever the cluster changes; pass it to `unsubscribe` when done."""
        event = asyncio.Event()
        with self._lock:
            self._feed(key, current).waiters.add((asyncio.get_running_loop(), event))
        return event

    def unsubscribe(self, key: str, event: asyncio.Event) -> None:
        """Stop waking `event`."""
        with self._lock:
            feed = self._feeds.get(key)
            if feed is not None:
                feed.waiters = {w for w in feed.waiters if w[1] is not event}

    def forget(self, key: str | None = None) -> None:
        """Drop a removed cluster's cache (None: every cluster's), waking its watches to end."""
        with self._lock:
            keys = list(self._feeds) if key is None else [key]
            feeds = [self._feeds.pop(k) for k in keys if k in self._feeds]
        for feed in feeds:
            for loop, event in feed.waiters:
                loop.call_soon_threadsafe(event.set)
