"""Ranking for `assay context`: FTS5-style unicode61 tokens and BM25
with column weights name 2, description 1, keywords 3, functions 1, in pure Python
(same order as SQLite FTS5's bm25(), without needing FTS5 in the binary)."""
import math
import re
import unicodedata

FIELDS = (("name", 2.0), ("description", 1.0), ("keywords", 3.0), ("functions", 1.0))
K1, B = 1.2, 0.75


def tokens(text):
    """unicode61: runs of letters/numbers (and private-use), case-folded, diacritics removed."""
    out, current = [], []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LN" or cat == "Co":
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return [_fold(t) for t in out]


def _fold(token):
    decomposed = unicodedata.normalize("NFD", token.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _count(field_tokens, phrase):
    n = len(phrase)
    return sum(1 for i in range(len(field_tokens) - n + 1) if field_tokens[i:i + n] == phrase)


def query_phrases(query):
    pieces = [p for p in re.split(r"[^\w]+", query) if p]
    phrases = [tokens(p) for p in pieces]
    return [p for p in phrases if p]


def search(modules, query, limit):
    """Names of the best-matching modules, best first: modules the query names outright,
    then the BM25 ranking."""
    if limit <= 0:
        return []
    exact = exact_matches([module.name for module in modules], query)
    return (exact + [n for n in ranked(modules, query, limit + len(exact)) if n not in exact])[:limit]


def ranked(modules, query, limit):
    """Names by BM25 alone (the order SQLite FTS5's bm25() gives), best first."""
    if limit <= 0 or not query.strip():
        return []
    phrases = query_phrases(query)
    if not phrases:
        return []
    docs = []
    for module in modules:
        m = module.meta
        texts = {"name": module.name, "description": m.description, "keywords": " ".join(m.keywords),
                 "functions": " ".join(m.functions)}
        docs.append((module.name, {field: tokens(texts[field]) for field, _ in FIELDS}))
    scored = _rank(docs, phrases, require_all=True)
    if not scored and len(phrases) > 1:
        scored = _rank(docs, phrases, require_all=False)
    return [name for name, _ in scored[:limit]]


def exact_matches(names, query):
    """Modules the query names outright, best first: the name itself (`http`,
    `assay.vault`), then `assay.<query>`, then modules whose last part is the query
    (`assay.hashicorp.vault`). Someone who types a module's name wants that module
    first, however often other modules mention the word."""
    q = query.strip().lower()
    if not q or any(c.isspace() for c in q):
        return []
    tiers = ([n for n in names if n.lower() == q], [n for n in names if n.lower() == "assay." + q],
             sorted((n for n in names if n.lower().endswith("." + q)), key=lambda n: (n.count("."), n)))
    out = []
    for tier in tiers:
        out += [n for n in tier if n not in out]
    return out


def _rank(docs, phrases, require_all):
    n_docs = len(docs)
    if not n_docs:
        return []
    lengths = [sum(len(f) for f in fields.values()) for _, fields in docs]
    avgdl = (sum(lengths) / n_docs) or 1.0
    counts = [[{field: _count(fields[field], phrase) for field, _ in FIELDS} for phrase in phrases]
              for _, fields in docs]
    idf = []
    for qi in range(len(phrases)):
        hits = sum(1 for d in range(n_docs) if any(counts[d][qi].values()))
        value = math.log((n_docs - hits + 0.5) / (hits + 0.5))
        idf.append(value if value > 0 else 1e-6)
    scored = []
    for d, (name, _) in enumerate(docs):
        present = [any(counts[d][qi].values()) for qi in range(len(phrases))]
        if not (all(present) if require_all else any(present)):
            continue
        score = 0.0
        for qi in range(len(phrases)):
            f = sum(weight * counts[d][qi][field] for field, weight in FIELDS)
            score += idf[qi] * f * (K1 + 1) / (f + K1 * (1 - B + B * lengths[d] / avgdl))
        scored.append((name, score, d))
    scored.sort(key=lambda item: (-item[1], item[2]))
    return [(name, score) for name, score, _ in scored]
