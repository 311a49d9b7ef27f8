// The Glue clean job's splitter for `format: json` files: the same rules as the local engine's
// engine/json-values.ts (read that header), written in Python. Regular expressions jump to the
// next byte that matters, so the loop runs in Python only once per structural character, not
// once per byte. test/engine/json-values.test.ts runs both splitters over the same inputs.

export const PY_JSON_VALUES = String.raw`
_NOT_WS = re.compile(rb"[^ \t\r\n]")
_IN_STRING = re.compile(rb'["\\]')
_IN_CONTAINER = re.compile(rb'["\[\]{}]')
_IN_SCALAR = re.compile(rb'[" \t\r\n,\[\]{]')


def split_json_values(data):
    """The records of a format: json file (bytes): the elements of one top-level array, or values
    back to back. Returns (records, cut): cut when the file ends inside a value or an array."""
    records, i, n, mode = [], 0, len(data), 0
    while True:
        m = _NOT_WS.search(data, i)
        if not m:
            return records, mode == 1
        i, b = m.start(), data[m.start()]
        if mode == 0:
            mode = 1 if b == 0x5B else 2
            if mode == 1:
                i += 1
                continue
        if mode == 1 and b in (0x2C, 0x5D):
            mode = 2 if b == 0x5D else 1
            i += 1
            continue
        start, scalar, in_string = i, b not in (0x7B, 0x5B), b == 0x22
        depth, end, i = (0 if b not in (0x7B, 0x5B) else 1), None, i + 1
        while end is None:
            m = (_IN_STRING if in_string else _IN_SCALAR if scalar else _IN_CONTAINER).search(data, i)
            if not m:
                records.append(data[start:n])
                return records, in_string or not scalar or mode == 1
            c, i = data[m.start()], m.end()
            if in_string:
                if c == 0x5C:
                    i += 1
                else:
                    in_string = False
            elif c == 0x22:
                in_string = True
            elif scalar:
                end = i = m.start()
            elif c in (0x7B, 0x5B):
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    end = i
        records.append(data[start:end])


def read_json_records(spark, bucket, raw_key, event_time, arrival_seq):
    """format: json. The object is read whole on the driver and split into records like the local
    engine does; a record's line_no is its position in the file. Bytes stay bytes until Spark
    casts them, so a record that is not UTF-8 is found by split_not_utf8 as a line would be."""
    data = spark.sparkContext.binaryFiles(hadoop_path(bucket, raw_key), 1).first()[1]
    if raw_key.lower().endswith(".gz"):
        data = gzip.decompress(data)
    records, _cut = split_json_values(bytes(data))
    frame = spark.createDataFrame([(n + 1, bytearray(r)) for n, r in enumerate(records)], "line_no BIGINT, raw BINARY")
    return frame.select(
        F.col("line_no"),
        F.col("raw").cast("string").alias("line"),
        F.lit(raw_key).alias("_source_file"),
        F.lit(event_time).cast("timestamp").alias("_ingested_at"),
        F.lit(int(arrival_seq)).cast("bigint").alias("_arrival_seq"),
    )
`;
