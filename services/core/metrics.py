"""A Prometheus registry per app (design §6): two apps in one process (tests, the demo) never collide.

Metric names follow ``careline_<service>_<thing>_<unit>``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)

    def name(self, thing: str) -> str:
        return f"careline_{self.service}_{thing}"

    def counter(self, thing: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(self.name(thing), doc, labels, registry=self.registry)

    def gauge(self, thing: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(self.name(thing), doc, labels, registry=self.registry)

    def histogram(self, thing: str, doc: str, labels: tuple[str, ...] = (), buckets=None) -> Histogram:
        kwargs = {"buckets": buckets} if buckets else {}
        return Histogram(self.name(thing), doc, labels, registry=self.registry, **kwargs)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
