/* cerelay catalog: list the event catalog's types, show one (schema, topic, key, example), and
 * validate events against it (docs/catalog.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/catalog.h"
#include "cli/cli.h"

static const char help[] =
    "usage: cerelay catalog list [--catalog FILE]...\n"
    "       cerelay catalog show TYPE [--schema | --example] [--catalog FILE]...\n"
    "       cerelay catalog validate [--mode off|warn|enforce] [--catalog FILE]... [-q] "
    "[FILE|-]\n"
    "\n"
    "The AI event catalog: eight eventzr.llm.*.v1 and seven io.coresdk.* types, each with a\n"
    "JSON Schema for its data, a default topic (the type), a partition key (the subject) and an\n"
    "example event. Reference: docs/catalog.md.\n"
    "\n"
    "  list        one line per type: type, topic, description\n"
    "  show TYPE   everything about a type; --schema prints only the schema, --example only\n"
    "              the example event (as JSON, for 'cerelay send --file -')\n"
    "  validate    check events (NDJSON, a batch array or one event; default stdin) against\n"
    "              the catalog: envelope, partition key and data schema. Prints one line per\n"
    "              problem naming the field, then 'ok: N event(s)' or 'invalid: M of N\n"
    "              event(s)'. Events of types not in the catalog are invalid.\n"
    "\n"
    "options:\n"
    "  --catalog FILE   add or override types from FILE (the catalog.json shape; repeatable)\n"
    "  --mode MODE      validate: use this mode for every type (warn: report, exit 0)\n"
    "  -q, --quiet      validate: print problems only, no summary\n"
    "\n"
    "Exit status: 0 success (all valid), 1 invalid events or unknown type, 2 usage or I/O "
    "error.\n";

static int usage_err(const char *msg, const char *arg)
{
    fprintf(stderr, "cerelay catalog: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\n(see 'cerelay catalog --help')\n");
    return CLI_USAGE;
}

/* Print a JSON fragment that sat indented inside catalog.json without that indentation. */
static void print_dedented(ce_slice s)
{
    size_t indent = 0;
    const char *last_nl = NULL;
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] == '\n')
            last_nl = s.ptr + i;
    if (last_nl)
        while (last_nl + 1 + indent < s.ptr + s.len && last_nl[1 + indent] == ' ')
            indent++;
    const char *p = s.ptr, *end = s.ptr + s.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (p != s.ptr)
            for (size_t k = 0; k < indent && p < e && *p == ' '; k++)
                p++;
        fwrite(p, 1, (size_t)(e - p), stdout);
        fputc('\n', stdout);
        p = nl ? nl + 1 : end;
    }
}

static int cat_list(cer_catalog *cat)
{
    printf("%-36s %-36s %s\n", "TYPE", "TOPIC", "DESCRIPTION");
    for (size_t i = 0; i < cer_catalog_count(cat); i++) {
        cer_catalog_type t;
        cer_catalog_type_at(cat, i, &t);
        printf("%-36s %-36s %s\n", t.type, t.topic, t.description);
    }
    return CLI_OK;
}

static int cat_show(cer_catalog *cat, const char *type, int only)
{
    cer_catalog_type t;
    if (cer_catalog_find(cat, type, &t) != 0) {
        fprintf(stderr,
                "cerelay catalog: type '%s' is not in the catalog ('cerelay catalog "
                "list' lists them)\n",
                type);
        return CLI_INVALID;
    }
    if (only == 's') {
        fwrite(t.schema_json.ptr, 1, t.schema_json.len, stdout);
        if (t.schema_json.len && t.schema_json.ptr[t.schema_json.len - 1] != '\n')
            fputc('\n', stdout);
        return CLI_OK;
    }
    if (only == 'e') {
        if (!t.example_json.len) {
            fprintf(stderr, "cerelay catalog: %s has no example\n", t.type);
            return CLI_INVALID;
        }
        print_dedented(t.example_json);
        return CLI_OK;
    }
    printf("type:           %s\n", t.type);
    printf("description:    %s\n", t.description);
    printf("topic:          %s\n", t.topic);
    printf("partition key:  %s%s%s%s\n", t.partition_key, t.subject[0] ? " (subject = " : "",
           t.subject, t.subject[0] ? " from the data)" : "");
    printf("default source: %s\n", t.source);
    printf("dataschema:     %s\n", t.dataschema[0] ? t.dataschema : "(none)");
    printf("schema file:    %s\n", t.schema_path[0] ? t.schema_path : "(inline)");
    printf("validation:     %s\n", cer_catalog_mode_name(t.mode));
    printf("\nschema:\n");
    fwrite(t.schema_json.ptr, 1, t.schema_json.len, stdout);
    if (t.schema_json.len && t.schema_json.ptr[t.schema_json.len - 1] != '\n')
        fputc('\n', stdout);
    if (t.example_json.len) {
        printf("\nexample:\n");
        print_dedented(t.example_json);
    }
    return CLI_OK;
}

typedef struct vstate {
    const cer_catalog *cat;
    const char *name;
    size_t total, invalid, warned;
} vstate;

static void report(vstate *st, const char *where, const ce_event *ev, const char *decode_err)
{
    st->total++;
    if (decode_err) {
        st->invalid++;
        printf("%s: %s: %s\n", st->name, where, decode_err);
        return;
    }
    cer_catalog_result res;
    int v = cer_catalog_validate(st->cat, ev, &res);
    if (v < 0) {
        st->invalid++;
        printf("%s: %s: %s\n", st->name, where, ce_strerror(v));
        return;
    }
    if (v == CER_CATALOG_VALID || v == CER_CATALOG_SKIPPED)
        return;
    if (v == CER_CATALOG_WARNED)
        st->warned++;
    else
        st->invalid++;
    ce_slice type = ce_event_get_str(ev, "type");
    for (size_t i = 0; i < res.nmessages; i++)
        printf("%s: %s: %.*s: %s%s\n", st->name, where, (int)type.len, type.ptr,
               v == CER_CATALOG_WARNED ? "warning: " : "", res.messages[i]);
    if (res.violations > res.nmessages)
        printf("%s: %s: %.*s: ... and %zu more\n", st->name, where, (int)type.len, type.ptr,
               res.violations - res.nmessages);
}

static int on_batch_event(void *ctx, size_t index, ce_event *ev, int err, const char *msg)
{
    char where[32];
    snprintf(where, sizeof where, "event %zu", index + 1);
    report(ctx, where, ev, ev ? NULL : msg);
    ce_event_destroy(ev);
    return 0;
}

static int cat_validate(vstate *st, const char *path, int quiet)
{
    char *buf;
    size_t len;
    if (cli_read_all(path, (size_t)1 << 30, &buf, &len) < 0)
        return CLI_USAGE;
    char err[512];
    ce_limits lim = ce_limits_default();
    const char *p = buf;
    while (p < buf + len && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ce_event *ev = NULL;
    if (p < buf + len && *p == '[') {
        lim.max_event_bytes = len > lim.max_event_bytes ? len : lim.max_event_bytes;
        lim.max_batch = UINT32_MAX;
        if (ce_json_decode_batch(buf, len, &lim, on_batch_event, st, err, sizeof err) < 0) {
            printf("%s: %s\n", st->name, err);
            st->total++, st->invalid++;
        }
    } else if (ce_json_decode(buf, len, &lim, &ev, err, sizeof err) == 0) {
        report(st, "event 1", ev, NULL);
        ce_event_destroy(ev);
    } else {
        size_t lineno = 0;
        for (char *line = buf; line < buf + len;) {
            char *nl = memchr(line, '\n', (size_t)(buf + len - line));
            char *end = nl ? nl : buf + len;
            lineno++;
            const char *q = line;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            if (q < end) {
                char where[32];
                snprintf(where, sizeof where, "line %zu", lineno);
                ev = NULL;
                int rc = ce_json_decode(line, (size_t)(end - line), &lim, &ev, err, sizeof err);
                report(st, where, ev, rc ? err : NULL);
                ce_event_destroy(ev);
            }
            line = end + 1;
        }
    }
    free(buf);
    if (!quiet) {
        if (st->invalid)
            fprintf(stderr, "invalid: %zu of %zu event(s)\n", st->invalid, st->total);
        else
            fprintf(stderr, "ok: %zu event(s)%s\n", st->total,
                    st->warned ? " (with warnings)" : "");
    }
    return st->invalid ? CLI_INVALID : CLI_OK;
}

int cmd_catalog(int argc, char **argv)
{
    enum { O_CATALOG = 256, O_MODE, O_SCHEMA, O_EXAMPLE };
    static const struct option opts[] = {{"catalog", required_argument, NULL, O_CATALOG},
                                         {"mode", required_argument, NULL, O_MODE},
                                         {"schema", no_argument, NULL, O_SCHEMA},
                                         {"example", no_argument, NULL, O_EXAMPLE},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *files[64];
    int nfiles = 0, quiet = 0, only = 0, c;
    const char *mode = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) { /* options anywhere */
        switch (c) {
        case O_CATALOG:
            if (nfiles == 64)
                return usage_err("%s", "too many --catalog options");
            files[nfiles++] = optarg;
            break;
        case O_MODE:
            mode = optarg;
            break;
        case O_SCHEMA:
            only = 's';
            break;
        case O_EXAMPLE:
            only = 'e';
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_OK;
        default:
            fputs(help, stderr);
            return CLI_USAGE;
        }
    }
    if (optind >= argc)
        return usage_err("%s", "expected a subcommand: list, show or validate");
    const char *sub = argv[optind++];
    cer_catalog_mode m = CER_CATALOG_ENFORCE;
    if (mode && cer_catalog_mode_parse(mode, &m) != 0)
        return usage_err("--mode: '%s' is not off, warn or enforce", mode);
    char err[1024];
    cer_catalog *cat = NULL;
    if (cer_catalog_new(&cat, 0, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay catalog: %s\n", err);
        return CLI_USAGE;
    }
    for (int i = 0; i < nfiles; i++)
        if (cer_catalog_load_file(cat, files[i], err, sizeof err) != 0) {
            fprintf(stderr, "cerelay catalog: %s\n", err);
            cer_catalog_destroy(cat);
            return CLI_USAGE;
        }
    if (mode)
        cer_catalog_set_mode(cat, NULL, m);
    int status;
    if (strcmp(sub, "list") == 0 && optind == argc) {
        status = cat_list(cat);
    } else if (strcmp(sub, "show") == 0 && optind == argc - 1) {
        status = cat_show(cat, argv[optind], only);
    } else if (strcmp(sub, "validate") == 0 && optind >= argc - 1) {
        const char *path = optind < argc ? argv[optind] : "-";
        vstate st = {cat, strcmp(path, "-") == 0 ? "<stdin>" : path, 0, 0, 0};
        status = cat_validate(&st, path, quiet);
    } else if (strcmp(sub, "show") == 0 && optind == argc) {
        status = usage_err("%s", "show: which type? ('cerelay catalog list' lists them)");
    } else if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "validate")) {
        status = usage_err("unknown subcommand '%s' (list, show, validate)", sub);
    } else {
        status = usage_err("%s: unexpected argument", sub);
    }
    cer_catalog_destroy(cat);
    return status;
}
