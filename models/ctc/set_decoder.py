"""Write the decoder settings tuned by `bench_ctc --tune` into a model's
config.json ("decoder" block, read by tale transcribe / tale dictate).

Usage: set_decoder.py MODEL_DIR TUNE_LOG [BEAM] [LM_NAME]
TUNE_LOG holds bench_ctc's "best: --alpha A --beta B --unk-penalty U
--unk-char C --delim-insert D" line."""
import json
import os
import re
import sys


def main():
    out, log = sys.argv[1], sys.argv[2]
    beam = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    lm = sys.argv[4] if len(sys.argv) > 4 else "tale-da-3gram.arpa"
    best = None
    for line in open(log, encoding="utf-8"):
        m = re.match(r"best: --alpha (\S+) --beta (\S+) --unk-penalty (\S+) --unk-char (\S+)"
                     r" --delim-insert (\S+)", line)
        if m:
            best = [float(x) for x in m.groups()]
    if not best:
        sys.exit(f"set_decoder.py: no 'best:' line in {log}")
    path = f"{out}/config.json"
    cfg = json.load(open(path, encoding="utf-8"))
    cfg["decoder"] = {"beam_width": beam, "lm": lm, "lm_alpha": best[0], "lm_beta": best[1],
                      "unk_penalty": best[2], "unk_char_penalty": best[3],
                      "delim_insert_penalty": best[4],
                      "tuned_on": "held-out synthetic clean items 200-299 (bench_ctc --tune)"}
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"set_decoder.py: {path}: {cfg['decoder']}")


if __name__ == "__main__":
    main()
