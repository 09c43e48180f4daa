"""A stand-in OTLP/HTTP receiver for tests (no OpenTelemetry Collector is installable here).

Python's standard library only. It listens on 127.0.0.1, prints `listening PORT`, and keeps every
POST to /v1/traces: JSON bodies decoded, any other (protobuf) as its content type and length.
GET /received answers what it kept, as a JSON list.
"""

import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self._body()
        if self.path != "/v1/traces":
            self._answer(404, {"error": f"no route for POST {self.path}"})
            return
        content_type = self.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            received.append({"contentType": content_type, "body": json.loads(body)})
        else:
            received.append({"contentType": content_type, "length": len(body)})
        # An OTLP ExportTraceServiceResponse with nothing rejected.
        self._answer(200, {})

    def _body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
                if size == 0:
                    break
            body = b"".join(chunks)
        else:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.headers.get("content-encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return body

    def do_GET(self):
        if self.path == "/received":
            self._answer(200, received)
        else:
            self._answer(404, {"error": f"no route for GET {self.path}"})

    def _answer(self, status, value):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(f"listening {server.server_address[1]}", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
