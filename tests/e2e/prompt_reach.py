#!/usr/bin/env python3
"""Helpers for the prompt delivery tests (prompt_reach.sh, prompt_remind.sh):
Slack's interactive payloads signed as Slack signs them, the Slack stand-in's
recorded calls, and the links in the messages the SMTP sink kept.

  slack A SECRET JSON            POST A/slack/interactive, payload=JSON signed
                                 (v0, timestamp); prints "STATUS BODY"
  calls BASE [METHOD]            the stand-in's recorded Slack calls (JSON list)
  wait-call BASE METHOD N [S]    waits until N calls of METHOD, prints the last
  mail DIR N [S]                 waits for DIR/N.eml; prints JSON {to, subject, text, link}
"""
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request


def slack(base, secret, payload):
    body = ("payload=" + urllib.parse.quote(payload)).encode()
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(base + "/slack/interactive", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig})
    try:
        with urllib.request.urlopen(req) as r:
            print(r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode())


def calls(base, method=None):
    j = json.load(urllib.request.urlopen(base + "/slack/calls"))["calls"]
    return [c for c in j if method is None or c["method"] == method]


def main():
    cmd = sys.argv[1]
    if cmd == "slack":
        slack(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "calls":
        print(json.dumps(calls(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)))
    elif cmd == "wait-call":
        base, method, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
        limit = float(sys.argv[5]) if len(sys.argv) > 5 else 30
        t0 = time.time()
        while True:
            c = calls(base, method)
            if len(c) >= n:
                print(json.dumps(c[n - 1]))
                return
            if time.time() - t0 > limit:
                print("")
                return
            time.sleep(0.05)
    elif cmd == "mail":
        d, n = sys.argv[2], sys.argv[3]
        limit = float(sys.argv[4]) if len(sys.argv) > 4 else 30
        path = os.path.join(d, n + ".eml")
        t0 = time.time()
        while not os.path.exists(path):
            if time.time() - t0 > limit:
                print("{}")
                return
            time.sleep(0.05)
        m = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
        text = m.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"http://\S+/prompts/\S+", text)
        print(json.dumps({"to": m["To"], "subject": m["Subject"], "text": text,
                          "link": link.group(0) if link else None}))


if __name__ == "__main__":
    main()
