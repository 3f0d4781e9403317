// Logs, the slow log, the flight recorder and metrics of a server (docs/observability.md).
export { Observability, MAX_LOG_MESSAGE, type CallOrigin, type ObservabilityOptions } from "./hub.js";
export { OBSERVABILITY_DEFAULTS, OBSERVABILITY_PARAMS, observabilityFields, type ObservabilitySettings } from "./config.js";
export { serveMetrics, metricsRegistry, DURATION_BUCKETS, type MetricsServer, type MetricsSources } from "./metrics.js";
export { memoryObservationStore } from "./memory.js";
export { slowlogArgs } from "./slowlog.js";
export * from "./entries.js";
export type * from "./store.js";
