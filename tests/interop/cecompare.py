"""Attribute-by-attribute comparison of CloudEvents for the interoperability tests.

Events are structured-JSON dicts (json-format.md), whoever wrote them. Two events are the same
event when they have the same attribute names; each attribute has the same canonical string
(Boolean "true"/"false", Integer decimal: binary content modes carry every value as a string, so
7 and "7" match) except `time`, which must denote the same instant (writers differ in fraction
digits and offsets); and their data match: JSON data (datacontenttype absent, */json or
*/*+json) as JSON values, where numbers compare by value and true is not 1; other data as bytes
(data_base64, or a "data" string as UTF-8).

Standard library only: runs under any python3.
"""
import base64
import datetime
import json
import re
from urllib.parse import unquote

_TS = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
                 r"([Zz]|[+-]\d\d:\d\d)$")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def instant_ns(s):
    """Nanoseconds since the epoch of an RFC 3339 timestamp, or None if it is not one."""
    m = _TS.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    frac, off = m.group(7) or "", m.group(8)
    tz = datetime.timezone.utc
    if off not in ("Z", "z"):
        sign = 1 if off[0] == "+" else -1
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6])))
    dt = datetime.datetime(y, mo, d, h, mi, sec, tzinfo=tz)
    whole = (dt - _EPOCH) // datetime.timedelta(seconds=1)
    return whole * 1_000_000_000 + int((frac + "000000000")[:9])


def is_json_type(ct):
    if ct is None:
        return True
    mt = ct.split(";", 1)[0].strip().lower()
    return mt.endswith("/json") or mt.endswith("+json")


def attr_str(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    return f"<non-scalar {type(v).__name__}: {v!r}>"


def data_of(ev):
    """('none', None), ('json', value) or ('bytes', b'...')."""
    if "data_base64" in ev:
        try:
            return ("bytes", base64.b64decode(ev["data_base64"], validate=True))
        except Exception as e:  # noqa: BLE001
            return ("bad-base64", f"{ev['data_base64']!r}: {e}")
    if "data" not in ev:
        return ("none", None)
    v = ev["data"]
    if is_json_type(ev.get("datacontenttype")):
        return ("json", v)
    if isinstance(v, str):
        return ("bytes", v.encode("utf-8"))
    return ("json", v)


def json_eq(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_eq(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_eq(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


class Quirks:
    """Documented deviations of a peer (docs/interop.md) the comparison tolerates. Each one is
    about the peer, never about cerelay; everything not listed must match exactly."""

    def __init__(self, adds_time=False, time_ns=1, unquote_attrs=False, key_partitionkey=False,
                 bool_title=False, ignore_attrs=()):
        self.adds_time = adds_time            # the peer invents `time` when the event has none
        self.time_ns = time_ns                # the peer keeps `time` only to this many ns
        self.unquote_attrs = unquote_attrs    # the peer does not percent-decode HTTP ce- headers
        self.key_partitionkey = key_partitionkey  # the peer maps the Kafka key to partitionkey
        self.bool_title = bool_title          # the peer writes a Boolean as "True"/"False"
        self.ignore_attrs = ignore_attrs      # extensions the peer adds on its own


def json_class(v):
    return {bool: "Boolean", int: "Integer", str: "String"}.get(type(v), type(v).__name__)


def diff(expected, actual, quirks=None, key=None, strict_types=False):
    """List of human-readable differences between two event dicts (empty: the same event).
    `key` is the Kafka record key the actual event came with (for Quirks.key_partitionkey).
    strict_types: the event went through the JSON format only (structured or batch mode), which
    keeps Boolean, Integer and String apart, so 7 and "7" differ."""
    q = quirks or Quirks()
    out = []
    ea = {k: v for k, v in expected.items() if k not in ("data", "data_base64")}
    aa = {k: v for k, v in actual.items() if k not in ("data", "data_base64")}
    if q.adds_time and "time" not in ea and "time" in aa:
        del aa["time"]
    if q.key_partitionkey and "partitionkey" not in ea and key is not None \
            and aa.get("partitionkey") == key:
        del aa["partitionkey"]
    for name in q.ignore_attrs:
        if name not in ea:
            aa.pop(name, None)
    for name in sorted(ea.keys() | aa.keys()):
        if name not in aa:
            out.append(f"attribute {name}: missing (expected {ea[name]!r})")
            continue
        if name not in ea:
            out.append(f"attribute {name}: unexpected (got {aa[name]!r})")
            continue
        e, a = attr_str(ea[name]), attr_str(aa[name])
        if q.unquote_attrs and isinstance(aa[name], str):
            a = unquote(a)
        if q.bool_title and isinstance(ea[name], bool) and a == str(ea[name]):
            a = e
        if name == "time":
            ei, ai = instant_ns(e), instant_ns(a)
            if ei is None or ai is None or ei // q.time_ns != ai // q.time_ns:
                out.append(f"attribute time: expected {e!r}, got {a!r} (not the same instant)")
        elif e != a:
            out.append(f"attribute {name}: expected {e!r}, got {a!r}")
        elif strict_types and json_class(ea[name]) != json_class(aa[name]):
            out.append(f"attribute {name}: expected {json_class(ea[name])} {ea[name]!r}, got "
                       f"{json_class(aa[name])} {aa[name]!r}")
    ed, ad = data_of(expected), data_of(actual)
    if ed[0] != ad[0]:
        out.append(f"data: expected {ed[0]} {ed[1]!r}, got {ad[0]} {ad[1]!r}")
    elif ed[0] == "json" and not json_eq(ed[1], ad[1]):
        out.append(f"data: expected JSON {ed[1]!r}, got {ad[1]!r}")
    elif ed[0] != "json" and ed[1] != ad[1]:
        out.append(f"data: expected {ed[1]!r}, got {ad[1]!r}")
    return out


def load_ndjson(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def compare_sets(expected, actual, quirks=None, keys=None, ordered=True, strict_types=False):
    """Compare two lists of events, matched by id (ids are unique in the corpus). `keys` maps an
    id to the Kafka key its actual record had. Returns a list of differences."""
    out = []
    ids_e = [e.get("id") for e in expected]
    ids_a = [a.get("id") for a in actual]
    if len(actual) != len(expected):
        out.append(f"expected {len(expected)} events, got {len(actual)}")
    if ordered and ids_a != ids_e and sorted(map(str, ids_a)) == sorted(map(str, ids_e)):
        out.append(f"events out of order: {ids_a}")
    by_id = {}
    for a in actual:
        if a.get("id") in by_id:
            out.append(f"event {a.get('id')!r} received twice")
        by_id[a.get("id")] = a
    for e in expected:
        a = by_id.get(e["id"])
        if a is None:
            out.append(f"event {e['id']!r}: not received")
            continue
        for d in diff(e, a, quirks, (keys or {}).get(e["id"]), strict_types):
            out.append(f"event {e['id']!r}: {d}")
    for i in ids_a:
        if i not in ids_e:
            out.append(f"event {i!r}: unexpected")
    return out
