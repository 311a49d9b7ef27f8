"""Throughput baseline (b): the script a data engineer would otherwise write for the reference
pipeline with pandas (Debian's python3-pandas), doing the same cleaning as lakec: parse each
line (malformed lines are quarantined, the rest still load), json_normalize the records, clean
and cast every column, drop invalid records with a reason, dedupe on the key (first line wins),
flatten style into columns and images into a child table.

Debian ships no Parquet writer for Python (no pyarrow, no fastparquet), so this writes CSV.

usage: /usr/bin/python3 bench/baseline_pandas.py INPUT.jsonl OUT_DIR
prints one JSON line: records, clean, invalid, duplicates, image_rows, seconds, peak_rss_mb
"""
import hashlib
import json
import os
import resource
import sys
import time

import pandas as pd

WS = " \t\r\n"
STYLE_KEYS = {"Size:": "style_size", "Color:": "style_color", "Flavor:": "style_flavor", "Scent Name:": "style_scent"}
TRUE = {"true", "1", "yes", "t", "y"}
FALSE = {"false", "0", "no", "f", "n"}


def as_text(v):
    """The JSON text of a raw value, as lakec takes it before casting."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def read_lines(path):
    records, bad = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                bad.append((n, line, "malformed_json"))
                continue
            if not isinstance(r, dict):
                bad.append((n, line, "not_an_object"))
                continue
            # Scalars become their JSON text first, as in lakec; this also stops pandas from
            # turning integer columns with gaps into floats ("1472688000.0").
            r = {k: v if isinstance(v, (dict, list)) else as_text(v) for k, v in r.items()}
            r["_line"] = n
            records.append(r)
    return records, bad


def to_bool(t):
    if t is None:
        return None
    t = t.lower()
    return True if t in TRUE else False if t in FALSE else None


def clean(df):
    text = {c: df[c].map(as_text) if c in df else pd.Series([None] * len(df), index=df.index) for c in
            ["reviewerID", "asin", "overall", "verified", "unixReviewTime", "reviewTime", "vote", "reviewerName", "summary", "reviewText", "image"]}
    out = pd.DataFrame(index=df.index)
    out["reviewer_id"] = text["reviewerID"]
    out["asin"] = text["asin"]
    out["rating"] = pd.to_numeric(text["overall"], errors="coerce").round(1)
    out["verified"] = text["verified"].map(to_bool).fillna(False).astype(bool)
    secs = pd.to_numeric(text["unixReviewTime"].where(text["unixReviewTime"].str.fullmatch(r"[+-]?[0-9]+", na=False)), errors="coerce")
    out["reviewed_at"] = pd.to_datetime(secs, unit="s", errors="coerce")
    out["review_date"] = pd.to_datetime(text["reviewTime"], format="%m %d, %Y", errors="coerce").dt.date
    out["helpful_votes"] = pd.to_numeric(text["vote"].str.replace(",", "", regex=False), errors="coerce").fillna(0).astype("int64")
    name = text["reviewerName"].str.strip(WS)
    out["reviewer_name"] = name.where(~name.isin(["", "Amazon Customer"]))
    out["title"] = text["summary"].str.strip(WS)
    out["body"] = text["reviewText"]
    for key, col in STYLE_KEYS.items():
        src = "style." + key
        out[col] = df[src].map(as_text).str.strip(WS) if src in df else None
    out["image"] = df["image"] if "image" in df else None
    out["_line"] = df["_line"]
    reason = pd.Series([None] * len(df), index=df.index, dtype=object)
    for col, raw in [("reviewer_id", "reviewerID"), ("asin", "asin"), ("rating", "overall"), ("reviewed_at", "unixReviewTime")]:
        reason = reason.where(reason.notna() | text[raw].notna(), "missing_required")
        reason = reason.where(reason.notna() | out[col].notna(), "cast_failed")
    reason = reason.where(reason.notna() | out["rating"].between(1, 5), "out_of_range")
    return out, reason


def record_id(row):
    micros = str(int(row.reviewed_at.value // 1000))
    return hashlib.md5("\x1f".join([row.reviewer_id, row.asin, micros]).encode()).hexdigest()


def main(path, out_dir):
    t0 = time.perf_counter()
    records, bad = read_lines(path)
    df = pd.json_normalize(records, max_level=1)
    out, reason = clean(df)
    invalid = out[reason.notna()]
    valid = out[reason.isna()]
    deduped = valid.drop_duplicates(subset=["reviewer_id", "asin", "reviewed_at"], keep="first").copy()
    deduped["review_id"] = [record_id(r) for r in deduped.itertuples()]
    images = deduped[["review_id", "reviewer_id", "asin", "reviewed_at", "review_date", "image"]].explode("image").dropna(subset=["image"])
    images["position"] = images.groupby("review_id").cumcount()
    images = images.rename(columns={"image": "image_url"})
    os.makedirs(out_dir, exist_ok=True)
    deduped.drop(columns=["image"]).to_csv(os.path.join(out_dir, "product_reviews.csv"), index=False)
    images.to_csv(os.path.join(out_dir, "product_review_images.csv"), index=False)
    q = pd.DataFrame(bad, columns=["line_number", "raw_record", "reason"])
    q = pd.concat([q, pd.DataFrame({"line_number": invalid["_line"], "raw_record": None, "reason": reason[reason.notna()]})])
    q.to_csv(os.path.join(out_dir, "quarantine.csv"), index=False)
    seconds = time.perf_counter() - t0
    print(json.dumps({"records": len(records) + len(bad), "clean": len(deduped), "invalid": len(q),
                      "duplicates": len(valid) - len(deduped), "image_rows": len(images), "seconds": seconds,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
