#!/usr/bin/env python3
"""Regenerate pii.tsv, the labelled corpus of tests/gov/test_mask_corpus.c.

Each line is `label<TAB>text`. Positive labels are detector names (email, phone, card, ip, ssn,
aws_key, jwt, bearer, api_key, secret): the text holds at least one instance that detector must
find. Negative labels start with `neg.` and name a class of look-alikes that no detector may match
(ids, model names, timestamps...). Generated lines use a fixed seed; hand-written lines are in the
lists below. Run: python3 gen_pii.py > pii.tsv
"""
import base64
import json
import random
import string

R = random.Random(20260227)
B62 = string.ascii_letters + string.digits
B64 = B62 + "+/"
URL = B62 + "-_"
HEX = "0123456789abcdef"


def rnd(alpha, n):
    return "".join(R.choice(alpha) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(R.randrange(10))
    for check in range(10):
        d = digits + [check]
        s = 0
        for i, v in enumerate(reversed(d)):
            if i % 2:
                v *= 2
                if v > 9:
                    v -= 9
            s += v
        if s % 10 == 0:
            return "".join(map(str, d))


def group(num, sizes, sep):
    out, i = [], 0
    for s in sizes:
        out.append(num[i:i + s])
        i += s
    return sep.join(out)


CONTEXTS = [
    "{}",
    "contact: {}",
    "User wrote: please reach me at {} tomorrow",
    "[{}]",
    "value={}",
    "\"{}\"",
    "see <{}> for details",
    "{} (primary)",
    "Customer said their details are {}, thanks!",
    "log line 42: got {} from upstream",
]


def ctx(v):
    return R.choice(CONTEXTS).format(v)


lines = []


def add(label, text):
    assert "\t" not in text and "\n" not in text, text
    lines.append((label, text))


# ---- email ---------------------------------------------------------------------------------
FIRST = ["john", "jane", "maria", "li.wei", "o.connor", "ahmed", "sofia", "kenji", "priya",
         "lucas", "emma", "noah", "chloe", "mateo", "anna-lena", "zoe_k", "r2d2", "j.doe+billing"]
DOMAINS = ["acme.com", "example.org", "mail.example.co.uk", "eventzr.io", "gmail.com",
           "outlook.de", "corp.acme.internal.net", "uni-heidelberg.de", "tenant-7f3a9c2e.acme.io",
           "sub.domain.example.museum", "yahoo.co.jp", "proton.me", "company.travel"]
for k in range(56):
    local = R.choice(FIRST)
    if k % 3 == 0:
        local += str(R.randrange(1, 999))
    if k % 7 == 0:
        local = local.upper()
    add("email", ctx(local + "@" + R.choice(DOMAINS)))
for t in ["mailto:support@eventzr.io?subject=help", "Jane Doe <jane.doe@acme.com>",
          "From: \"Support\" <no-reply@notifications.example.com>",
          "user_email=first.last%40x.com OR first.last@x.com",
          "cc: a@b.co, c@d.io", "tenant/acme/user/jane.doe@acme.com",
          "ping bob.smith@mail.acme-corp.com.", "ADMIN@EXAMPLE.COM"]:
    add("email", t)

# ---- phone ---------------------------------------------------------------------------------
def nanp():
    return R.randrange(2, 10), R.randrange(10, 100), R.randrange(2, 10), R.randrange(10, 100), \
        R.randrange(0, 10000)


for k in range(20):
    a1, a2, e1, e2, line = nanp()
    area, exch = f"{a1}{a2:02d}", f"{e1}{e2:02d}"
    fmt = k % 7
    v = [f"({area}) {exch}-{line:04d}", f"{area}-{exch}-{line:04d}", f"{area}.{exch}.{line:04d}",
         f"{area} {exch} {line:04d}", f"1-{area}-{exch}-{line:04d}", f"+1 {area} {exch} {line:04d}",
         f"+1-{area}-{exch}-{line:04d}"][fmt]
    add("phone", ctx(v))
E164 = [("44", [2, 4, 4]), ("49", [3, 8]), ("33", [1, 2, 2, 2, 2]), ("91", [5, 5]),
        ("81", [2, 4, 4]), ("61", [1, 4, 4]), ("86", [3, 4, 4]), ("34", [3, 3, 3]),
        ("39", [3, 3, 4]), ("55", [2, 5, 4]), ("27", [2, 3, 4]), ("353", [1, 3, 4])]
for k in range(24):
    cc, sizes = R.choice(E164)
    digits = str(R.randrange(1, 10)) + rnd("0123456789", sum(sizes) - 1)
    sep = R.choice([" ", "-", ".", " "])
    v = "+" + cc + (sep if k % 4 else " ") + group(digits, sizes, sep)
    if k % 6 == 5:
        v = "+" + cc + digits
    add("phone", ctx(v))
for v in ["020 7946 0958", "07700 900123", "0161 496 0000", "(02) 9876 5432", "0412 345 678",
          "030 12345678", "0171 1234567", "01 23 45 67 89", "06.12.34.56.78", "03-1234-5678",
          "090-1234-5678", "0044 20 7946 0958", "+44 (0)20 7946 0958", "98765 43210",
          "138 0013 8000", "(415) 555-2671", "tel:+14155552671", "call me on 0049 30 1234567",
          "+33 6 12 34 56 78", "Phone: +61 2 9876 5432.", "+1 (212) 555-0198"]:
    add("phone", ctx(v))

# ---- card ----------------------------------------------------------------------------------
BRANDS = [("4", 16, [4, 4, 4, 4]), ("4", 13, [4, 4, 5]), ("51", 16, [4, 4, 4, 4]),
          ("55", 16, [4, 4, 4, 4]), ("2221", 16, [4, 4, 4, 4]), ("2720", 16, [4, 4, 4, 4]),
          ("34", 15, [4, 6, 5]), ("37", 15, [4, 6, 5]), ("6011", 16, [4, 4, 4, 4]),
          ("65", 16, [4, 4, 4, 4]), ("3530", 16, [4, 4, 4, 4]), ("36", 14, [4, 6, 4]),
          ("62", 19, [4, 4, 4, 4, 3]), ("6759", 18, [4, 4, 4, 4, 2]), ("4", 19, [4, 4, 4, 4, 3])]
for k in range(60):
    prefix, length, sizes = BRANDS[k % len(BRANDS)]
    num = luhn_complete(prefix, length)
    style = k % 3
    v = num if style == 0 else group(num, sizes, " " if style == 1 else "-")
    add("card", ctx(v))
for v in ["4111 1111 1111 1111", "4242424242424242", "5555-5555-5555-4444", "378282246310005",
          "card ending 6011 1111 1111 1117 exp 12/27"]:
    add("card", v)

# ---- ip ------------------------------------------------------------------------------------
for k in range(30):
    v = ".".join(str(R.randrange(0, 256)) for _ in range(4))
    v = [v, f"10.{R.randrange(256)}.{R.randrange(256)}.{R.randrange(1, 255)}",
         f"192.168.{R.randrange(256)}.{R.randrange(1, 255)}"][k % 3]
    add("ip", ctx(v) if k % 4 else f"client {v}:{R.randrange(1024, 65535)} connected")
for k in range(22):
    groups = [format(R.randrange(0, 65536), "x") for _ in range(8)]
    if k % 3 == 0:
        v = ":".join(groups)
    elif k % 3 == 1:
        v = ":".join(groups[:3]) + "::" + ":".join(groups[6:])
    else:
        v = "2001:db8::" + groups[7]
    add("ip", ctx(v))
for v in ["::1", "fe80::1ff:fe23:4567:890a", "::ffff:192.0.2.128", "X-Forwarded-For: 203.0.113.7, 70.41.3.18",
          "CIDR 10.0.0.0/8", "[2001:db8:85a3::8a2e:370:7334]:443", "127.0.0.1", "0.0.0.0",
          "peer=2606:4700:4700::1111"]:
    add("ip", v)

# ---- ssn -----------------------------------------------------------------------------------
for k in range(50):
    while True:
        a = R.randrange(1, 900)
        if a != 666:
            break
    v = f"{a:03d}-{R.randrange(1, 100):02d}-{R.randrange(1, 10000):04d}"
    add("ssn", ctx(v) if k % 2 else f"SSN: {v}")
for v in ["123-45-6789", "ssn=078-05-1120", "My social is 219-09-9999."]:
    add("ssn", v)

# ---- aws_key -------------------------------------------------------------------------------
for k in range(46):
    v = R.choice(["AKIA", "ASIA"]) + rnd(string.ascii_uppercase + string.digits, 16)
    add("aws_key", [ctx(v), f"aws_access_key_id = {v}", f"AWS_ACCESS_KEY_ID={v}",
                    f'{{"AccessKeyId": "{v}"}}'][k % 4])
for v in ["AKIAIOSFODNN7EXAMPLE", "credentials: AKIAI44QH8DHBEXAMPLE / (secret elided)"]:
    add("aws_key", v)

# ---- jwt -----------------------------------------------------------------------------------
ALGS = ["HS256", "RS256", "ES256", "PS384", "EdDSA", "none"]
for k in range(48):
    hdr = {"alg": ALGS[k % len(ALGS)], "typ": "JWT"}
    if k % 5 == 0:
        hdr = {"kid": rnd(B62, 12), "alg": ALGS[k % len(ALGS)]}
    payload = {"sub": "usr_" + rnd(B62, 6), "iat": 1709000000 + k, "tenant": "acme"}
    if k % 4 == 0:
        payload["email"] = "x@y.io"
    sig = "" if hdr["alg"] == "none" else b64url(R.randbytes(32 if k % 2 else 64))
    tok = b64url(json.dumps(hdr, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(payload, separators=(",", ":")).encode()) + "." + sig
    add("jwt", [ctx(tok), f"id_token_hint={tok}&state=xyz", f"cookie session={tok}; Path=/",
                f"jwt: {tok}"][k % 4])
add("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

# ---- bearer --------------------------------------------------------------------------------
for k in range(44):
    tok = rnd(B62 + "-._~", R.randrange(20, 48))
    if k % 4 == 0:
        tok = rnd(B62, 32) + "=="
    v = [f"Authorization: Bearer {tok}", f"authorization=bearer {tok}", f"Bearer {tok}",
         f'{{"headers":{{"Authorization":"Bearer {tok}"}}}}'][k % 4]
    add("bearer", v)
for user in ["admin", "svc-relay", "alice", "bob@example", "ci", "deploy"]:
    cred = base64.b64encode(f"{user}:{rnd(B62, R.randrange(8, 20))}".encode()).decode()
    add("bearer", f"Authorization: Basic {cred}")
add("bearer", "curl -H 'Authorization: Bearer 7f3a9c2e4b1d8e6f0a5c3b2d1e9f8a7c' https://api.example.com")

# ---- api_key -------------------------------------------------------------------------------
APIS = [lambda: "sk-" + rnd(B62, 48), lambda: "sk-proj-" + rnd(URL, 64),
        lambda: "sk-ant-api03-" + rnd(URL, 93) + "AA", lambda: "sk_live_" + rnd(B62, 24),
        lambda: "sk_test_" + rnd(B62, 24), lambda: "rk_live_" + rnd(B62, 24),
        lambda: "ghp_" + rnd(B62, 36), lambda: "gho_" + rnd(B62, 36),
        lambda: "github_pat_" + rnd(B62, 22) + "_" + rnd(B62, 59),
        lambda: "xoxb-" + rnd(string.digits, 11) + "-" + rnd(string.digits, 13) + "-" + rnd(B62, 24),
        lambda: "xoxp-" + rnd(string.digits, 11) + "-" + rnd(string.digits, 12) + "-" + rnd(B62, 32),
        lambda: "AIza" + rnd(URL, 35), lambda: "hf_" + rnd(B62, 34), lambda: "glpat-" + rnd(URL, 20),
        lambda: "npm_" + rnd(B62, 36), lambda: "whsec_" + rnd(B62, 32),
        lambda: "sk-or-v1-" + rnd(HEX, 64)]
for k in range(68):
    v = APIS[k % len(APIS)]()
    add("api_key", [ctx(v), f"OPENAI_API_KEY={v}", f"export KEY='{v}'", f'{{"key": "{v}"}}'][k % 4])

# ---- secret --------------------------------------------------------------------------------
for k in range(22):
    v = rnd(B64, 40)
    add("secret", [f"aws_secret_access_key = {v}", f"AWS_SECRET_ACCESS_KEY={v}", ctx(v),
                   f'"SecretAccessKey": "{v}"'][k % 4])
KW = ["password", "DB_PASSWORD", "passwd", "client_secret", "api_key", "secret", "token",
      "refresh_token", "x-api-key", "Passphrase", "aws_session_token", "private_key"]
for k in range(30):
    kw = KW[k % len(KW)]
    val = rnd(B62 + "!#%*+-./@^_", R.randrange(8, 30))
    add("secret", [f"{kw}={val}", f"{kw}: {val}", f'"{kw}": "{val}"', f"?{kw}={val}&x=1",
                   f"{kw} = '{val}'"][k % 5])
add("secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
add("secret", "-----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEA" + rnd(B64, 60) + " -----END RSA PRIVATE KEY-----")
add("secret", "key file: -----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg" + rnd(B64, 40) + "\\n-----END PRIVATE KEY-----")
add("secret", "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAABG5vbmU" + rnd(B64, 40))
add("secret", "postgres://app:password=Sup3rS3cret!@db:5432/x")

# ---- round 2: hand-written positives in other shapes and contexts --------------------------
for label, text in [
    ("email", '{"email":"a.b@c.de","name":"A B"}'),
    ("email", "Reply-To: billing+invoices@acme-payments.io"),
    ("email", "user=jose.garcia@empresa.com.mx;role=admin"),
    ("email", "(contact: li.na@shanghai-tech.cn)"),
    ("email", "owner:MIKE.O'BRIEN-not-quoted mike.obrien@corp.ie"),
    ("email", "git commit --author='Dev Team <dev-team@github-ci.example.com>'"),
    ("email", "Forwarded 3 messages to h.mueller@t-online.de and k.schmidt@web.de"),
    ("email", "reset sent to x@y.travel"),
    ("phone", "+1 (555) 123-4567"),
    ("phone", "+49 (0)30 1234567"),
    ("phone", "+7 495 123-45-67"),
    ("phone", "+852 2345 6789"),
    ("phone", "+971 50 123 4567"),
    ("phone", "Tel. 0800 123 4567"),
    ("phone", '{"phone":"+14155552671"}'),
    ("phone", "mobile:07911 123456"),
    ("phone", "Call 1 (800) 555-0199 now"),
    ("phone", "Fax: 020-7946-0959"),
    ("card", "card number: 4111-1111-1111-1111"),
    ("card", "pan=5105105105105100&exp=1227"),
    ("card", '{"card":"3714 496353 98431"}'),
    ("card", "Diners 3056 930902 5904"),
    ("card", "JCB 3566 0020 2036 0505"),
    ("card", "charged to 6011000990139424 yesterday"),
    ("card", "UnionPay 6212 3456 7890 1232 1"),
    ("ip", "ip=8.8.8.8"),
    ("ip", "from 2001:0db8:0000:0000:0000:ff00:0042:8329"),
    ("ip", '{"client_ip":"198.51.100.23"}'),
    ("ip", "upstream 172.16.254.1:8443 timed out"),
    ("ip", "[::1]:8080"),
    ("ip", "remote_addr=2a00:1450:4001:82b::200e"),
    ("ssn", '{"ssn":"457-55-5462"}'),
    ("ssn", "SSN 001-01-0001 on file"),
    ("ssn", "taxpayer id: 899-99-9999."),
    ("aws_key", "aws configure set aws_access_key_id ASIAY34FZKBOKMUTVV7A"),
    ("aws_key", "key=AKIA2E0A8F3B244C9986,"),
    ("jwt", "#access_token=eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1In0.c2lnbmF0dXJl&token_type=Bearer"),
    ("jwt", '{"id_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.dGVzdHNpZ25hdHVyZQ"}'),
    ("bearer", "-H \"Authorization: Bearer sk1_9f8e7d6c5b4a3f2e1d0c\""),
    ("bearer", "authorization: BEARER abcdefghijklmnopqrstuvwxyz0123"),
    ("bearer", "Proxy-Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
    ("api_key", "Anthropic key sk-ant-admin01-" + rnd(URL, 90)),
    ("api_key", "HF_TOKEN=hf_" + rnd(B62, 34)),
    ("api_key", "slack xoxe-1-" + rnd(B62, 30)),
    ("secret", "VAULT_TOKEN=s.Z8dTq0yM3nbxW7kAfKpL2vRe"),
    ("secret", "redis://:password=p4ssw0rd-xyz@cache:6379"),
    ("secret", "connection string ... Password=Zx9!q2Lm#7;Encrypt=true"),
    ("secret", "aws_secret_access_key: " + rnd(B64, 40)),
    ("secret", "+" + rnd(B64, 39)),
]:
    add(label, text)

# ---- negatives -----------------------------------------------------------------------------
MODELS = """anthropic.claude-3-sonnet-20240229-v1:0
anthropic.claude-3-5-sonnet-20241022-v2:0
us.anthropic.claude-3-5-haiku-20241022-v1:0
anthropic.claude-3-haiku-20240307-v1:0
anthropic.claude-v2:1
claude-3-opus-20240229
claude-3-5-sonnet-latest
claude-sonnet-4-20250514
claude-opus-4-1-20250805
gpt-4o-2024-08-06
gpt-4o-mini-2024-07-18
gpt-4-0613
gpt-4-turbo-2024-04-09
gpt-4-1106-preview
gpt-3.5-turbo-0125
gpt-3.5-turbo-16k-0613
o1-preview-2024-09-12
o1-mini-2024-09-12
o3-mini-2025-01-31
chatgpt-4o-latest
text-embedding-3-small
text-embedding-3-large
text-embedding-ada-002
ft:gpt-4o-mini-2024-07-18:acme::9abcDEF1
ft:gpt-3.5-turbo-0613:my-org:custom_suffix:7p4lURel
meta.llama3-70b-instruct-v1:0
meta.llama3-1-405b-instruct-v1:0
meta-llama/Meta-Llama-3.1-8B-Instruct
amazon.titan-embed-text-v2:0
amazon.titan-text-express-v1
amazon.nova-pro-v1:0
cohere.command-r-plus-v1:0
cohere.embed-english-v3
mistral.mistral-large-2407-v1:0
mistral-large-2407
mistral-small-2409
open-mixtral-8x22b
ai21.jamba-1-5-large-v1:0
gemini-1.5-pro-002
gemini-1.5-flash-8b-001
gemini-2.0-flash-exp
models/gemini-1.5-pro-latest
projects/acme-prod/locations/us-central1/publishers/google/models/gemini-1.5-pro-002
arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0
arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456
deepseek-ai/DeepSeek-R1-Distill-Qwen-32B
Qwen/Qwen2.5-72B-Instruct
mistralai/Mixtral-8x7B-Instruct-v0.1
text-davinci-003
whisper-1
dall-e-3
tts-1-hd
llama3.1:70b-instruct-q4_K_M
phi3:3.8b-mini-128k-instruct-q5_K_M
grok-2-1212
command-r-08-2024
jina-embeddings-v2-base-en
sentence-transformers/all-MiniLM-L6-v2
BAAI/bge-large-en-v1.5
azure/gpt-4o-2024-05-13
bedrock/anthropic.claude-3-sonnet-20240229-v1:0
vertex_ai/claude-3-5-sonnet-v2@20241022
claude-3-5-sonnet-v2@20241022""".split("\n")
for m in MODELS:
    add("neg.model", m)

IDS = ["chatcmpl-" + rnd(B62, 29) for _ in range(8)] + \
      ["msg_01" + rnd(B62, 22) for _ in range(6)] + \
      ["req_011C" + rnd(B62, 20) for _ in range(4)] + \
      ["toolu_01" + rnd(B62, 22) for _ in range(4)] + \
      ["call_" + rnd(B62, 24) for _ in range(4)] + \
      ["asst_" + rnd(B62, 24), "thread_" + rnd(B62, 24), "run_" + rnd(B62, 24),
       "file-" + rnd(B62, 24), "batch_" + rnd(B62, 24), "resp_" + rnd(HEX, 48),
       "conv_5j66UpCpwteGg4YSxUnt7lPY", "call_VSPygqKTWdrhaFErNvMV18Yl", "chatcmpl-123",
       "cus_" + rnd(B62, 14), "pi_" + rnd(B62, 24), "ch_" + rnd(B62, 24), "evt_" + rnd(B62, 24),
       "evt-550e8400-e29b-41d4-a716-446655440000", "usr_2xK9", "user-41b8d0aa", "user-uuid",
       "llm-orch-svc-7d9f8b6c5-x2k4p", "kb-1182", "span-" + rnd(HEX, 16),
       "org-" + rnd(B62, 24), "proj_" + rnd(B62, 24), "sess_" + rnd(B62, 24),
       "i-0abcd1234efgh5678", "vpc-0a1b2c3d4e5f67890", "sg-0123456789abcdef0",
       "ami-0abcdef1234567890", "arn:aws:iam::123456789012:role/cerelay-producer",
       "arn:aws:kafka:ap-south-1:123456789012:cluster/eventzr-msk-prod/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-s1",
       "projects/acme-prod/topics/llm-usage", "gid://shopify/Order/4500012345",
       "AROA" + rnd(string.ascii_uppercase + string.digits, 17) + ":session-1",
       "AIDA" + rnd(string.ascii_uppercase + string.digits, 17),
       "asset_" + rnd(B62, 40), "idem_" + rnd(B62, 40),
       "ca-pub-" + rnd(string.digits, 16)]
for v in IDS:
    add("neg.id", v)
for _ in range(30):
    u = "%08x-%04x-4%03x-%x%03x-%012x" % (R.getrandbits(32), R.getrandbits(16), R.getrandbits(12),
                                          R.choice([8, 9, 10, 11]), R.getrandbits(12),
                                          R.getrandbits(48))
    add("neg.uuid", u if R.random() < 0.7 else u.upper())
for _ in range(10):
    ms = 1709000000000 + R.randrange(10**9)
    u = "%012x-7%03x-%x%03x-%012x" % (ms, R.getrandbits(12), R.choice([8, 9, 10, 11]),
                                      R.getrandbits(12), R.getrandbits(48))
    add("neg.uuid", "%s-%s-%s-%s-%s" % (u[:8], u[8:12], u[13:17], u[18:22], u[23:]))
add("neg.uuid", "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}")
add("neg.uuid", "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
CROCK = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
for _ in range(20):
    add("neg.ulid", "01" + rnd("0123456789ABCDEFGH", 1) + rnd(CROCK, 23))
for v in ["01HX7KQMB4NWE9P6T2JS0RY3ZV", "01HX7M3NR8PQT5WE6VKZJ2CY4B"]:
    add("neg.ulid", v)
for _ in range(12):
    add("neg.traceid", rnd(HEX, 32))
    add("neg.traceid", rnd(HEX, 16))
for _ in range(6):
    add("neg.traceid", "00-" + rnd(HEX, 32) + "-" + rnd(HEX, 16) + "-01")
add("neg.traceid", "4bf92f3577b34da6a3ce929d0e0e4736")
add("neg.traceid", "X-Amzn-Trace-Id: Root=1-" + rnd(HEX, 8) + "-" + rnd(HEX, 24))
for _ in range(8):
    add("neg.hash", rnd(HEX, 64))
    add("neg.hash", rnd(HEX, 40))
    add("neg.hash", rnd(HEX, 32))
for _ in range(6):
    add("neg.hash", "sha256:" + rnd(HEX, 64))
    add("neg.hash", base64.b64encode(R.randbytes(32)).decode())
    add("neg.hash", "git " + rnd(HEX, 7))
add("neg.hash", "sha512-" + base64.b64encode(R.randbytes(64)).decode())
add("neg.hash", "etag: W/\"" + rnd(HEX, 32) + "\"")
add("neg.hash", "$2b$12$" + rnd(B62 + "./", 53))
for v in ["2026-02-27T12:00:00.000Z", "2026-03-19T14:35:00Z", "2026-02-27T12:00:01.734512Z",
          "2024-01-15T10:30:00+05:30", "2024-01-15 10:30:00", "2024-01-15", "15/01/2024",
          "01/15/2024 10:30 AM", "Jan 15, 2024 10:30:00 PM", "1709251200", "1709251200123",
          "1709251200123456789", "Tue, 27 Feb 2026 12:00:00 GMT", "20240115T103000Z",
          "12:30:45.123", "PT1H30M", "2026-02-27T12:00:00.000000000Z", "2026.02.27 12:00",
          "27.02.2026", "27.02.2026 12:00:00", "2026-W09-5", "1 day, 2:03:04", "00:00:00",
          "2024-01-15 10:30:00.123456+00", "ts=1709251200.123456", "2026-02-27 12:00:00 UTC"]:
    add("neg.timestamp", v)
for v in ["1.2.3", "v2.10.4", "1.0.0-rc.1+build.5", "10.0.19045.3803", "Python/3.11.4",
          "node v20.11.1", "openai==1.30.1", "@anthropic-ai/sdk@0.24.3", "2026.02.27-1c9e0f4",
          "OpenSSL 3.0.22", "go1.22.1 linux/amd64", "curl/8.5.0", "v1beta1", "4.0.0-alpha.12",
          "cerelay/0.1.0", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/122.0.6261.94",
          "kernel 6.1.0-18-amd64", "api-version=2024-06-01", "schema v3.1.0", "1.21.3-eks-5e0fdde",
          "boto3/1.34.51 botocore/1.34.51", "ubuntu-22.04", "release-2024.02.27"]:
    add("neg.version", v)
for v in ["ORD-2024-000123", "INV-00042", "PO-4500012345", "order #123456789", "#A1B2C3",
          "SO-2026-02-27-0042", "ticket INC0012345", "JIRA-1234", "case 00012345", "RMA-88812",
          "booking ref XK7P2Q", "order 1001-2002", "shipment 1Z999AA10123456784",
          "invoice 2026/02/0042", "customer 0012345678", "ISBN 978-3-16-148410-0",
          "sku 400-12-3456-XL", "order 4111-2026"]:
    add("neg.order", v)
for v in ["$0.0025", "USD 1,234.56", "€12.99", "0.000015 per token", "costUsd: 0.008709",
          "$1,000,000.00", "£ 9.99", "¥1200", "12.50 EUR", "price 19.99", "-0.75", "1e-6",
          "total: 1234.5678"]:
    add("neg.price", v)
for v in ["150", "350", "500", "1843 tokens", "inputTokens=150", "max_tokens: 4096",
          "token_count: 1500000", "tokens: 2055", "1,024 tokens", "prompt_tokens=1843 completion_tokens=212",
          "context window 128000", "latencyMs 1250", "cacheReadTokens 1024", "8192", "200000",
          "tokens per minute: 30000", "rate limit 10000 RPM", "429 Too Many Requests",
          "batch_size 50", "k=3"]:
    add("neg.tokens", v)
for v in ["tenant-uuid", "tenant-7f3a9c2e", "acme", "tnt_8f3k2", "t-000123",
          "tenant/acme/user/usr_2xK9", "tenant/acme", "org_2b9X7cQ", "acme-prod-eu-west-1",
          "workspace 7f3a9c2e", "tenantId=acme-corp", "tenant:eventzr", "team_01HX7KQMB4",
          "acct-000042", "customer/acme/project/chatbot"]:
    add("neg.tenant", v)
for v in ["It looks like your endpoint is rate limiting us.",
          "Retries continue for 24 h with exponential back-off (1 s, 2 s, 4 s) capped at 10 min.",
          "Use a bearer token in the Authorization header.",
          "The bearer of this letter is authorised.",
          "Basic plan includes 50 requests per second.",
          "Set batch_size (1-500) and flush_interval (seconds).",
          "Password reset link expires in 24 hours.",
          "The secret to good prompts is clarity.",
          "token: 150", "password: null", "api_key: ${OPENAI_API_KEY}", "secret: <redacted>",
          "password=********", "client_secret: [REDACTED]",
          "Contact us via the support form.", "Email address is required.",
          "user@localhost", "icon@2x.png", "see @anthropic-ai/sdk", "C++11 and C++17",
          "std::vector<int>", "a::b::c", "MAC 00:1A:2B:3C:4D:5E", "ratio 16:9", "10:30-11:45",
          "score 0.8312", "k8s pod llm-orch-svc-7d9f8b6c5-x2k4p restarted 3 times",
          "https://hooks.example.com/ce", "https://llm-orch-svc.eventzr.internal/v1/inference",
          "s3://acme-bucket/2026/02/27/part-00000.parquet", "/var/lib/cerelay/segments/00000000000000000042.log",
          "src/gov/mask_detect.c:123", "C:\\\\Users\\\\Public\\\\Documents",
          "GetUserProfileByTenantIdAndRegion", "sk-learn pipeline", "risk-score-high-2024",
          "task-queue-prod-01", "skeleton-loader", "desk-booking-service-v2",
          "AKIA (not a key)", "eyJ is how base64 JSON starts", "Bearer", "bearer tokens",
          "x-request-id: 7b1f2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
          "traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          "The dashboard shows \"429 Too Many Requests\" - what should I change?",
          "Also: the résumé-parser events arrive twice 🙁",
          "ISO 8601 dates like 2026-02-27 are fine", "room 101, floor 3",
          "call 911", "extension 4567", "version 1.2.3.4-beta", "3.14159", "1234567890",
          "4111111111111112", "1234 5678 9012 3456", "000-12-3456", "666-12-3456",
          "900-12-3456", "123-00-4567", "123-45-0000", "256.1.1.1", "1.2.3", "192.168.1",
          "12:34", "dead:beef", "555-1234", "2024-01-15 1030", "01.02.2024 10:30",
          "ghp_short", "sk-too-short", "AIzaTooShort", "xoxb-123"]:
    add("neg.text", v)
for v in ["http.route /v1/events", "server.address api.openai.com", "net.peer.port 443",
          "gen_ai.response.finish_reasons [\"stop\"]", "cloud.region us-east-1",
          "k8s.pod.uid 1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "process.pid 12345",
          "thread.id 140234567890", "http.status_code 429", "content-length: 1048576",
          "x-ratelimit-reset-tokens: 6m0s", "openai-processing-ms: 1250",
          "cf-ray: 85c1f0a9bf3e1234-SJC", "x-amz-request-id: 4442587FB7D0A2F9",
          "x-amz-id-2: vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=",
          "Stripe-Version: 2024-06-20", "cursor: eyJpZCI6MTIzfQ",
          "next_page_token: CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA2",
          "pagination_token=AQICAHhA84wnXjEJdBbBBylRUFcZZK2j7xwh6UyLoL28nQ",
          "max_tokens=4096", "PWD=/home/runner/work/cerelay", "secret: /run/secrets/db",
          "AssemblyVersion(\"1.0.0.0\")", "Version=4.0.0.0", "version 10.2.3.4",
          "10 000 tokens", "1 000 000 requests", "between 2024 and 2025", "SELECT * FROM t WHERE id = 42",
          "at Object.<anonymous> (/app/src/index.js:42:17)", "Traceback (most recent call last):",
          "HTTP/1.1 200 OK", "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          "logprob -0.0012", "{\"token\": \"Hello\", \"logprob\": -0.31}",
          "finish_reason=stop index=0", "embedding dims 1536", "temperature 0.2 top_p 0.9",
          "seed 1234567890123", "request took 1.2345 s", "x-envoy-upstream-service-time: 1187",
          "ALB 10.0 percent", "Google Analytics UA-12345678-1", "G-ABCDEF1234",
          "npm ERR! code E404", "docker image sha256:" + rnd(HEX, 64),
          "ghcr.io/acme/cerelay:0.1.0@sha256:" + rnd(HEX, 64)]:
    add("neg.text", v)

for label, text in lines:
    print(f"{label}\t{text}")
