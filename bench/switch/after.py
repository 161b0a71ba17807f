#!/usr/bin/env python3
"""Asks nginx for / on COUNT new connections, one after the other, right away; prints how many
answers were not WANT (another version, an error). Usage: after.py PORT WANT COUNT"""
import http.client
import sys

port, want, count = int(sys.argv[1]), sys.argv[2] + "\n", int(sys.argv[3])
others = 0
for _ in range(count):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/", headers={"Connection": "close"})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        connection.close()
        others += 0 if response.status == 200 and body == want else 1
    except (OSError, http.client.HTTPException):
        others += 1
print(others)
