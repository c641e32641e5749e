"""The services' metrics in Prometheus' text format, for `GET /api/metrics` (docs/runtime/metrics.md).

A custom collector reads the Metrics store when scraped: nothing of prometheus_client runs on
the request path, and each app has its own registry (no process-wide global).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from .metrics import BOUNDS, Metrics

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LABELS = ["project_id", "project"]


class ServiceCollector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self):
        running = self.metrics.running()
        slugs = {**self.metrics.slugs, **running}
        families = {
            "requests": CounterMetricFamily("m3m_service_requests", "Requests answered by the service's routes", labels=LABELS),
            "errors": CounterMetricFamily("m3m_service_errors", "Requests answered with a 5xx (the route threw, timed out, or the service was down)", labels=LABELS),
            "recycles": CounterMetricFamily("m3m_service_recycles", "Workers replaced by a hand-over (RSS or request count)", labels=LABELS),
            "crashes": CounterMetricFamily("m3m_service_crashes", "Crashes of the service's worker", labels=LABELS),
            "restarts": CounterMetricFamily("m3m_service_restarts", "Restarts after a crash", labels=LABELS),
            "js_errors": CounterMetricFamily("m3m_service_js_errors", "ERROR lines the service's JS logged (console.error, $logger.error, a timer or schedule job that threw)", labels=LABELS),
        }
        latency = HistogramMetricFamily("m3m_service_request_duration_seconds", "Time to answer a request to the service's routes", labels=LABELS)
        memory = GaugeMetricFamily("m3m_service_memory_bytes", "RSS of the service's worker (0 when none runs)", labels=LABELS)
        up = GaugeMetricFamily("m3m_service_running", "1 when the service has a running worker", labels=LABELS)
        for project_id in sorted(set(self.metrics.services) | set(running)):
            labels = [project_id, slugs.get(project_id, "")]
            service = self.metrics.services.get(project_id)
            if service is not None:
                for key, family in families.items():
                    family.add_metric(labels, getattr(service, key))
                cumulative, buckets = 0, []
                for bound, count in zip((*BOUNDS, float("inf")), service.histogram):
                    cumulative += count
                    buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
                latency.add_metric(labels, buckets, service.latency_sum)
            rss = self.metrics.memory_of(project_id)
            memory.add_metric(labels, rss)
            up.add_metric(labels, 1 if project_id in running else 0)
        yield from families.values()
        yield latency
        yield memory
        yield up


def exposition(metrics: Metrics) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector(metrics))
    return generate_latest(registry)
