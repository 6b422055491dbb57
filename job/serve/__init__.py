"""The web-provider service: `app` (routes, config, metrics), `http` (the HTTP server),
`flight` (single-flight, cache, concurrency cap, deadline), `params` (web parameters -> options).

Other modules import from here, not from the submodules: this is the package's public surface.
"""

from job.serve.app import (
    App,
    Response,
    ServiceConfig,
    collection_deadline,
    create_app,
    encode_verdict,
    error_response,
    json_response,
    serve,
)

__all__ = [
    "App",
    "Response",
    "ServiceConfig",
    "collection_deadline",
    "create_app",
    "encode_verdict",
    "error_response",
    "json_response",
    "serve",
]
