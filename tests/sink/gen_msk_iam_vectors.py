#!/usr/bin/env python3
"""Generate the known-answer MSK IAM tokens used by tests/sink/test_auth_msk_iam.c.

The expected values come from AWS's own signer, aws-msk-iam-sasl-signer-python (which signs
with botocore's SigV4QueryAuth), run at a fixed clock with fixed credentials. Nothing here is
shared with cerelay's C code. To regenerate:

    python3 -m venv /tmp/msk-venv
    /tmp/msk-venv/bin/pip install aws-msk-iam-sasl-signer-python
    /tmp/msk-venv/bin/python tests/sink/gen_msk_iam_vectors.py

and paste the output into the test. Versions used for the committed values: see the first
lines of the output (aws-msk-iam-sasl-signer-python 1.0.2, botocore 1.44.5).
"""
import base64
import datetime
import importlib.metadata
from unittest import mock

import botocore.auth
from botocore.credentials import CredentialProvider, Credentials

from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

FIXED = datetime.datetime(2024, 3, 1, 12, 34, 56)  # naive UTC, as botocore uses it

CASES = [
    # name, region, access key, secret, session token
    ("session", "us-east-1", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
     "FwoGZXIvYXdzEXAMPLE/session+token=="),
    ("nosession", "ap-south-1", "AKIAIOSFODNN7EXAMPLE",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None),
]


class Fixed(CredentialProvider):
    def __init__(self, ak, sk, tok):
        super().__init__()
        self.creds = Credentials(ak, sk, tok)

    def load(self):
        return self.creds


def main():
    for lib in ("aws-msk-iam-sasl-signer-python", "botocore"):
        print(f"# {lib} {importlib.metadata.version(lib)}")
    print(f"# user agent: {MSKAuthTokenProvider.__get_user_agent__()}")
    print(f"# clock: {FIXED.isoformat()}Z")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=FIXED):
        for name, region, ak, sk, tok in CASES:
            token, expiry_ms = \
                MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
                    region, Fixed(ak, sk, tok))
            url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            print(f"[{name}]")
            print(f"expiry_ms = {expiry_ms}")
            print(f"url = {url}")
            print(f"token = {token}")


if __name__ == "__main__":
    main()
