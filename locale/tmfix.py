"""Correct entries in the translation memory: tmfix.py FILE with JSON lines {"id": msgid, "ctx"?: .., "sw": .., "lv": .., "hy": ..}."""
import json, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from potool import LANGS, load_tm, save_tm
tms = {l: load_tm(l) for l in LANGS}
for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines():
    if not line.strip():
        continue
    row = json.loads(line)
    key = f"{row['ctx']}\x04{row['id']}" if row.get("ctx") else row["id"]
    for l in LANGS:
        if l in row:
            tms[l][key] = row[l]
for l in LANGS:
    save_tm(l, tms[l])
