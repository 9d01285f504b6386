"""Translation helper for locale/: list untranslated entries, apply translations, check placeholders.

No third-party dependencies (a small .po reader/writer lives here). Translations are kept as a translation
memory in locale/tm/<lang>.json ({"<msgctxt>\\u0004<msgid>" or "<msgid>": "text" or ["form0", "form1", ...]}),
so after `make makemessages` a re-run of `apply` fills every entry whose msgid is already known.

    .venv/bin/python locale/potool.py status             # counts per language/domain
    .venv/bin/python locale/potool.py todo [--limit N]   # numbered list of entries missing in any language
    .venv/bin/python locale/potool.py add FILE           # FILE: JSON lines [n, sw, lv, hy] (numbers from `todo`)
    .venv/bin/python locale/potool.py apply              # fill .po files from the memory (+ en = source)
    .venv/bin/python locale/potool.py check              # placeholder / HTML tag consistency

Round: make makemessages -> potool.py apply -> potool.py todo -> write batch -> potool.py add -> apply ->
check -> manage.py compilemessages --ignore=.venv.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

LOCALE = Path(__file__).resolve().parent
TM_DIR = LOCALE / "tm"
WORK = Path(tempfile.gettempdir()) / "potool-todo.json"  # numbering of the last `todo` listing, read by `add`
LANGS = ["sw", "lv", "hy"]
ALL_LANGS = ["en", *LANGS]
DOMAINS = ["django", "djangojs"]
NPLURALS = {"en": 2, "sw": 2, "lv": 3, "hy": 2}
PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "sw": "nplurals=2; plural=(n != 1);",
    "lv": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n != 0 ? 1 : 2);",
    "hy": "nplurals=2; plural=(n != 1);",
}
TEAMS = {"en": "English", "sw": "Swahili", "lv": "Latvian", "hy": "Armenian"}


# --- .po reading and writing ------------------------------------------------------------------------------
def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


class Entry:
    def __init__(self) -> None:
        self.comments: list[str] = []  # "#." "#:" "# " lines, kept verbatim
        self.flags: list[str] = []
        self.previous: list[str] = []  # "#|" lines
        self.msgctxt: str | None = None
        self.msgid: str | None = None
        self.msgid_plural: str | None = None
        self.msgstr: list[str] = []
        self.obsolete: list[str] = []

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    def missing(self) -> bool:
        return "fuzzy" in self.flags or not self.msgstr or not all(self.msgstr)


def read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    cur = Entry()
    field: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal cur
        if cur.msgid is not None or cur.obsolete or cur.comments:
            entries.append(cur)
        cur = Entry()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            field = None
            continue
        if line.startswith("#~"):
            cur.obsolete.append(raw)
        elif line.startswith("#,"):
            cur.flags.extend(f.strip() for f in line[2:].split(",") if f.strip())
        elif line.startswith("#|"):
            cur.previous.append(raw)
        elif line.startswith("#"):
            cur.comments.append(raw)
        elif line.startswith("msgctxt "):
            if cur.msgid is not None:  # no blank line between entries
                finish()
            cur.msgctxt = unescape(line[8:].strip()[1:-1]); field = ("msgctxt", 0)
        elif line.startswith("msgid_plural "):
            cur.msgid_plural = unescape(line[13:].strip()[1:-1]); field = ("msgid_plural", 0)
        elif line.startswith("msgid "):
            if cur.msgid is not None:
                finish()
            cur.msgid = unescape(line[6:].strip()[1:-1]); field = ("msgid", 0)
        elif line.startswith("msgstr"):
            head, value = line.split(" ", 1)
            index = int(head[7:-1]) if head.startswith("msgstr[") else 0
            while len(cur.msgstr) <= index:
                cur.msgstr.append("")
            cur.msgstr[index] = unescape(value.strip()[1:-1]); field = ("msgstr", index)
        elif line.startswith('"') and field:
            value = unescape(line[1:-1])
            name, index = field
            if name == "msgstr":
                cur.msgstr[index] += value
            else:
                setattr(cur, name, getattr(cur, name) + value)
    finish()
    return entries


def _quoted(keyword: str, text: str) -> list[str]:
    if "\n" in text[:-1]:
        parts = text.split("\n")
        chunks = [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        return [f'{keyword} ""'] + [f'"{escape(c)}"' for c in chunks]
    return [f'{keyword} "{escape(text)}"']


def write_po(path: Path, entries: list[Entry]) -> None:
    blocks = []
    for e in entries:
        lines = list(e.comments)
        if e.flags:
            lines.append("#, " + ", ".join(dict.fromkeys(e.flags)))
        lines.extend(e.previous)
        if e.msgid is not None:
            if e.msgctxt is not None:
                lines += _quoted("msgctxt", e.msgctxt)
            lines += _quoted("msgid", e.msgid)
            if e.msgid_plural is not None:
                lines += _quoted("msgid_plural", e.msgid_plural)
                for i, s in enumerate(e.msgstr):
                    lines += _quoted(f"msgstr[{i}]", s)
            else:
                lines += _quoted("msgstr", e.msgstr[0] if e.msgstr else "")
        lines.extend(e.obsolete)
        blocks.append("\n".join(lines))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    # gettext's own layout (line wrapping), so `make makemessages` produces small diffs afterwards
    subprocess.run(["msgcat", "--use-first", "-o", str(path), str(path)], check=True)


def po_path(lang: str, domain: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"


# --- translation memory -----------------------------------------------------------------------------------
def load_tm(lang: str) -> dict:
    path = TM_DIR / f"{lang}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def save_tm(lang: str, tm: dict) -> None:
    TM_DIR.mkdir(exist_ok=True)
    (TM_DIR / f"{lang}.json").write_text(
        json.dumps(dict(sorted(tm.items())), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# --- placeholder checks -----------------------------------------------------------------------------------
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[sdfiruxXeEgGc]|%[-#0 +]*\d*(?:\.\d+)?[sdfiruxXeEgGc%]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?[A-Za-z][^>]*>")


def signature(text: str, formatted: bool = True) -> tuple:
    named = sorted(m for m in PLACEHOLDER.findall(text) if m != "%%" and (formatted or m.startswith(("%(", "{"))))
    tags = sorted(re.sub(r"\s+", " ", t) for t in TAG.findall(text))
    return named, tags


def problems(entry: Entry, forms: list[str], lang: str) -> list[str]:
    out = []
    formatted = "python-format" in entry.flags or "javascript-format" in entry.flags

    def signature_of(text: str) -> tuple:
        return signature(text, formatted)

    sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
    for i, form in enumerate(forms):
        if not form.strip():
            out.append(f"empty form {i}")
            continue
        if entry.msgid_plural is None:
            want = signature_of(entry.msgid)
        else:
            # a plural form may drop the count placeholder (e.g. "one topic"); names must come from the source
            want = signature_of(entry.msgid_plural if (lang == "lv" and i > 0) or (lang != "lv" and i > 0) else entry.msgid)
        got = signature_of(form)
        if entry.msgid_plural is None and got != want:
            out.append(f"placeholders/tags differ: {want} vs {got}")
        elif entry.msgid_plural is not None:
            allowed = set(signature_of(sources[0])[0]) | set(signature_of(sources[1])[0])
            if not set(got[0]) <= allowed or got[1] != want[1]:
                out.append(f"plural form {i} placeholders/tags differ: {want} vs {got}")
        if entry.msgid.endswith("\n") != form.endswith("\n"):
            out.append("trailing newline differs")
    return out


# --- commands ---------------------------------------------------------------------------------------------
def fix_header(entries: list[Entry], lang: str) -> None:
    for e in entries:
        if e.msgid == "":
            e.flags = [f for f in e.flags if f != "fuzzy"]
            header = e.msgstr[0] if e.msgstr else ""
            lines = [ln for ln in header.split("\n") if ln]
            fields = dict(ln.split(": ", 1) if ": " in ln else (ln, "") for ln in lines)
            fields["Project-Id-Version"] = "brandcommunity"
            fields["Language-Team"] = TEAMS[lang]
            fields["Language"] = lang
            fields["Plural-Forms"] = PLURAL_FORMS[lang]
            fields["Content-Type"] = "text/plain; charset=UTF-8"
            if fields.get("Last-Translator", "").startswith("FULL NAME"):
                fields["Last-Translator"] = "Community team"
            e.msgstr = ["".join(f"{k}: {v}\n" for k, v in fields.items())]
            return


def apply() -> int:
    remaining = 0
    for lang in ALL_LANGS:
        tm = load_tm(lang) if lang != "en" else {}
        for domain in DOMAINS:
            path = po_path(lang, domain)
            if not path.exists():
                continue
            entries = read_po(path)
            fix_header(entries, lang)
            for e in entries:
                if not e.msgid or e.obsolete:
                    continue
                n = NPLURALS[lang]
                if lang == "en":
                    forms = [e.msgid] if e.msgid_plural is None else [e.msgid, e.msgid_plural]
                else:
                    value = tm.get(e.key)
                    if value is None:
                        if e.missing():
                            remaining += 1
                        continue
                    forms = [value] if isinstance(value, str) else list(value)
                    if e.msgid_plural is not None and len(forms) != n:
                        print(f"[{lang}] wrong number of plural forms for {e.msgid!r}", file=sys.stderr)
                        remaining += 1
                        continue
                e.msgstr = forms
                e.flags = [f for f in e.flags if f != "fuzzy"]
                e.previous = []
            write_po(path, entries)
    print(f"applied; {remaining} entries still without a translation")
    return remaining


def status() -> None:
    for lang in ALL_LANGS:
        for domain in DOMAINS:
            path = po_path(lang, domain)
            if not path.exists():
                continue
            entries = [e for e in read_po(path) if e.msgid and not e.obsolete]
            fuzzy = sum("fuzzy" in e.flags for e in entries)
            missing = sum(e.missing() for e in entries)
            print(f"{lang:3} {domain:9} entries={len(entries):5} untranslated_or_fuzzy={missing:5} fuzzy={fuzzy}")


def todo(limit: int) -> None:
    tms = {lang: load_tm(lang) for lang in LANGS}
    seen: dict[str, Entry] = {}
    for domain in DOMAINS:
        for lang in LANGS:
            path = po_path(lang, domain)
            if not path.exists():
                continue
            for e in read_po(path):
                if e.msgid and not e.obsolete and e.key not in seen:
                    if any(e.key not in tms[lg] for lg in LANGS):
                        seen[e.key] = e
    items = list(seen.values())
    print(f"# {len(items)} entries to translate; showing {min(limit, len(items))}")
    batch = []
    for i, e in enumerate(items[:limit], 1):
        refs = " ".join(c[3:] for c in e.comments if c.startswith("#:"))[:90]
        flags = ",".join(e.flags)
        entry = {"n": i, "id": e.msgid}
        if e.msgid_plural is not None:
            entry["plural"] = e.msgid_plural
        if e.msgctxt is not None:
            entry["ctx"] = e.msgctxt
        print(json.dumps(entry, ensure_ascii=False), f"  # {refs} {flags}")
        batch.append({"key": e.key, "plural": e.msgid_plural is not None})
    TM_DIR.mkdir(exist_ok=True)
    WORK.write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")


def add(path: str) -> None:
    batch = json.loads(WORK.read_text(encoding="utf-8"))
    tms = {lang: load_tm(lang) for lang in LANGS}
    count = 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        row = json.loads(line)
        n, values = row[0], row[1:]
        item = batch[n - 1]
        for lang, value in zip(LANGS, values):
            if item["plural"]:
                if isinstance(value, str):
                    value = [value] * NPLURALS[lang]
                if len(value) != NPLURALS[lang]:
                    raise SystemExit(f"row {n}: {lang} needs {NPLURALS[lang]} plural forms")
            elif not isinstance(value, str):
                raise SystemExit(f"row {n}: {lang} must be a string")
            tms[lang][item["key"]] = value
        count += 1
    for lang in LANGS:
        save_tm(lang, tms[lang])
    print(f"added {count} rows")


def check() -> int:
    bad = 0
    for lang in LANGS:
        for domain in DOMAINS:
            path = po_path(lang, domain)
            if not path.exists():
                continue
            for e in read_po(path):
                if not e.msgid or e.obsolete or e.missing():
                    continue
                for p in problems(e, e.msgstr, lang):
                    bad += 1
                    print(f"[{lang}/{domain}] {e.msgid[:70]!r}: {p}")
    print(f"{bad} problems")
    return bad


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "status"
    if cmd == "status":
        status()
    elif cmd == "todo":
        limit = int(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else 100
        todo(limit)
    elif cmd == "add":
        add(sys.argv[2])
    elif cmd == "apply":
        sys.exit(1 if apply() else 0)
    elif cmd == "check":
        sys.exit(1 if check() else 0)
    else:
        raise SystemExit(__doc__)
