/* The scorecard's outputs: the terminal table, the JSON document (its schema is
 * docs/schemas/scorecard.schema.json) and the self-contained HTML page with Chart.js embedded. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/scorecard.h"

sc_row *sc_report_add(sc_report *r, const char *id, const char *title)
{
    if (r->nrows >= SC_MAX_ROWS)
        return NULL;
    sc_row *w = &r->rows[r->nrows++];
    memset(w, 0, sizeof *w);
    snprintf(w->id, sizeof w->id, "%s", id);
    snprintf(w->title, sizeof w->title, "%s", title);
    w->measured = NAN;
    w->grade = SC_SKIP;
    return w;
}

void sc_report_verdict(sc_report *r)
{
    int red = 0, yellow = 0, green = 0, skip = 0;
    for (int i = 0; i < r->nrows; i++)
        switch (r->rows[i].grade) {
        case SC_RED:
            red++;
            break;
        case SC_YELLOW:
            yellow++;
            break;
        case SC_GREEN:
            green++;
            break;
        default:
            skip++;
            break;
        }
    if (red) {
        r->verdict = SC_RED;
        snprintf(r->verdict_text, sizeof r->verdict_text,
                 "RED: %d red, %d yellow of %d checks (%d not run): losses, stale freshness, "
                 "replay or an operation failed",
                 red, yellow, red + yellow + green, skip);
    } else if (yellow >= 3) {
        r->verdict = SC_RED;
        snprintf(r->verdict_text, sizeof r->verdict_text,
                 "RED: %d of %d checks yellow, more than one or two paths need work (%d not run)",
                 yellow, yellow + green, skip);
    } else if (yellow) {
        r->verdict = SC_YELLOW;
        snprintf(r->verdict_text, sizeof r->verdict_text,
                 "YELLOW: %d of %d checks need runbook work before production (%d not run)", yellow,
                 yellow + green, skip);
    } else {
        r->verdict = SC_GREEN;
        snprintf(r->verdict_text, sizeof r->verdict_text,
                 "GREEN: clients work, lag within objective, replay predictable (%d checks, %d "
                 "not run)",
                 green, skip);
    }
}

void sc_report_table(const sc_report *r, FILE *out, int color)
{
    static const char *const col[] = {"\033[32m", "\033[33m", "\033[31m", "\033[90m"};
    fprintf(out, "cerelay scorecard  %s  brokers %s  topic %s  %.0f s at %.0f ev/s, bursts %s\n\n",
            r->started, r->brokers, r->topic, r->duration_s, r->rate, r->burst ? r->burst : "none");
    fprintf(out, "%-40s %-7s %-30s %s\n", "CHECK", "GRADE", "MEASURED", "THRESHOLD");
    for (int i = 0; i < r->nrows; i++) {
        const sc_row *w = &r->rows[i];
        const char *g = sc_grade_name(w->grade);
        if (color)
            fprintf(out, "%-40s %s%-7s\033[0m %-30s %s\n", w->title, col[w->grade], g, w->value,
                    w->limit);
        else
            fprintf(out, "%-40s %-7s %-30s %s\n", w->title, g, w->value, w->limit);
        if (w->note[0])
            fprintf(out, "%-40s   %s\n", "", w->note);
    }
    fprintf(out, "\nverdict: %s\n", r->verdict_text);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void json_num(FILE *out, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", out);
    else
        fprintf(out, "%.6g", v);
}

static void json_series(FILE *out, const sc_report *r)
{
    fputs("[", out);
    for (size_t i = 0; i < r->npoints; i++) {
        const sc_point *p = &r->points[i];
        fprintf(out, "%s\n    {\"t\": %.3f, \"rate\": ", i ? "," : "", p->t);
        json_num(out, p->rate);
        fputs(", \"ack_p50_ms\": ", out);
        json_num(out, p->ack_p50);
        fputs(", \"ack_p99_ms\": ", out);
        json_num(out, p->ack_p99);
        fputs(", \"freshness_p99_ms\": {", out);
        for (int g = 0; g < 4; g++) {
            fprintf(out, "%s", g ? ", " : "");
            json_str(out, r->group_names[g]);
            fputs(": ", out);
            json_num(out, p->fresh_p99[g]);
        }
        fputs("}}", out);
    }
    fputs("]", out);
}

int sc_report_json(const sc_report *r, FILE *out)
{
    fputs("{\n  \"version\": 1,\n  \"started\": ", out);
    json_str(out, r->started);
    fputs(",\n  \"brokers\": ", out);
    json_str(out, r->brokers);
    fputs(",\n  \"topic\": ", out);
    json_str(out, r->topic);
    fprintf(out, ",\n  \"duration_s\": %.3f,\n  \"rate\": %.3f,\n  \"burst\": ", r->duration_s,
            r->rate);
    if (r->burst)
        json_str(out, r->burst);
    else
        fputs("null", out);
    fputs(",\n  \"verdict\": ", out);
    json_str(out, sc_grade_name(r->verdict));
    fputs(",\n  \"verdict_text\": ", out);
    json_str(out, r->verdict_text);
    fprintf(out, ",\n  \"exit_status\": %d,\n  \"checks\": [", (int)r->verdict);
    for (int i = 0; i < r->nrows; i++) {
        const sc_row *w = &r->rows[i];
        fprintf(out, "%s\n    {\"id\": ", i ? "," : "");
        json_str(out, w->id);
        fputs(", \"title\": ", out);
        json_str(out, w->title);
        fputs(", \"grade\": ", out);
        json_str(out, sc_grade_name(w->grade));
        fputs(", \"measured\": ", out);
        json_num(out, w->measured);
        fputs(", \"value\": ", out);
        json_str(out, w->value);
        fputs(", \"threshold\": ", out);
        json_str(out, w->limit);
        fputs(", \"note\": ", out);
        json_str(out, w->note);
        fputs("}", out);
    }
    fputs("\n  ],\n  \"bursts\": [", out);
    for (int i = 0; i < r->nbursts; i++)
        fprintf(out, "%s[%.3f, %.3f]", i ? ", " : "", r->bursts[i][0], r->bursts[i][1]);
    fputs("],\n  \"series\": ", out);
    json_series(out, r);
    fputs("\n}\n", out);
    return ferror(out) ? -1 : 0;
}

static void html_esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

int sc_report_html(const sc_report *r, FILE *out, const char *chartjs)
{
    static const char *const bg[] = {"#2e7d32", "#f9a825", "#c62828", "#757575"};
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>cerelay scorecard</title>\n<style>\n"
          "body{font-family:sans-serif;margin:2em;max-width:1100px}\n"
          "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;"
          "text-align:left;font-size:14px}\n"
          ".g{color:#fff;font-weight:bold;text-align:center}\n"
          ".chart{position:relative;height:300px;width:1000px;margin:1em 0}\n"
          /* #charts: only the two charts, at fixed places (the rendering test looks there) */
          "body.charts-only{margin:0}body.charts-only>:not(.chart){display:none}\n"
          "body.charts-only .chart{margin:0 0 20px 0}\n"
          "</style>\n",
          out);
    if (chartjs) {
        fputs("<script>\n", out);
        /* "</script" cannot occur in a minified library's strings in practice; guard anyway. */
        for (const char *p = chartjs; *p; p++) {
            if (*p == '<' && strncmp(p, "</script", 8) == 0)
                fputs("<\\/", out), p += 1;
            else
                fputc(*p, out);
        }
        fputs("\n</script>\n", out);
    }
    fputs("</head><body>\n<h1>cerelay readiness scorecard</h1>\n<p>", out);
    html_esc(out, r->started);
    fputs(" &middot; brokers <code>", out);
    html_esc(out, r->brokers);
    fprintf(out, "</code> &middot; %.0f s at %.0f ev/s, bursts ", r->duration_s, r->rate);
    html_esc(out, r->burst ? r->burst : "none");
    fprintf(out, "</p>\n<h2 id=\"verdict\" style=\"color:%s\">", bg[r->verdict]);
    html_esc(out, r->verdict_text);
    fputs("</h2>\n<table><tr><th>check</th><th>grade</th><th>measured</th><th>threshold</th>"
          "<th>note</th></tr>\n",
          out);
    for (int i = 0; i < r->nrows; i++) {
        const sc_row *w = &r->rows[i];
        fputs("<tr><td>", out);
        html_esc(out, w->title);
        fprintf(out, "</td><td class=\"g\" style=\"background:%s\">%s</td><td>", bg[w->grade],
                sc_grade_name(w->grade));
        html_esc(out, w->value);
        fputs("</td><td>", out);
        html_esc(out, w->limit);
        fputs("</td><td>", out);
        html_esc(out, w->note);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n<h2>Produce acknowledgement latency (ms, per second)</h2>\n"
          "<div class=\"chart\"><canvas id=\"ack\"></canvas></div>\n"
          "<h2>End-to-end freshness p99 per consumer group (ms, per second)</h2>\n"
          "<div class=\"chart\"><canvas id=\"fresh\"></canvas></div>\n",
          out);
    if (!chartjs)
        fputs("<p><b>Charts missing:</b> Chart.js was not found when the report was written "
              "(Debian: apt-get install libjs-chart.js).</p>\n",
              out);
    fputs("<script id=\"data\" type=\"application/json\">\n", out);
    sc_report_json(r, out);
    fputs("</script>\n<script>\n"
          "const d = JSON.parse(document.getElementById('data').textContent);\n"
          "if (location.hash === '#charts') document.body.classList.add('charts-only');\n"
          "if (window.Chart) {\n"
          " Chart.defaults.animation = false;\n"
          " const xs = d.series.map(p => p.t.toFixed(0));\n"
          " const colors = ['#c62828', '#1565c0', '#2e7d32', '#6a1b9a'];\n"
          " const opts = {responsive: true, maintainAspectRatio: false, spanGaps: true,\n"
          "   scales: {x: {title: {display: true, text: 'seconds since start'}},\n"
          "            y: {type: 'logarithmic', title: {display: true, text: 'ms'}}}};\n"
          " new Chart(document.getElementById('ack'), {type: 'line', options: opts, data: {\n"
          "   labels: xs, datasets: [\n"
          "   {label: 'ack p50', data: d.series.map(p => p.ack_p50_ms), borderColor: '#1565c0',"
          " pointRadius: 0},\n"
          "   {label: 'ack p99', data: d.series.map(p => p.ack_p99_ms), borderColor: '#c62828',"
          " pointRadius: 0}]}});\n"
          " const groups = Object.keys(d.series.length ? d.series[0].freshness_p99_ms : {});\n"
          " new Chart(document.getElementById('fresh'), {type: 'line', options: opts, data: {\n"
          "   labels: xs, datasets: groups.map((g, i) => ({label: g, borderColor: colors[i % 4],"
          " pointRadius: 0,\n"
          "     data: d.series.map(p => p.freshness_p99_ms[g])}))}});\n"
          "}\n</script>\n</body></html>\n",
          out);
    return ferror(out) ? -1 : 0;
}
