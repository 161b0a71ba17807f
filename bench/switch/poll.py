#!/usr/bin/env python3
"""Asks nginx for / over one keep-alive connection, again and again, until the body is WANT;
prints the Unix time (s, float) of that first answer. Touches READY after its first answer, so
the caller knows it polls. Usage: poll.py PORT WANT READY [timeout_s]"""
import http.client
import pathlib
import sys
import time

port, want, ready = int(sys.argv[1]), sys.argv[2] + "\n", pathlib.Path(sys.argv[3])
deadline = time.monotonic() + float(sys.argv[4] if len(sys.argv) > 4 else 120)
connection = None
while time.monotonic() < deadline:
    try:
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        answered = time.time()
        if not ready.exists():
            ready.touch()
        if response.status == 200 and body == want:
            print(f"{answered:.6f}")
            sys.exit(0)
    except (OSError, http.client.HTTPException):
        if connection is not None:
            connection.close()
        connection = None
        time.sleep(0.001)
sys.exit(f"poll.py: nginx never answered {want.strip()!r} on port {port}")
