"""The floor app served the way `evo-gateway serve` serves the gateway: the same server (uvicorn's
httptools protocol with the slow-client deadlines, or granian), event loop, proxy-header handling
and logging, with none of the gateway's own work. Its row in bench/matrix.py shows what the server stack costs.

    python bench/baseline_served.py PORT [uvicorn|granian]
"""

from __future__ import annotations

import sys

from baseline_app import app

from gateway.config import Settings
from gateway.serving.listen import listen
from gateway.serving.server import ServeOptions, run_single


def main() -> None:
    port = int(sys.argv[1])
    server = sys.argv[2] if len(sys.argv) > 2 else "uvicorn"
    # The options `serve` runs with by default (its --limit-concurrency is 1000).
    options = ServeOptions(
        settings=Settings(), host="127.0.0.1", port=port, log_level="warning", limit_concurrency=1000, server=server
    )
    run_single(app, options, listen(options.host, port))


if __name__ == "__main__":
    main()
