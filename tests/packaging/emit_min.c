/* Built by test_install.sh against the installed headers and libraries only
 * (pkg-config --cflags --libs cerelay): one CloudEvent built with the core and published
 * through the emitter's stdout binding. */
#include <stdio.h>

#include <cerelay/ce.h>
#include <cerelay/emitter.h>

int main(void)
{
    char err[256];
    ce_event *ev = ce_event_new();
    if (!ev || ce_event_set_str(ev, "specversion", "1.0", err, sizeof err) ||
        ce_event_set_str(ev, "id", "installed-1", err, sizeof err) ||
        ce_event_set_str(ev, "source", "/installed", err, sizeof err) ||
        ce_event_set_str(ev, "type", "dev.cerelay.installed.v1", err, sizeof err)) {
        fprintf(stderr, "emit_min: %s\n", err);
        return 1;
    }
    cer_emitter_conf *conf = cer_emitter_conf_new();
    cer_emitter *em = NULL;
    int rc = cer_emitter_new(&em, conf, err, sizeof err);
    cer_emitter_conf_destroy(conf);
    if (!rc)
        rc = cer_emitter_emit(em, ev, NULL, err, sizeof err);
    if (rc)
        fprintf(stderr, "emit_min: %s\n", err);
    if (em && cer_emitter_flush(em, 10000) != 0)
        rc = -1;
    cer_emitter_destroy(em, 1000);
    ce_event_destroy(ev);
    return rc ? 1 : 0;
}
