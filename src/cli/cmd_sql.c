/* cerelay sql: evaluate a CESQL expression, optionally against an event, and print the
 * result as a JSON literal. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cerelay/ce_sql.h"
#include "cli/cli.h"

static const char help[] =
    "usage: cerelay sql [--event FILE|-] 'EXPRESSION'\n"
    "\n"
    "Evaluate a CloudEvents SQL (CESQL v1) expression and print its value as a JSON literal\n"
    "(true, 3, \"x\"). With --event the expression sees that event's attributes (a structured\n"
    "JSON event); without it, an event with no attributes. Evaluation errors (a missing\n"
    "attribute, a failed cast, division by zero...) go to standard error; the printed value is\n"
    "then the one CESQL defines for the failed operation.\n"
    "\n"
    "exit status: 0 no error, 1 evaluation errors, 2 parse error or usage/I-O error\n"
    "\n"
    "example: cerelay sql --event usage.json \"type LIKE 'eventzr.llm.%' AND subject = "
    "'tenant-uuid'\"\n";

int cmd_sql(int argc, char **argv)
{
    static const struct option opts[] = {{"event", required_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *event_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "e:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            event_path = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_OK;
        default:
            fputs(help, stderr);
            return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "cerelay sql: give exactly one expression (see 'cerelay sql --help')\n");
        return CLI_USAGE;
    }
    const char *expr = argv[optind];
    char err[512];
    ce_sql_prog *prog = NULL;
    if (ce_sql_compile(expr, strlen(expr), &prog, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay sql: %s\n", err);
        return CLI_USAGE;
    }
    ce_event *ev = NULL;
    if (event_path) {
        char *buf;
        size_t len;
        if (cli_read_all(event_path, CE_DEFAULT_MAX_EVENT_BYTES * 4, &buf, &len) < 0) {
            ce_sql_prog_destroy(prog);
            return CLI_USAGE;
        }
        int rc = ce_json_decode(buf, len, NULL, &ev, err, sizeof err);
        free(buf);
        if (rc) {
            fprintf(stderr, "cerelay sql: %s: %s\n", event_path, err);
            ce_sql_prog_destroy(prog);
            return CLI_USAGE;
        }
    }
    ce_sql_ctx *ctx = ce_sql_ctx_new(0);
    ce_sql_value v;
    int nerr = ctx ? ce_sql_eval(prog, ctx, ev, 0, &v) : CE_ENOMEM;
    int status = CLI_OK;
    if (nerr < 0) {
        fprintf(stderr, "cerelay sql: %s\n", ce_strerror(nerr));
        status = CLI_USAGE;
    } else {
        ce_buf out;
        ce_buf_init(&out);
        ce_sql_value_json(&v, &out);
        fwrite(out.ptr, 1, out.len, stdout);
        fputc('\n', stdout);
        ce_buf_free(&out);
        for (size_t i = 0; i < ce_sql_ctx_error_count(ctx); i++) {
            const ce_sql_error *e = ce_sql_ctx_error(ctx, i);
            if (!e)
                break;
            ce_sql_error_format(prog, e, err, sizeof err);
            fprintf(stderr, "error: %s\n", err);
        }
        if (nerr > 0)
            status = CLI_INVALID;
    }
    ce_sql_ctx_destroy(ctx);
    ce_event_destroy(ev);
    ce_sql_prog_destroy(prog);
    return status;
}
