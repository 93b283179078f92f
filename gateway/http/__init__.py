"""HTTP concerns around the operations: content codings of request and response bodies, and CORS."""
