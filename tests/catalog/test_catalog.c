/* Tests of the catalog data and cer_catalog_validate: every built-in type's example is valid
 * and encodes to its golden file; the invalid vectors (golden/invalid/<type>.txt) give exactly
 * the messages listed; modes, unknown types, partition keys; loading and overriding from files,
 * and failed loads leaving the catalog unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cattest.h"

TEST(builtin_types)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    CHECK_EQ_INT(cer_catalog_count(c), 15);
    size_t eventzr = 0, coresdk = 0;
    for (size_t i = 0; i < cer_catalog_count(c); i++) {
        cer_catalog_type t;
        CHECK_EQ_INT(cer_catalog_type_at(c, i, &t), 0);
        char want[512];
        snprintf(want, sizeof want, "%s%s.json", CER_CATALOG_SCHEMA_BASE, t.type);
        CHECK_EQ_STR(t.dataschema, want);
        CHECK_EQ_STR(t.topic, t.type);
        CHECK_EQ_STR(t.partition_key, "subject");
        CHECK(t.description[0] != 0);
        CHECK(t.example_json.len > 0);
        CHECK(t.mode == CER_CATALOG_ENFORCE);
        snprintf(want, sizeof want, "schemas/%s.json", t.type);
        CHECK_EQ_STR(t.schema_path, want);
        if (strncmp(t.type, "eventzr.llm.", 12) == 0) {
            eventzr++;
            CHECK_EQ_STR(t.subject, "{tenantId}");
            CHECK_EQ_STR(t.source, "llm-orch-svc");
            CHECK(strstr(t.type, ".v1") != NULL);
        } else {
            coresdk++;
            CHECK(strncmp(t.type, "io.coresdk.", 11) == 0);
            CHECK(strncmp(t.subject, "tenant/{tenant_id}", 18) == 0);
        }
        if (i > 0) {
            cer_catalog_type prev;
            cer_catalog_type_at(c, i - 1, &prev);
            CHECK(strcmp(prev.type, t.type) < 0);
        }
    }
    CHECK_EQ_INT(eventzr, 8);
    CHECK_EQ_INT(coresdk, 7);
    cer_catalog_type t;
    CHECK_EQ_INT(cer_catalog_find(c, "eventzr.llm.usage.v1", &t), 0);
    CHECK_EQ_STR(t.description,
                 "Usage telemetry after successful inference (tokens, cost, latency).");
    CHECK_EQ_INT(cer_catalog_find(c, "eventzr.llm.usage.v2", &t), CE_ENOTFOUND);
    CHECK_EQ_INT(cer_catalog_type_at(c, 15, &t), CE_ENOTFOUND);
    cer_catalog_destroy(c);
    cer_catalog_destroy(NULL);
}

/* The usage schema has exactly the seed's fields, in the seed's order. */
TEST(usage_fields_are_the_seed)
{
    cer_catalog *c = cattest_builtin();
    cer_catalog_type t;
    if (!c || cer_catalog_find(c, "eventzr.llm.usage.v1", &t) != 0)
        return;
    /* the seed's eleven, plus the optional token classes of current GenAI conventions */
    const char *fields[] = {"tenantId",
                            "userId",
                            "provider",
                            "model",
                            "useCase",
                            "inputTokens",
                            "outputTokens",
                            "totalTokens",
                            "cacheReadInputTokens",
                            "cacheCreationInputTokens",
                            "reasoningOutputTokens",
                            "latencyMs",
                            "costUsd",
                            "cached"};
    const cer__ctype *ct = cer__catalog_lookup(c, t.type, strlen(t.type));
    CHECK_EQ_INT(ct->schema->nprops, 14);
    for (size_t i = 0; i < 14 && i < ct->schema->nprops; i++)
        CHECK_EQ_STR(ct->schema->props[i].name, fields[i]);
    CHECK(ct->schema->no_additional);
    cer_catalog_destroy(c);
}

TEST(examples_valid_and_golden)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    for (size_t i = 0; i < cer_catalog_count(c); i++) {
        cer_catalog_type t;
        cer_catalog_type_at(c, i, &t);
        ce_event *ev = NULL;
        char err[256];
        int rc = ce_json_decode(t.example_json.ptr, t.example_json.len, NULL, &ev, err, sizeof err);
        CHECK_EQ_INT(rc, 0);
        if (rc)
            continue;
        cer_catalog_result res;
        CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_VALID);
        CHECK_EQ_INT(res.violations, 0);
        char *got = cattest_encode(ev), *want = cattest_golden_example(t.type);
        if (got && want)
            CHECK_EQ_STR(got, want);
        free(got);
        free(want);
        ce_event_destroy(ev);
    }
    cer_catalog_destroy(c);
}

/* ---- the invalid vectors ---- */

/* Find the member at a dotted path below the root object; *parent gets its object. */
static const cer__jnode *at_path(const cer__jdom *d, const char *path, const cer__jnode **parent,
                                 char *last, size_t last_size)
{
    const cer__jnode *obj = d->nodes, *n = NULL;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
        if (n)
            obj = n;
        snprintf(last, last_size, "%s", tok);
        n = cer__j_member(d, obj, tok);
        if (!n && strtok_r(NULL, ".", &save))
            return NULL;
    }
    *parent = obj;
    return n;
}

/* Apply one data mutation ("set PATH JSON", "add PATH JSON", "del PATH") to *data. */
static int mutate(char **data, const char *op, const char *path, const char *value)
{
    cer__jdom d;
    char err[256], last[128];
    size_t len = strlen(*data);
    if (cer__jdom_parse(&d, *data, len, 64, 1u << 20, err, sizeof err) != 0) {
        cer_test_fail(__FILE__, __LINE__, "mutate: %s", err);
        cer__jdom_free(&d);
        return -1;
    }
    const cer__jnode *parent = NULL, *n = at_path(&d, path, &parent, last, sizeof last);
    size_t cut = 0, cut_end = 0;
    char ins[4096] = "";
    if (strcmp(op, "set") == 0 && n) {
        cut = n->off, cut_end = n->end;
        snprintf(ins, sizeof ins, "%s", value);
    } else if (strcmp(op, "add") == 0 && !n && parent) {
        cut = cut_end = parent->end - 1;
        snprintf(ins, sizeof ins, "%s\"%s\":%s", parent->count ? "," : "", last, value);
    } else if (strcmp(op, "del") == 0 && n) {
        const cer__jnode *prev = NULL;
        for (const cer__jnode *m = cer__j_first(&d, parent); m && m != n; m = cer__j_next(&d, m))
            prev = m;
        if (prev)
            cut = prev->end, cut_end = n->end;
        else if (n->next)
            cut = n->key_off, cut_end = d.nodes[n->next].key_off;
        else
            cut = n->key_off, cut_end = n->end;
    } else {
        cer_test_fail(__FILE__, __LINE__, "mutate: cannot %s %s", op, path);
        cer__jdom_free(&d);
        return -1;
    }
    size_t il = strlen(ins);
    char *nd = malloc(len - (cut_end - cut) + il + 1);
    memcpy(nd, *data, cut);
    memcpy(nd + cut, ins, il);
    memcpy(nd + cut + il, *data + cut_end, len - cut_end + 1);
    free(*data);
    *data = nd;
    cer__jdom_free(&d);
    return 0;
}

typedef struct vcase {
    char *data; /* mutated data */
    ce_event *ev;
    char want[16][300];
    int nwant;
    bool ok, touched;
    int line;
} vcase;

static void run_case(cer_catalog *c, const char *type, vcase *vc)
{
    if (!vc->touched)
        return;
    char err[256];
    CHECK(vc->ok || vc->nwant > 0);
    if (vc->data && ce_event_data_kind(vc->ev) != CE_DATA_NONE &&
        ce_event_set_data(vc->ev, CE_DATA_JSON, vc->data, strlen(vc->data), err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "%s:%d: mutated data is not JSON: %s", type, vc->line,
                      err);
    cer_catalog_result res;
    int v = cer_catalog_validate(c, vc->ev, &res);
    bool match = (int)res.nmessages == vc->nwant && res.violations == res.nmessages &&
                 v == (vc->nwant ? CER_CATALOG_REJECTED : CER_CATALOG_VALID);
    for (int i = 0; match && i < vc->nwant; i++)
        match = strcmp(res.messages[i], vc->want[i]) == 0;
    if (!match) {
        cer_test_fail(__FILE__, __LINE__, "%s: case at line %d: verdict %s", type, vc->line,
                      cer_catalog_verdict_name((cer_catalog_verdict)v));
        for (int i = 0; i < vc->nwant; i++)
            fprintf(stderr, "  expected: %s\n", vc->want[i]);
        for (size_t i = 0; i < res.nmessages; i++)
            fprintf(stderr, "  got:      %s\n", res.messages[i]);
    }
}

static size_t vectors_for(cer_catalog *c, const char *type)
{
    char rel[512];
    snprintf(rel, sizeof rel, "tests/catalog/golden/invalid/%s.txt", type);
    char *text = cer_test_read_file(cer_test_src_path(rel), NULL);
    char *example = cattest_golden_example(type);
    if (!text || !example) {
        free(text);
        free(example);
        return 0;
    }
    size_t ncases = 0;
    vcase vc = {0};
    int lineno = 0;
    for (char *p = text; p;) {
        char *line = p, *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        p = nl ? nl + 1 : NULL;
        lineno++;
        if (line[0] == '#')
            continue;
        if (line[0] == 0 || !p) { /* a blank line (or the end) closes the case */
            if (line[0] && !p)
                cer_test_fail(__FILE__, __LINE__, "%s: no newline at the end", type);
            run_case(c, type, &vc);
            ncases += vc.touched;
            free(vc.data);
            ce_event_destroy(vc.ev);
            memset(&vc, 0, sizeof vc);
            continue;
        }
        if (!vc.ev) {
            vc.ev = cattest_decode(example);
            ce_slice d = ce_event_data(vc.ev);
            vc.data = strndup(d.ptr, d.len);
            vc.line = lineno;
        }
        vc.touched = true;
        char op[8] = "", path[128] = "";
        int consumed = 0;
        if (line[0] == '!') {
            if (vc.nwant < 16)
                snprintf(vc.want[vc.nwant++], sizeof vc.want[0], "%s", line + 2);
        } else if (strcmp(line, "ok") == 0) {
            vc.ok = true;
        } else if (strcmp(line, "nodata") == 0) {
            ce_event_set_data(vc.ev, CE_DATA_NONE, NULL, 0, NULL, 0);
        } else if (sscanf(line, "%7s %127s %n", op, path, &consumed) >= 2 && path[0] == '@') {
            if (strcmp(op, "del") == 0) {
                CHECK_EQ_INT(ce_event_unset(vc.ev, path + 1), 0);
            } else {
                char val[512];
                size_t vl = strlen(line + consumed);
                snprintf(val, sizeof val, "%.*s", (int)(vl >= 2 ? vl - 2 : 0), line + consumed + 1);
                CHECK_EQ_INT(ce_event_set_str(vc.ev, path + 1, val, NULL, 0), 0);
            }
        } else if (op[0]) {
            mutate(&vc.data, op, path, line + consumed);
        } else {
            cer_test_fail(__FILE__, __LINE__, "%s: bad line %d: %s", type, lineno, line);
        }
    }
    free(text);
    free(example);
    return ncases;
}

TEST(invalid_vectors)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    size_t total = 0;
    for (size_t i = 0; i < cer_catalog_count(c); i++) {
        cer_catalog_type t;
        cer_catalog_type_at(c, i, &t);
        size_t n = vectors_for(c, t.type);
        if (n < 2)
            cer_test_fail(__FILE__, __LINE__, "%s: only %zu invalid vectors", t.type, n);
        total += n;
    }
    printf("%zu vectors\n", total);
    cer_catalog_destroy(c);
}

TEST(builtin_table_matches_catalog)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    CHECK_EQ_INT(cer__builtin_ntypes, cer_catalog_count(c));
    for (size_t i = 0; i < cer__builtin_ntypes; i++) {
        cer_catalog_type t;
        CHECK_EQ_INT(cer_catalog_find(c, cer__builtin_types[i].type, &t), 0);
        CHECK_EQ_STR(cer__builtin_types[i].source, t.source);
    }
    cer_catalog_destroy(c);
}

/* docs/schemas/ publishes the same bytes, and each schema's $id is its dataschema URI. */
TEST(published_schemas)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    for (size_t i = 0; i < cer_catalog_count(c); i++) {
        cer_catalog_type t;
        cer_catalog_type_at(c, i, &t);
        char rel[512];
        snprintf(rel, sizeof rel, "docs/schemas/%s.json", t.type);
        size_t len;
        char *pub = cer_test_read_file(cer_test_src_path(rel), &len);
        if (pub)
            CHECK_EQ_MEM(pub, len, t.schema_json.ptr, t.schema_json.len);
        free(pub);
        char id[600];
        snprintf(id, sizeof id, "\"$id\": \"%s\"", t.dataschema);
        char *s = strndup(t.schema_json.ptr, t.schema_json.len);
        CHECK_CONTAINS(s, id);
        free(s);
    }
    cer_catalog_destroy(c);
}

static ce_event *example_event(cer_catalog *c, const char *type)
{
    cer_catalog_type t;
    if (cer_catalog_find(c, type, &t) != 0)
        return NULL;
    ce_event *ev = NULL;
    ce_json_decode(t.example_json.ptr, t.example_json.len, NULL, &ev, NULL, 0);
    return ev;
}

TEST(modes_and_unknown_types)
{
    cer_catalog *c = cattest_builtin();
    ce_event *ev = c ? example_event(c, "eventzr.llm.usage.v1") : NULL;
    if (!ev)
        return;
    const char *bad = "{\"tenantId\":\"tenant-uuid\"}";
    ce_event_set_data(ev, CE_DATA_JSON, bad, strlen(bad), NULL, 0);
    cer_catalog_result res;
    CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_REJECTED);
    CHECK_EQ_INT(res.violations, 9); /* every required field but tenantId */
    CHECK_EQ_INT(res.nmessages, CER_CATALOG_MAX_MESSAGES);
    CHECK_EQ_STR(res.messages[0], "data: missing required field 'userId'");
    CHECK_EQ_INT(cer_catalog_set_mode(c, "eventzr.llm.usage.v1", CER_CATALOG_WARN), 0);
    CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_WARNED);
    CHECK_EQ_INT(res.violations, 9);
    CHECK_EQ_INT(cer_catalog_set_mode(c, "eventzr.llm.usage.v1", CER_CATALOG_OFF), 0);
    CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_SKIPPED);
    CHECK_EQ_INT(res.violations, 0);
    CHECK_EQ_INT(cer_catalog_set_mode(c, "no.such.type", CER_CATALOG_OFF), CE_ENOTFOUND);
    CHECK_EQ_INT(cer_catalog_set_mode(c, NULL, CER_CATALOG_WARN), 0);
    CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_WARNED);
    ce_event_set_str(ev, "type", "com.example.other", NULL, 0);
    CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_UNKNOWN);
    CHECK_EQ_STR(res.messages[0], "type: 'com.example.other' is not in the catalog");
    cer_catalog_mode m;
    CHECK_EQ_INT(cer_catalog_mode_parse("warn", &m), 0);
    CHECK_EQ_INT(m, CER_CATALOG_WARN);
    CHECK_EQ_INT(cer_catalog_mode_parse("strict", &m), CE_EINVAL);
    CHECK_EQ_STR(cer_catalog_mode_name(CER_CATALOG_ENFORCE), "enforce");
    CHECK_EQ_STR(cer_catalog_verdict_name(CER_CATALOG_REJECTED), "rejected");
    ce_event_destroy(ev);
    cer_catalog_destroy(c);
}

TEST(validate_data_only)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    cer_catalog_result res;
    const char *d = "{\"tenant_id\":\"acme\",\"user_id\":null,\"auth_method\":\"jwt\","
                    "\"result\":\"allowed\",\"trace_id\":null}";
    CHECK_EQ_INT(cer_catalog_validate_data(c, "io.coresdk.auth.verified", d, strlen(d), &res),
                 CER_CATALOG_VALID);
    CHECK_EQ_INT(cer_catalog_validate_data(c, "io.coresdk.auth.verified", "[]", 2, &res),
                 CER_CATALOG_REJECTED);
    CHECK_EQ_STR(res.messages[0], "data: expected an object, got an array");
    CHECK_EQ_INT(cer_catalog_validate_data(c, "io.coresdk.nope", "{}", 2, &res),
                 CER_CATALOG_UNKNOWN);
    cer_catalog_destroy(c);
}

TEST(partition_key)
{
    cer_catalog *c = cattest_builtin();
    ce_event *ev = c ? example_event(c, "io.coresdk.policy.decision") : NULL;
    if (!ev)
        return;
    ce_slice k;
    CHECK_EQ_INT(cer_catalog_partition_key(c, ev, &k), 0);
    CHECK_EQ_MEM(k.ptr, k.len, "tenant/acme/user/usr_2xK9", 25);
    ce_event_set_str(ev, "type", "x.unknown", NULL, 0);
    CHECK_EQ_INT(cer_catalog_partition_key(c, ev, &k), 0); /* unknown: the subject */
    ce_event_unset(ev, "subject");
    CHECK_EQ_INT(cer_catalog_partition_key(c, ev, &k), CE_ENOTFOUND);
    ce_event_destroy(ev);
    cer_catalog_destroy(c);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
    static char path[8][600];
    static int slot;
    char *p = path[slot++ & 7];
    snprintf(p, 600, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static const char ext_catalog[] =
    "{\"types\": [\n"
    " {\"type\": \"com.acme.tool.called.v1\", \"description\": \"A tool call\",\n"
    "  \"topic\": \"acme.tools\", \"partitionKey\": \"tenantid\", \"source\": \"acme-agent\",\n"
    "  \"schema\": \"tool.json\", \"dataschema\": \"https://acme.example/tool.json\",\n"
    "  \"validation\": \"warn\"},\n"
    " {\"type\": \"eventzr.llm.usage.v1\", \"description\": \"overridden\",\n"
    "  \"subject\": \"{tenantId}\", \"schema\": {\"type\": \"object\"}, \"validation\": \"off\"}\n"
    "]}\n";

TEST(load_file_adds_and_overrides)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    char dir[] = "/tmp/cer-cat-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_tmp(dir, "tool.json",
              "{\"type\":\"object\",\"properties\":{\"tool\":{\"type\":\"string\"}},"
              "\"required\":[\"tool\"]}");
    char *path = write_tmp(dir, "extra.json", ext_catalog);
    char err[512];
    CHECK_EQ_INT(cer_catalog_load_file(c, path, err, sizeof err), 0);
    CHECK_EQ_INT(cer_catalog_count(c), 16);
    cer_catalog_type t;
    CHECK_EQ_INT(cer_catalog_find(c, "com.acme.tool.called.v1", &t), 0);
    CHECK_EQ_STR(t.topic, "acme.tools");
    CHECK_EQ_STR(t.partition_key, "tenantid");
    CHECK_EQ_STR(t.schema_path, "tool.json");
    CHECK(t.mode == CER_CATALOG_WARN);
    CHECK_EQ_INT(cer_catalog_find(c, "eventzr.llm.usage.v1", &t), 0);
    CHECK_EQ_STR(t.description, "overridden");
    CHECK(t.mode == CER_CATALOG_OFF);
    CHECK_EQ_STR(t.dataschema, "");

    ce_event *ev = NULL;
    const char *d = "{\"tool\":5}";
    cer_event_meta meta = {NULL, "id-1", "2026-01-01T00:00:00Z", NULL, NULL};
    CHECK_EQ_INT(
        cer_catalog_event(c, "com.acme.tool.called.v1", d, strlen(d), &meta, &ev, err, sizeof err),
        0);
    cer_catalog_result res;
    CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_WARNED);
    CHECK_EQ_INT(res.nmessages, 2);
    CHECK_EQ_STR(res.messages[0], "tenantid: missing (the partition key)");
    CHECK_EQ_STR(res.messages[1], "data.tool: expected a string, got 5");
    ce_event_set_str(ev, "tenantid", "acme", NULL, 0);
    ce_slice k;
    CHECK_EQ_INT(cer_catalog_partition_key(c, ev, &k), 0);
    CHECK_EQ_MEM(k.ptr, k.len, "acme", 4);
    char *enc = cattest_encode(ev);
    CHECK_CONTAINS(enc, "\"source\":\"acme-agent\"");
    CHECK_CONTAINS(enc, "\"dataschema\":\"https://acme.example/tool.json\"");
    free(enc);
    ce_event_destroy(ev);
    unlink(path);
    unlink(write_tmp(dir, "tool.json", ""));
    rmdir(dir);
    cer_catalog_destroy(c);
}

static void expect_load_error(cer_catalog *c, const char *json, const char *want)
{
    char err[600] = "";
    size_t before = cer_catalog_count(c);
    int rc = cer_catalog_load_mem(c, "t.json", json, strlen(json), NULL, err, sizeof err);
    if (rc == 0)
        cer_test_fail(__FILE__, __LINE__, "load succeeded: %s", json);
    else if (!strstr(err, want))
        cer_test_fail(__FILE__, __LINE__, "error \"%s\" does not contain \"%s\"", err, want);
    CHECK_EQ_INT(cer_catalog_count(c), before);
}

TEST(load_errors_leave_catalog_unchanged)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    expect_load_error(c, "{\"types\": [", "t.json: byte 11");
    expect_load_error(c, "{\"typez\": []}", "expected an object with a \"types\" array");
    expect_load_error(c, "{\"types\": [{\"type\": \"a.b\", \"schema\": {}, \"colour\": \"x\"}]}",
                      "type 'a.b': unknown key 'colour'");
    expect_load_error(c,
                      "{\"types\": [{\"type\": \"a.b\", \"schema\": {\"properties\": {\"x\": "
                      "{\"pattern\": \"^a\"}}}}]}",
                      "type 'a.b': schema: properties.x: keyword 'pattern' is not supported");
    expect_load_error(c, "{\"types\": [{\"type\": \"a.b\", \"schema\": \"x.json\"}]}",
                      "schema 'x.json': no folder to read it from");
    expect_load_error(c,
                      "{\"types\": [{\"type\": \"a.b\", \"schema\": {\"type\": \"object\"}, "
                      "\"validation\": \"strict\"}]}",
                      "validation 'strict': expected off, warn or enforce");
    expect_load_error(c, "{\"types\": [{\"type\": \"a.b\", \"schema\": {\"type\": \"objekt\"}}]}",
                      "unknown type 'objekt'");
    expect_load_error(c,
                      "{\"types\": [{\"type\": \"a.b\", \"schema\": {\"type\": \"object\"}},"
                      "{\"type\": \"a.b\", \"schema\": {}}]}",
                      "type 'a.b': listed twice");
    /* An example that breaks its own schema is refused, and so is the whole file. */
    expect_load_error(c,
                      "{\"types\": [{\"type\": \"ok.one\", \"schema\": {}},"
                      "{\"type\": \"a.b\", \"schema\": {\"type\": \"object\", \"required\": "
                      "[\"n\"]}, \"example\": {\"specversion\": \"1.0\", \"id\": \"1\", "
                      "\"source\": \"/s\", \"type\": \"a.b\", \"subject\": \"s\", \"data\": {}}}]}",
                      "type 'a.b': example: data: missing required field 'n'");
    cer_catalog_type t;
    CHECK_EQ_INT(cer_catalog_find(c, "ok.one", &t), CE_ENOTFOUND);
    char err[256];
    CHECK_EQ_INT(cer_catalog_load_file(c, "/nonexistent/catalog.json", err, sizeof err), CE_EIO);
    CHECK_CONTAINS(err, "/nonexistent/catalog.json");
    cer_catalog_destroy(c);
}

TEST(empty_catalog_and_inline_schemas)
{
    cer_catalog *c = NULL;
    char err[256];
    CHECK_EQ_INT(cer_catalog_new(&c, CER_CATALOG_EMPTY, err, sizeof err), 0);
    CHECK_EQ_INT(cer_catalog_count(c), 0);
    const char *j = "{\"$comment\": \"x\", \"types\": [{\"type\": \"t.one\", \"schema\": "
                    "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}}}}]}";
    CHECK_EQ_INT(cer_catalog_load_mem(c, "mem", j, strlen(j), NULL, err, sizeof err), 0);
    cer_catalog_type t;
    CHECK_EQ_INT(cer_catalog_find(c, "t.one", &t), 0);
    CHECK_EQ_STR(t.schema_path, "");
    CHECK_EQ_STR(t.topic, "t.one");
    CHECK_EQ_STR(t.partition_key, "subject");
    CHECK_EQ_MEM(t.schema_json.ptr, 11, "{\"type\": \"o", 11);
    cer_catalog_result res;
    CHECK_EQ_INT(cer_catalog_validate_data(c, "t.one", "{\"n\":\"1\"}", 9, &res),
                 CER_CATALOG_REJECTED);
    CHECK_EQ_STR(res.messages[0], "data.n: expected an integer, got \"1\"");
    cer_catalog_destroy(c);
}
