#!/usr/bin/env python3
"""A tiny HTTPS client for poking the stand-in apiserver from inside a network namespace.

Run as `ip netns exec <ns> python3 https_client.py` with a JSON spec on stdin:
  {"base_url": "https://127.0.0.1:<port>", "ca_file": "<path>" | null (no verification),
   "token": "<bearer token>" | null, "timeout": 10, "one_connection": true,
   "user_agent": "...", "client_cert": null, "client_key": null,
   "requests": [{"method": "GET", "path": "/api/v1/...", "token": <overrides>,
                 "headers": {...}, "body": <JSON value or string>,
                 "content_type": "...", "timeout": <seconds>}]}
Prints one JSON list, a result per request:
  {"status": int | null, "headers": {lower-case name: value}, "body": str, "json": value | null,
   "error": str | null, "error_type": str | null, "elapsed_ms": float}
With one_connection (the default) requests share one keep-alive connection, which is opened again
after an error. Python 3 standard library only.
"""

import http.client
import json
import ssl
import sys
import time
from urllib.parse import urlsplit


def main():
    spec = json.load(sys.stdin)
    url = urlsplit(spec["base_url"])
    host, port = url.hostname, url.port or 443
    if spec.get("ca_file"):
        ctx = ssl.create_default_context(cafile=spec["ca_file"])
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if spec.get("client_cert"):
        ctx.load_cert_chain(spec["client_cert"], spec.get("client_key"))
    default_timeout = float(spec.get("timeout", 10))
    one_connection = spec.get("one_connection", True)
    conn = None
    results = []
    for req in spec.get("requests", []):
        timeout = float(req.get("timeout", default_timeout))
        if conn is None:
            conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=timeout)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        headers = {"Accept": "application/json",
                   "User-Agent": spec.get("user_agent", "fake-apiserver-selftest")}
        token = req["token"] if "token" in req else spec.get("token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = req.get("body")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        if body is not None:
            body = body.encode("utf-8")
            headers["Content-Type"] = req.get("content_type", "application/json")
        headers.update(req.get("headers") or {})
        out = {"status": None, "headers": {}, "body": "", "json": None, "error": None,
               "error_type": None, "elapsed_ms": None}
        started = time.monotonic()
        try:
            conn.request(req.get("method", "GET"), req["path"], body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out["status"] = resp.status
            out["headers"] = {k.lower(): v for k, v in resp.getheaders()}
            out["body"] = data.decode("utf-8", errors="replace")
            try:
                out["json"] = json.loads(out["body"])
            except ValueError:
                pass
            if resp.will_close:
                conn.close()
                conn = None
        except Exception as exc:  # every failure is data for the test
            out["error"] = str(exc) or repr(exc)
            out["error_type"] = type(exc).__name__
            conn.close()
            conn = None
        out["elapsed_ms"] = round((time.monotonic() - started) * 1000.0, 3)
        results.append(out)
        if not one_connection and conn is not None:
            conn.close()
            conn = None
    if conn is not None:
        conn.close()
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
