"""moto server (as `moto_server -H HOST -p PORT`), with DynamoDB requests applied one at a time.

DynamoDB applies the writes to one item one after the other: ten concurrent `ADD n 1` leave 10,
and a conditional write has exactly one winner. moto's threaded server runs requests in
parallel on shared in-memory tables, so concurrent updates of one item can be lost (seen: a
month counter at 14 after 15 concurrent increments). The store contract tests concurrency, so
the fake must be as atomic as the service. Other services (SQS long polls) stay concurrent.
"""

import argparse
import logging
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

parser = argparse.ArgumentParser()
parser.add_argument("-H", "--host", default="127.0.0.1")
parser.add_argument("-p", "--port", type=int, required=True)
args = parser.parse_args()

# One log line per request was 7 % of moto's CPU in the suite's DynamoDB streams (py-spy);
# warnings and tracebacks still reach the log (target/moto/NAME.log).
logging.getLogger("werkzeug").setLevel(logging.WARNING)

app = DomainDispatcherApplication(create_backend_app)
dynamodb = threading.Lock()


def serial_dynamodb(environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with dynamodb:
            # the whole response is produced under the lock
            return list(app(environ, start_response))
    return app(environ, start_response)


run_simple(args.host, args.port, serial_dynamodb, threaded=True, request_handler=MotoRequestHandler)
