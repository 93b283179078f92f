"""The serving process around the application: per-request records, request ids, the access log,
metrics, health probes, the HTTP protocol's client timeouts, and the process supervisor."""
