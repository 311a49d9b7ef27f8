// Python shared by the flatten and compaction jobs: the per-source lease that keeps them from
// writing the same partitions at once, and packed objects (docs/aws-architecture.md, "Compaction").
//
// Lease: one DynamoDB item per source, `source#<name>`, holding its current holders (run id →
// exclusive?, expiry) and a version; every change is a PutItem conditional on the version read, so
// two jobs never both believe they hold it. Flatten runs share it; a compaction run, and a flatten
// run that must rewrite packed objects (a reprocess of a packed raw file), hold it alone. A holder
// expires at the job's timeout (Glue kills the run then), so a killed run never blocks for longer.
//
// Packed objects: `<table>/[<partition>/]_input=packed-<stamp>-<run>/part-*.parquet`, at most 2
// per partition. `_lakec/compaction/<table>/<partition>.json` is the partition's manifest: its
// committed packed folder, that folder's objects and the raw files (`_source_file`) whose rows it
// holds, and the objects that folder replaced. `_lakec/compaction/inputs/<source>/<h>.json` lists,
// per table, the partitions where a raw file's rows were packed: the flatten job reads it to know
// that a reprocess must rewrite them. A run that dies leaves either a `packed-` folder no manifest
// commits (it died before the commit) or objects the manifest lists as replaced (it died before
// deleting them): neither is live, and the next run holding the lease deletes them by key.

export const PY_PACKED = String.raw`

def _client_error_code(e):
    return getattr(e, "response", {}).get("Error", {}).get("Code")


def _read_lease(ddb, table, key):
    item = ddb.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item")
    if not item:
        return None, {}
    holders = {}
    for run, h in item.get("holders", {}).get("M", {}).items():
        holders[run] = {"exclusive": h["M"]["exclusive"]["BOOL"], "expires": int(h["M"]["expires"]["N"])}
    return int(item["version"]["N"]), holders


def _write_lease(ddb, table, key, version, holders):
    item = {
        "pk": {"S": key},
        "version": {"N": str((version or 0) + 1)},
        "holders": {"M": {run: {"M": {"exclusive": {"BOOL": h["exclusive"]}, "expires": {"N": str(h["expires"])}}} for run, h in holders.items()}},
    }
    if version is None:
        condition = {"ConditionExpression": "attribute_not_exists(pk)"}
    else:
        condition = {"ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": {"N": str(version)}}}
    try:
        ddb.put_item(TableName=table, Item=item, **condition)
        return True
    except Exception as e:
        if _client_error_code(e) == "ConditionalCheckFailedException":
            return False
        raise


def acquire_lease(ddb, table, source, run_id, exclusive, wait_seconds, clock=time.time, sleep=time.sleep):
    """Takes the source's lease, shared or exclusive; waits up to wait_seconds. True when held."""
    key = "source#" + source
    deadline = clock() + wait_seconds
    delay = 5
    while True:
        version, holders = _read_lease(ddb, table, key)
        now = int(clock())
        live = {run: h for run, h in holders.items() if h["expires"] > now and run != run_id}
        free = not live if exclusive else not any(h["exclusive"] for h in live.values())
        if free:
            live[run_id] = {"exclusive": exclusive, "expires": now + LEASE["holdSeconds"]}
            if _write_lease(ddb, table, key, version, live):
                return True
            continue
        if clock() >= deadline:
            return False
        sleep(delay)
        delay = min(delay * 2, 60)


def release_lease(ddb, table, source, run_id, clock=time.time):
    key = "source#" + source
    while True:
        version, holders = _read_lease(ddb, table, key)
        if run_id not in holders:
            return
        now = int(clock())
        rest = {run: h for run, h in holders.items() if run != run_id and h["expires"] > now}
        if _write_lease(ddb, table, key, version, rest):
            return


def packed_tag(run_id):
    return "%s%s-%s" % (PACKED_PREFIX, time.strftime("%Y%m%d%H%M%S", time.gmtime()), run_id[:8])


def partition_manifest_key(table, part):
    return "%s%s/%s.json" % (COMPACTION_PREFIX, table, part if part else "_")


def input_marker_key(source_name, h):
    return "%sinputs/%s/%s.json" % (COMPACTION_PREFIX, source_name, h)


def list_keys(s3, bucket, prefix):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def delete_keys(s3, bucket, keys):
    """Exactly these objects (never a prefix: a newer run's files have other names)."""
    keys = sorted(set(keys))
    for i in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True})


def published_objects(s3, bucket, table, partition_key):
    """partition folder ('' when unpartitioned) -> {_input value -> [object keys]}: committed Parquet only."""
    depth = 3 if partition_key else 2
    out = {}
    for key in list_keys(s3, bucket, table + "/"):
        parts = key[len(table) + 1 :].split("/")
        if len(parts) != depth or not parts[-1].startswith("part-") or not parts[-1].endswith(".parquet"):
            continue
        if not parts[-2].startswith("_input=") or (partition_key and not parts[0].startswith(partition_key + "=")):
            continue
        part = parts[0] if partition_key else ""
        out.setdefault(part, {}).setdefault(parts[-2][len("_input=") :], []).append(key)
    return out


def folder_key(table, part, tag):
    return "%s/%s_input=%s/" % (table, part + "/" if part else "", tag)


def write_packed(spark, s3, bucket, table, part, keys, dropped, tag):
    """Reads the objects keys, keeps the rows of raw files not in dropped (PACKED_SQL) and writes
    them to the partition's folder _input=tag as at most 2 objects. Returns (rows, raw files, objects)."""
    rows = spark.read.option("mergeSchema", "true").parquet(*[hadoop_path(bucket, k) for k in keys])
    # Paths of single objects carry no partition columns; drop them should a reader infer any.
    rows = rows.drop(*[c for c in rows.columns if c == "_input" or (part and c == part.split("=")[0])])
    rows.createOrReplaceTempView("lakec_partition_rows")
    spark.createDataFrame([(k,) for k in dropped], "raw_key STRING").createOrReplaceTempView("lakec_dropped_inputs")
    kept = spark.sql(PACKED_SQL).persist(StorageLevel.MEMORY_AND_DISK)
    count = kept.count()
    if count == 0:
        kept.unpersist()
        return 0, [], []
    size = sum(s3.head_object(Bucket=bucket, Key=k)["ContentLength"] for k in keys)
    folder = folder_key(table, part, tag)
    # coalesce keeps the global order: each object holds a contiguous range of it.
    kept.coalesce(1 if size <= PACKED_OBJECT_BYTES else 2).write.mode("overwrite").parquet("s3://%s/%s" % (bucket, folder))
    members = sorted(row[0] for row in kept.select("_source_file").distinct().collect())
    kept.unpersist()
    written = sorted(k for k in list_keys(s3, bucket, folder) if "/" not in k[len(folder) :] and k.endswith(".parquet"))
    return count, members, written


def mark_inputs(s3, bucket, source_name, table, part, raw_keys):
    """Before a packed folder is committed: each raw file's marker names the partition."""
    for raw_key in raw_keys:
        key = input_marker_key(source_name, input_hash(raw_key))
        marker = get_json(s3, bucket, key) or {"raw_key": raw_key, "tables": {}}
        parts = set(marker["tables"].get(table, []))
        if part not in parts:
            marker["tables"][table] = sorted(parts | {part})
            put_json(s3, bucket, key, marker)


def leftover_packed(s3, bucket, table, part, keep):
    """Objects of packed folders of the partition other than the committed one (keep)."""
    prefix = "%s/%s_input=%s" % (table, part + "/" if part else "", PACKED_PREFIX)
    return [k for k in list_keys(s3, bucket, prefix) if keep is None or not k.startswith(folder_key(table, part, keep))]


def commit_packed(s3, bucket, table, part, tag, rows, members, objects, absorbed):
    """The partition's manifest: its packed folder, and the objects that folder replaced (absorbed),
    which a run that died before deleting them leaves behind: the next run deletes them by key."""
    document = {"pipeline": PIPELINE, "table": table, "partition": part, "packed": None, "absorbed": sorted(absorbed)}
    if rows:
        document["packed"] = {"input": tag, "objects": objects, "raw_files": members, "rows": rows}
    put_json(s3, bucket, partition_manifest_key(table, part), document)


def unpack_input(spark, s3, bucket, source_name, raw_key, run_id):
    """A reprocess of a raw file whose rows were packed (under the exclusive lease, after its new
    rows are written): every packed folder holding its rows is rewritten without them, committed,
    and only then are the old objects deleted. Returns the partitions rewritten."""
    marker_key = input_marker_key(source_name, input_hash(raw_key))
    marker = get_json(s3, bucket, marker_key)
    rewritten = 0
    for table, parts in sorted((marker or {}).get("tables", {}).items()):
        for part in parts:
            manifest = get_json(s3, bucket, partition_manifest_key(table, part)) or {}
            packed = manifest.get("packed")
            if not packed or raw_key not in packed["raw_files"]:
                continue
            # What an earlier run replaced but did not get to delete (a no-op when it did).
            delete_keys(s3, bucket, manifest.get("absorbed", []))
            tag = packed_tag(run_id)
            rows, members, objects = write_packed(spark, s3, bucket, table, part, packed["objects"], [raw_key], tag)
            commit_packed(s3, bucket, table, part, tag, rows, members, objects, packed["objects"])
            delete_keys(s3, bucket, packed["objects"] + leftover_packed(s3, bucket, table, part, tag if rows else None))
            rewritten += 1
    if marker is not None:
        s3.delete_object(Bucket=bucket, Key=marker_key)
    return rewritten
`;
