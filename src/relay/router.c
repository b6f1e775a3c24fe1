/* Routing: the first route (config `routes`, in order) whose glob matches the event type gives
 * the topic and key templates; no match leaves the binding's defaults. */
#include <string.h>

#include "relay/relay.h"

int relay_glob(const char *pat, const char *s, size_t len)
{
    size_t i = 0;
    const char *star = NULL;
    size_t star_i = 0;
    while (i < len) {
        if (*pat == '?' || (*pat && *pat != '*' && *pat == s[i])) {
            pat++, i++;
        } else if (*pat == '*') {
            star = pat++;
            star_i = i;
        } else if (star) {
            pat = star + 1;
            i = ++star_i;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == 0;
}

int relay_route(void *ctx, const ce_event *ev, const char **topic_tmpl, const char **key_tmpl)
{
    relay *r = ctx;
    ce_slice type = ce_event_get_str(ev, "type");
    const cer_config *c = relay_live(r);
    for (size_t i = 0; i < c->nroutes; i++) {
        const cer_config_route *rt = &c->routes[i];
        if (relay_glob(rt->match, type.ptr, type.len)) {
            if (rt->topic)
                *topic_tmpl = rt->topic;
            if (rt->key)
                *key_tmpl = rt->key;
            return 0;
        }
    }
    return 0;
}
