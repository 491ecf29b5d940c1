"""``GET /metrics``: Prometheus text for one ``crm-pulse run``.

One registry per process (never the library's global one: tests build many apps). The
layers below know nothing of Prometheus: app hands them plain callables (``observe_*``), and
figures that live elsewhere (portal requests) are read when scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 30, 60, 300)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.syncs = Counter("crm_pulse_syncs", "Syncs run, by outcome", ["outcome"], registry=r)
        self.rows = Counter(
            "crm_pulse_rows_written", "Rows written to the store by syncs and events", registry=r
        )
        self.errors = Counter(
            "crm_pulse_errors", "Failures by where they happened", ["where"], registry=r
        )
        self.events = Counter(
            "crm_pulse_events", "Portal events received, by outcome", ["outcome"], registry=r
        )
        self.event_latency = Histogram(
            "crm_pulse_event_to_store_seconds",
            "From an event's arrival to its record written in the store",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.alert_latency = Histogram(
            "crm_pulse_alert_latency_seconds",
            "From a missed call's end to its alert sent",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.requests = Gauge(
            "crm_pulse_portal_requests", "HTTP requests made to the portal", registry=r
        )

    def read_posts(self, source: Callable[[], Mapping[str, int]]) -> None:
        """Posts are in the delivery ledger (every process's, across restarts): read at scrape."""
        self.registry.register(_Posts(source))

    def read_requests(self, source: Callable[[], float]) -> None:
        """Portal requests are counted by the client; read them at scrape time."""
        self.requests.set_function(source)

    async def handler(self, request: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class _Posts(Collector):
    def __init__(self, source: Callable[[], Mapping[str, int]]) -> None:
        self._source = source

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "crm_pulse_posts_sent", "Messages delivered, by job (the ledger)", labels=["job"]
        )
        for job, count in sorted(self._source().items()):
            family.add_metric([job], count)
        yield family
