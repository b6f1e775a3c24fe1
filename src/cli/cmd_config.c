/* cerelay config check: load a relay configuration file (src/relay/config.c), report every
 * problem with its position and key, and optionally print the effective configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "relay/config.h"

#define STDIN_MAX ((size_t)16 << 20) /* the loader itself refuses more than 1 MiB */

static const char help[] =
    "usage: cerelay config check [-c FILE] [--print] [--quiet]\n"
    "\n"
    "Check a relay configuration file (YAML; see docs/config.md): every key is known, every\n"
    "value has the right type and range, ${VAR} references are set, and the rules between\n"
    "keys hold. Every problem goes to standard error, sorted by position, as\n"
    "  FILE:LINE:COL: key 'kafka.sasl.mechanism': expected one of PLAIN, ...\n"
    "  FILE:LINE:COL: unknown key 'kafak' (did you mean 'kafka'?)\n"
    "Without -c, the built-in defaults are checked.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE  the configuration file (\"-\" = standard input); FILE may also be\n"
    "                     given without -c\n"
    "  -p, --print        write the effective configuration to standard output as YAML, every\n"
    "                     key present, secrets shown as \"<redacted>\"\n"
    "  -q, --quiet        print nothing on success\n"
    "  -h, --help         this text\n"
    "\n"
    "exit status: 0 valid, 1 invalid (or larger than 1 MiB), 2 usage or I/O error\n";

static const char group_help[] = "usage: cerelay config check [-c FILE] [--print] [--quiet]\n"
                                 "       cerelay config convert FILE\n"
                                 "\n"
                                 "commands:\n"
                                 "  check      check a relay configuration file\n"
                                 "  convert    print a sidecar-layout file (coresdk-sidecar.yaml)\n"
                                 "             as a native cerelay.yaml\n"
                                 "\n"
                                 "'cerelay config check --help' describes it.\n"
                                 "\n"
                                 "exit status: 0 valid, 1 invalid, 2 usage or I/O error\n";

static int print_config(const cer_config *cfg)
{
    ce_buf out;
    ce_buf_init(&out);
    int rc = cer_config_dump(cfg, &out);
    if (rc == 0)
        fwrite(out.ptr, 1, out.len, stdout);
    else
        fprintf(stderr, "cerelay config: %s\n", ce_strerror(rc));
    ce_buf_free(&out);
    return rc;
}

static int check(const char *path, int print, int quiet)
{
    static char err[64 * 1024];
    cer_config cfg;
    const char *name = path ? path : "<defaults>";
    int rc = 0;
    if (!path) {
        cer_config_default(&cfg);
    } else if (strcmp(path, "-") == 0) {
        char *buf;
        size_t len;
        if (cli_read_all("-", STDIN_MAX, &buf, &len) < 0)
            return CLI_USAGE;
        name = "<stdin>";
        rc = cer_config_load_string(buf, len, name, &cfg, err, sizeof err);
        free(buf);
    } else {
        rc = cer_config_load(path, &cfg, err, sizeof err);
    }
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return rc == CE_EIO || rc == CE_ENOMEM ? CLI_USAGE : CLI_INVALID;
    }
    int status = CLI_OK;
    if (print && print_config(&cfg) != 0)
        status = CLI_USAGE;
    if (status == CLI_OK && !quiet)
        fprintf(print ? stderr : stdout, "ok: %s\n", name);
    cer_config_free(&cfg);
    fflush(stdout);
    return status;
}

static const char convert_help[] =
    "usage: cerelay config convert FILE\n"
    "\n"
    "Translate a configuration in the CoreSDK sidecar layout (tenant, otel, cloud_events; see\n"
    "docs/config.md, \"The sidecar layout\") into a native cerelay.yaml on standard output.\n"
    "${VAR} references are kept. FILE \"-\" is standard input. `cerelay run` and `config\n"
    "check` read the sidecar layout directly; this shows what they read it as.\n"
    "\n"
    "exit status: 0 converted, 1 not the sidecar layout or invalid, 2 usage or I/O error\n";

static int convert(int argc, char **argv)
{
    static char err[64 * 1024];
    if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        fputs(convert_help, stdout);
        return CLI_OK;
    }
    if (argc != 3) {
        fputs(convert_help, stderr);
        return CLI_USAGE;
    }
    char *buf;
    size_t len;
    if (cli_read_all(argv[2], STDIN_MAX, &buf, &len) < 0)
        return CLI_USAGE;
    const char *name = strcmp(argv[2], "-") == 0 ? "<stdin>" : argv[2];
    ce_buf out;
    ce_buf_init(&out);
    int rc = cer_config_convert(buf, len, name, &out, err, sizeof err);
    free(buf);
    if (rc == 0)
        fwrite(out.ptr, 1, out.len, stdout);
    else
        fprintf(stderr, "%s\n", err);
    ce_buf_free(&out);
    fflush(stdout);
    return rc == 0 ? CLI_OK : rc == CE_ENOMEM ? CLI_USAGE : CLI_INVALID;
}

int cmd_config(int argc, char **argv)
{
    if (argc < 2) {
        fputs(group_help, stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(group_help, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "convert") == 0)
        return convert(argc, argv);
    if (strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "cerelay config: unknown command '%s'\n\n%s", argv[1], group_help);
        return CLI_USAGE;
    }
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"print", no_argument, NULL, 'p'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int print = 0, quiet = 0, c;
    argc--, argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:pqh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (path) {
                fprintf(stderr, "cerelay config check: only one configuration file\n");
                return CLI_USAGE;
            }
            path = optarg;
            break;
        case 'p':
            print = 1;
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
    if (optind < argc) {
        if (path || optind + 1 < argc) {
            fprintf(stderr, "cerelay config check: only one configuration file\n");
            return CLI_USAGE;
        }
        path = argv[optind];
    }
    return check(path, print, quiet);
}
