"""Text side of the tale-da-ctc-small recipe: the vocabulary, normalization
of corpus sentences to it, and the train / held-out sentence lists.

Vocabulary (index = CTC class; 0 is the CTC blank):
    0 <blank>, 1 ' ' (space), 2 "'" (apostrophe), 3..28 a-z, 29 æ, 30 ø, 31 å,
    32..41 digits 0-9.
Normalization: lowercase; é/è/ê -> e, á/à -> a, ö -> ø, ä -> æ, ü -> y;
hyphen, slash and other punctuation -> space (apostrophe kept); runs of spaces
collapsed. Sentences that would need spoken-form expansion are dropped rather
than guessed: anything with a digit (espeak reads "10." as "tiende"), an
all-capitals token of 2+ letters (read as letters or as a word, unknowable),
or a character outside the vocabulary after mapping. So digits are in the
vocabulary (for compatibility with other Danish CTC vocabularies) but the
model has never heard them and will not emit them.
"""
import csv
import random
import re

VOCAB = ["<blank>", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)] \
    + ["æ", "ø", "å"] + [str(d) for d in range(10)]
CHAR_TO_ID = {c: i for i, c in enumerate(VOCAB) if i > 0}

_MAP = str.maketrans({"é": "e", "è": "e", "ê": "e", "á": "a", "à": "a",
                      "ö": "ø", "ä": "æ", "ü": "y", "’": "'", "`": "'"})
_PUNCT = re.compile(r"[\-–—/.,:;!?\"“”„«»()\[\]…·]")
_BAD = re.compile(r"[_=<>{}#@$%&*+\\|~^§]")
_CAPS = re.compile(r"\b[A-ZÆØÅ]{2,}\b")
_DANISH = set("og i at det en den til er som på de med han af for ikke der var "
              "mig sig men et har om vi min havde fra du kan skal vil eller "
              "hvis når så også efter man nu over ved hun dem jeg blev bliver "
              "dette disse vælg klik kan skal alle hvor hvordan".split())


def normalize(line):
    """Return the normalized sentence, or None when it must be dropped."""
    s = line.strip()
    if not s or _BAD.search(s) or _CAPS.search(s) or re.search(r"\d", s):
        return None
    s = s.translate(_MAP).lower()
    s = _PUNCT.sub(" ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"(^| )'+|'+( |$)", r"\1 \2", s)   # quotes, not apostrophes
    s = re.sub(r"\s+", " ", s).strip()
    if not s or any(c not in CHAR_TO_ID for c in s):
        return None
    return s


def encode(s):
    return [CHAR_TO_ID[c] for c in s]


def ddt_test_sentences(conllu):
    out = set()
    with open(conllu, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# text = "):
                out.add(line[len("# text = "):].strip())
    return out


def _chunks(words, rng, lo=3, hi=14):
    """Split a long sentence into pieces of lo..hi words."""
    i = 0
    while i < len(words):
        n = rng.randint(lo, hi)
        if len(words) - (i + n) < lo:
            n = len(words) - i
        yield words[i:i + n]
        i += n


def load_sentences(data_dir, seed=1):
    """(train_texts, heldout_texts): train is chunked corpus text (DDT train+dev,
    Leipzig, Danish LibreOffice help lines); held-out is the DDT test set."""
    rng = random.Random(seed)
    test = ddt_test_sentences(f"{data_dir}/corpus/ud_ddt/da_ddt-ud-test.conllu")
    ddt, heldout = [], []
    with open(f"{data_dir}/corpus/text/ddt-sentences.txt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            raw = line.strip()
            n = normalize(raw)
            if n is None:
                continue
            (heldout if raw in test else ddt).append(n)
    leip = []
    for name in ("dan_mixed_2014_10K-sentences.csv", "dan_newscrawl_2011_10K-sentences.csv"):
        with open(f"{data_dir}/corpus/text/leipzig/{name}", encoding="utf-8") as f:
            for row in csv.DictReader(f, skipinitialspace=True):
                n = normalize(row.get("text") or "")
                if n:
                    leip.append(n)
    lo = []
    with open(f"{data_dir}/corpus/text/libreoffice-help-da.txt", encoding="utf-8") as f:
        for line in f:
            raw = line.strip()
            if len(raw) < 20 or not raw[0].isupper() or not raw.endswith("."):
                continue
            n = normalize(raw)
            if n is None:
                continue
            w = n.split()
            if len(w) >= 4 and sum(x in _DANISH for x in w) >= max(2, len(w) // 5):
                lo.append(n)
    lo = sorted(set(lo))
    heldout_set = set(heldout)
    train = []
    for src in (ddt, leip, lo):
        for s in src:
            if s in heldout_set:
                continue
            for piece in _chunks(s.split(), rng):
                train.append(" ".join(piece))
    return train, sorted(heldout_set), {"ddt": len(ddt), "leipzig": len(leip),
                                        "libreoffice": len(lo)}


if __name__ == "__main__":
    import sys
    tr, ho, counts = load_sentences(sys.argv[1] if len(sys.argv) > 1 else "data")
    print(counts, len(tr), len(ho))
    for s in random.Random(0).sample(tr, 10):
        print(" ", s)
