#!/usr/bin/env bash
# mTLS on the listeners (listen.tls.client_ca; src/relay/http.c): a client without a
# certificate, or with one another CA signed, is refused (401 problem+json); one signed by the
# CA is accepted, and its certificate's subject reaches the events as the `clientsubject`
# extension (which a client cannot set itself), visible to policy rules. Certificates are made
# with openssl here.
. "$(dirname "$0")/lib.sh"

make_certs() {
  local d=$TMP/pki
  mkdir -p "$d"
  (cd "$d" &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
      -subj "/CN=Test CA" &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 \
      -subj "/CN=Other CA" &&
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" &&
    printf 'subjectAltName=IP:127.0.0.1\n' >server.ext &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
      -days 2 -extfile server.ext &&
    for c in billing other; do
      openssl req -newkey rsa:2048 -nodes -keyout "$c.key" -out "$c.csr" -subj "/O=Acme/CN=$c" &&
        openssl x509 -req -in "$c.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$c.pem" \
          -days 2 || return 1
    done &&
    openssl req -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.csr -subj "/O=Acme/CN=billing" &&
    openssl x509 -req -in rogue.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial \
      -out rogue.pem -days 2) >"$TMP/openssl.log" 2>&1 || { fail "openssl"; cat "$TMP/openssl.log" >&2; exit 1; }
}

EV='{"specversion":"1.0","id":"ID","source":"/s","type":"t.mtls","clientsubject":"CN=spoofed","data":{}}'

case_client_certificate_required_and_subject_kept() {
  make_certs
  P=$TMP/pki
  cat >"$TMP/cfg.yaml" <<YAML
binding: log
log:
  dir: $TMP/log
  fsync: never
listen:
  events: 127.0.0.1:0
  otlp: 127.0.0.1:0
  tls:
    cert: $P/server.pem
    key: $P/server.key
    client_ca: $P/ca.pem
ack: local
policy:
  default: allow
  rules:
    - name: billing-only
      action: deny
      when: "clientsubject <> 'CN=billing,O=Acme'"
YAML
  start_relay "$TMP/cfg.yaml"
  case "$RELAY_URL" in https://*) ;; *) fail "expected an https URL, got $RELAY_URL" ;; esac
  # no certificate: refused
  post "$RELAY_URL" application/cloudevents+json "${EV/ID/none}" --cacert "$P/ca.pem"
  expect_eq "$STATUS" 401
  expect_contains "$BODY" "a client certificate is required (listen.tls.client_ca)"
  # a certificate from another CA: refused
  post "$RELAY_URL" application/cloudevents+json "${EV/ID/rogue}" --cacert "$P/ca.pem" \
    --cert "$P/rogue.pem" --key "$P/rogue.key"
  expect_eq "$STATUS" 401
  expect_contains "$BODY" "not signed by listen.tls.client_ca"
  # signed by the CA: accepted, on the OTLP listener too
  post "$RELAY_URL" application/cloudevents+json "${EV/ID/good}" --cacert "$P/ca.pem" \
    --cert "$P/billing.pem" --key "$P/billing.key"
  expect_eq "$STATUS" 202
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca.pem" "${RELAY_OTLP%/v1/logs}/v1/logs" \
    -X POST -H 'Content-Type: application/json' --data-binary '{"resourceLogs":[]}')
  expect_eq "$code" 401
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca.pem" --cert "$P/billing.pem" \
    --key "$P/billing.key" "${RELAY_OTLP%/v1/logs}/v1/logs" \
    -X POST -H 'Content-Type: application/json' --data-binary '{"resourceLogs":[]}')
  expect_eq "$code" 200
  # another client of the CA: accepted by TLS, its events denied by the policy on its subject
  post "$RELAY_URL" application/cloudevents+json "${EV/ID/other}" --cacert "$P/ca.pem" \
    --cert "$P/other.pem" --key "$P/other.key"
  expect_eq "$STATUS" 202
  stop_relay
  expect_run 0 "$CERELAY" tail --log "$TMP/log" --topic t.mtls
  expect_contains "$OUT" '"id":"good"'
  expect_contains "$OUT" '"clientsubject":"CN=billing,O=Acme"'
  case "$OUT" in *spoofed*) fail "a client set clientsubject itself" ;; esac
  case "$OUT" in *'"id":"other"'* | *'"id":"none"'* | *'"id":"rogue"'*) fail "a refused or denied event was stored" ;; esac
}

case_without_mtls_clientsubject_is_removed() {
  cat >"$TMP/cfg.yaml" <<YAML
binding: log
log:
  dir: $TMP/log
  fsync: never
listen:
  events: 127.0.0.1:0
  otlp: 127.0.0.1:0
ack: local
YAML
  start_relay "$TMP/cfg.yaml"
  post "$RELAY_URL" application/cloudevents+json "${EV/ID/plain}"
  expect_eq "$STATUS" 202
  stop_relay
  expect_run 0 "$CERELAY" tail --log "$TMP/log" --topic t.mtls
  expect_contains "$OUT" '"id":"plain"'
  case "$OUT" in *clientsubject*) fail "clientsubject kept without mTLS" ;; esac
}

case_config_needs_tls_for_client_ca() {
  printf 'listen:\n  tls:\n    client_ca: /x/ca.pem\n' >"$TMP/bad.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/bad.yaml"
  expect_contains "$ERR" "key 'listen.tls.client_ca': needs listen.tls.cert and listen.tls.key"
}

run_case "$@"
