"""Schemathesis hooks for scripts/schemathesis.sh: sign the shop's webhooks as the shop does.

A Standard Webhooks signature is a credential, like the bearer tokens of schemathesis.toml: without it every
request to /webhooks/prestashop would stop at 401 and its body would never be checked. Only requests generated
as valid (positive mode) are signed, with the time of sending, and only when the three headers are present, so
that schemathesis' own negative cases and missing-header checks still reach the server as generated.
"""

import base64
import hashlib
import hmac
import json
import os
import time

import schemathesis
from schemathesis import GenerationMode

# The same secret the bridge under test is started with (whsec_ prefix stripped, base64 decoded).
_KEY = base64.b64decode(os.environ["ST_WEBHOOK_SECRET"].removeprefix("whsec_") + "==")
_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/webhooks/prestashop" or case.headers is None:
        return
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return
    if not all(h in case.headers for h in _HEADERS):
        return
    timestamp = str(int(time.time()))
    case.headers["webhook-timestamp"] = timestamp
    # The bytes requests sends for json=: json.dumps with its defaults, no NaN.
    body = json.dumps(case.body, allow_nan=False).encode("utf-8")
    signed = f"{case.headers['webhook-id']}.{timestamp}.".encode("ascii") + body
    mac = hmac.new(_KEY, signed, hashlib.sha256).digest()
    case.headers["webhook-signature"] = "v1," + base64.b64encode(mac).decode("ascii")
