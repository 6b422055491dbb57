"""A gRPC quote service (grpcio, generic handlers over raw bytes: no generated code), used to make
real Python gRPC logs. A server interceptor logs every call as many teams write one: the method,
str(context.code()) and the time, at INFO whatever the code.

APP_MODE selects the build being "deployed":
  good         quotes from the in-process price table; unknown SKUs are NOT_FOUND (the caller's error)
  unavailable  2.1.0 moved the price table behind a pricing backend that is not deployed: every
               cache miss (about a third of the calls) is aborted with UNAVAILABLE
"""

import logging
import os
import sys
import time
from concurrent import futures

import grpc

MODE = os.environ.get("APP_MODE", "good")
VERSION = os.environ.get("APP_VERSION", "2.0.3")
logging.basicConfig(
    level=logging.INFO, format="%(asctime)s %(levelname)s [%(name)s] %(message)s", stream=sys.stdout
)
log = logging.getLogger("quote.access")
PRICES = {f"SKU-{n}": 100 + n % 37 for n in range(1, 900)}


class AccessLog(grpc.ServerInterceptor):
    def intercept_service(self, continuation, details):
        handler = continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method, inner = details.method, handler.unary_unary

        def logged(request, context):
            started = time.perf_counter()
            try:
                return inner(request, context)
            finally:
                code = context.code() or grpc.StatusCode.OK
                log.info("%s code=%s %.1fms", method, code, (time.perf_counter() - started) * 1000)

        return grpc.unary_unary_rpc_method_handler(logged)


def quote(request: bytes, context: grpc.ServicerContext) -> bytes:
    sku = request.decode()
    if sku not in PRICES:
        context.abort(grpc.StatusCode.NOT_FOUND, f"no such sku {sku}")
    time.sleep(0.002)
    if MODE == "unavailable" and int(sku.split("-")[1]) % 3 == 0:  # not in the local cache
        context.abort(grpc.StatusCode.UNAVAILABLE, "pricing backend unavailable")
    return str(PRICES[sku]).encode()


def main() -> None:
    port = int(sys.argv[1])
    methods = {"Get": grpc.unary_unary_rpc_method_handler(quote)}
    handler = grpc.method_handlers_generic_handler("shop.Quote", methods)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[AccessLog()])
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    logging.getLogger("quote").info("quote %s serving gRPC on 127.0.0.1:%d", VERSION, port)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
