"""Start-up time of a Lambda bootstrap to "ready" (its first poll of the Runtime API) and to its
first answer, against a stub Runtime API on loopback, with the deployment's configuration read
from moto's SSM and Secrets Manager as on AWS.

    python infra/scripts/lambda-startup.py <bootstrap> <event.json> [KEY=VALUE ...]

Needs AWS_ENDPOINT_URL (moto). A fresh table (the single-table design) and a queue with its
dead-letter queue are created on moto; in KEY=VALUE, {queue} and {dlq} stand for their URLs.
The function must answer the event through /response (not /error). Prints the binary size,
spawn -> first /next, spawn -> response.
"""
import base64, http.server, json, os, pathlib, secrets, subprocess, sys, threading, time
import urllib.request

root = pathlib.Path(__file__).resolve().parents[2]
bootstrap, event_path, *extra = sys.argv[1:]
event = pathlib.Path(event_path).read_text()
moto = os.environ["AWS_ENDPOINT_URL"]


def aws(target, service, body, version="1.1"):
    req = urllib.request.Request(moto, data=json.dumps(body).encode(), headers={
        "Content-Type": f"application/x-amz-json-{version}", "X-Amz-Target": target,
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20261124/ap-southeast-1/{service}/aws4_request, SignedHeaders=host, Signature=x"})
    return json.loads(urllib.request.urlopen(req).read() or b"{}")


name = f"motcua/startup-{secrets.token_hex(4)}/tenants"
aws("AmazonSSM.PutParameter", "ssm", {"Name": f"/{name}", "Type": "String", "Value": (root / "infra/local/tenants.toml").read_text()})
key = lambda: base64.b64encode(secrets.token_bytes(32)).decode()
doc = {"tenants": {t: {"pii_secret": key(), "zalo_oa_secret_key": key(), "zalo_app_secret": key(), "qr_key": key()} for t in ["tuyen-quang", "bac-ninh"]}}
arn = aws("secretsmanager.CreateSecret", "secretsmanager", {"Name": f"startup-{secrets.token_hex(4)}", "SecretString": json.dumps(doc)})["ARN"]

table = f"startup-{secrets.token_hex(4)}"
keys = ["PK", "SK"] + [f"GSI{i}{k}" for i in (1, 2, 3) for k in ("PK", "SK")]
aws("DynamoDB_20120810.CreateTable", "dynamodb", {
    "TableName": table, "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in keys],
    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [{"IndexName": f"GSI{i}", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [{"AttributeName": f"GSI{i}PK", "KeyType": "HASH"},
                                              {"AttributeName": f"GSI{i}SK", "KeyType": "RANGE"}]} for i in (1, 2, 3)]},
    version="1.0")
queues = {name: aws("AmazonSQS.CreateQueue", "sqs", {"QueueName": f"{table}-{name}"}, version="1.0")["QueueUrl"]
          for name in ("queue", "dlq")}

marks = {}
done = threading.Event()


class Runtime(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        if "next" in self.path:
            if "ready" in marks:  # second poll: the invocation is finished; hold it
                done.wait(5)
                self.send_response(500)
                self.end_headers()
                return
            marks["ready"] = time.perf_counter()
            body = event.encode()
            self.send_response(200)
            for k, v in {"Lambda-Runtime-Aws-Request-Id": "req-1", "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30000),
                         "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:ap-southeast-1:123456789012:function:startup",
                         "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793", "Content-Length": str(len(body))}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        marks.setdefault("answer", (time.perf_counter(), self.path, self.rfile.read(length)[:300]))
        self.send_response(202)
        self.end_headers()
        done.set()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
threading.Thread(target=server.serve_forever, daemon=True).start()
env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}", AWS_LAMBDA_FUNCTION_NAME="startup",
           AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="1", AWS_REGION="ap-southeast-1",
           AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_EC2_METADATA_DISABLED="true",
           MOTCUA_TENANTS_PARAMETER=f"/{name}", MOTCUA_SECRETS_ARN=arn, TABLE_NAME=table)
# Lambda sets no SSL_CERT_FILE / SSL_CERT_DIR; a host that does (this one sets both) would make
# the bootstrap read its whole certificate directory, which it does not do on Lambda.
for var in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
    env.pop(var, None)
env.update((k, v.format(**queues)) for k, v in (kv.split("=", 1) for kv in extra))
start = time.perf_counter()
proc = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
ok = done.wait(30)
proc.kill()
size = pathlib.Path(bootstrap).stat().st_size
if not ok or "ready" not in marks:
    print(proc.stderr.read().decode()[-2000:])
    sys.exit(f"{bootstrap}: no answer within 30 s")
at, path, answer = marks["answer"]
if not path.endswith("/response"):
    print(proc.stderr.read().decode()[-2000:])
label = pathlib.Path(bootstrap).parent.name if pathlib.Path(bootstrap).name == "bootstrap" else pathlib.Path(bootstrap).name
print(f"{label}: {size / 1e6:.1f} MB, spawn -> ready {1000 * (marks['ready'] - start):.0f} ms, "
      f"-> first answer {1000 * (at - start):.0f} ms ({path.rsplit('/', 1)[-1]}: {answer[:80]!r})")
sys.exit(0 if path.endswith("/response") else 1)
