// Value-level rules behind the semantic checks: type strings, the casting twin that judges
// defaults and accepted values, S3 bucket names and Airflow schedules. These are tables of
// examples that a golden case per code cannot cover one by one.
import { describe, expect, test } from "vitest";
import { castError, matchesFormat } from "../../compiler/check/casting.js";
import { nextScheduledRun, scheduleError } from "../../compiler/check/schedule.js";
import { bucketNameError } from "../../compiler/check/settings.js";
import { typeToString } from "../../compiler/ir.js";
import { parseType, parseTypeDetailed } from "../../compiler/types-parse.js";

describe("parseType", () => {
  test.each([
    "string",
    "integer",
    "double",
    "boolean",
    "date",
    "timestamp",
    "object",
    "decimal(2,1)",
    "decimal(38,0)",
    "array<string>",
    "array<decimal(10,2)>",
    "array<array<integer>>",
  ])("%s round-trips", (s) => {
    const t = parseType(s);
    expect(t && typeToString(t)).toBe(s);
  });

  test("spaces are allowed where the schema allows them", () => {
    expect(parseType(" decimal( 10 , 2 ) ")).toEqual({ kind: "decimal", precision: 10, scale: 2 });
  });

  test.each([
    ["decimal(0,0)", "precision must be between 1 and 38"],
    ["decimal(39,2)", "precision must be between 1 and 38"],
    ["decimal(2,3)", "scale 3 is larger than its precision 2"],
    ["decimal", "write decimal(p,s)"],
    ["array<text>", "unknown type 'text'"],
    ["array(string)", "write array<T>"],
    ["int", "unknown type 'int'"],
  ])("%s is rejected: %s", (s, why) => {
    const r = parseTypeDetailed(s);
    expect("error" in r && r.error).toContain(why);
    expect(parseType(s)).toBeUndefined();
  });
});

describe("castError follows docs/language.md Casting", () => {
  const ok = (text: string, type: string, opts = {}): boolean => castError(text, parseType(type) as never, opts) === undefined;
  test("integers are an optional sign and digits, 64-bit", () => {
    expect(["0", "-12", "+7", "9223372036854775807"].every((t) => ok(t, "integer"))).toBe(true);
    expect(["5.0", "1e3", "", " 1", "9223372036854775808", "true"].some((t) => ok(t, "integer"))).toBe(false);
  });
  test("decimals round to scale and fail on overflow", () => {
    expect(ok("9.94", "decimal(2,1)")).toBe(true);
    expect(ok("9.96", "decimal(2,1)")).toBe(false);
    expect(ok("12", "decimal(2,1)")).toBe(false);
    expect(ok("1.5e1", "double")).toBe(true);
    expect(ok("abc", "double")).toBe(false);
  });
  test("booleans take the documented words in any case", () => {
    expect(["true", "FALSE", "1", "0", "Yes", "no", "t", "F", "y", "N"].every((t) => ok(t, "boolean"))).toBe(true);
    expect(ok("on", "boolean")).toBe(false);
  });
  test("dates and timestamps are ISO unless a format or unit says otherwise", () => {
    expect(ok("2020-02-29", "date")).toBe(true);
    expect(ok("2021-02-29", "date")).toBe(false);
    expect(ok("09 01, 2016", "date", { format: "%m %d, %Y" })).toBe(true);
    expect(ok("2016-09-01", "date", { format: "%m %d, %Y" })).toBe(false);
    expect(ok("2020-01-31T23:59:59.123Z", "timestamp")).toBe(true);
    expect(ok("2020-01-31 25:00", "timestamp")).toBe(false);
    expect(ok("1577836800000", "timestamp", { unit: "milliseconds" })).toBe(true);
    expect(ok("yesterday", "timestamp", { unit: "seconds" })).toBe(false);
  });
  test("format matching knows month names and AM/PM", () => {
    expect(matchesFormat("Jan 5 2020 07:30 PM", "%b %d %Y %I:%M %p")).toBe(true);
    expect(matchesFormat("September 5, 2020", "%B %d, %Y")).toBe(true);
    expect(matchesFormat("10%", "%d%%")).toBe(true);
    expect(matchesFormat("Foo 5 2020", "%b %d %Y")).toBe(false);
  });
});

describe("deployment settings", () => {
  test.each(["acme-reviews-raw", "abc", "a.b-c.d1", "x".repeat(63)])("bucket %s is valid", (b) =>
    expect(bucketNameError(b)).toBeUndefined(),
  );
  test.each([
    ["ab", "3 to 63"],
    ["x".repeat(64), "3 to 63"],
    ["Acme", "lower-case"],
    ["acme_raw", "lower-case"],
    ["-acme", "begin and end"],
    ["acme..raw", "adjacent periods"],
    ["192.168.1.1", "IP address"],
    ["xn--acme", "xn--"],
    ["acme-s3alias", "-s3alias"],
  ])("bucket %s is rejected (%s)", (b, why) => expect(bucketNameError(b)).toContain(why));

  test.each([
    "@hourly",
    "@daily",
    "@once",
    "dataset",
    "0 3 * * *",
    "*/15 * * * *",
    "0 0 1 JAN,JUL MON-FRI",
    "30 6 1-15/2 * 0",
    "0 0 * * 7",
    "0 0 L * *",
    "0 3 * * L5",
    "0 3 * * 5#2",
    "0 3 * * FRI#1",
    "0 3 15W * *",
    "0 3 1,L * *",
  ])("schedule %s is valid", (s) => expect(scheduleError(s)).toBeUndefined());
  test.each([
    ["@nightly", "not an Airflow preset"],
    ["0 3 * *", "5 fields"],
    ["60 * * * *", "out of range for minute"],
    ["0 0 0 * *", "out of range for day of month"],
    ["0 0 * 13 *", "out of range for month"],
    ["0 0 * * MON-XYZ", "out of range for day of week"],
    ["0 5-2 * * *", "backwards"],
    ["*/0 * * * *", "step 0"],
    ["0 0 32 * *", "out of range for day of month"],
    ["0 3 * * 5L", "croniter writes the last such weekday of the month as 'L5'"],
    ["0 3 * * 5#6", "5#6"],
    ["0 3 LW * 8", "out of range for day of week"],
  ])("schedule %s is rejected (%s)", (s, why) => expect(scheduleError(s)).toContain(why));

  // Airflow's cron syntax (croniter): L, L<weekday>, # and W, in UTC.
  // https://airflow.apache.org/docs/apache-airflow/stable/authoring-and-scheduling/cron.html
  test.each([
    ["0 3 * * *", "2026-12-05T03:00:00.000Z"],
    ["@daily", "2026-12-05T00:00:00.000Z"],
    ["@quarterly", "2027-01-01T00:00:00.000Z"],
    ["0 3 L * *", "2026-12-31T03:00:00.000Z"],
    ["0 3 * * L5", "2026-12-25T03:00:00.000Z"],
    ["0 3 * * 5#2", "2026-12-11T03:00:00.000Z"],
    ["0 3 19W * *", "2026-12-18T03:00:00.000Z"],
  ])("the next run of %s after 2026-12-04 08:00 UTC is %s", (s, next) =>
    expect(nextScheduledRun(s, new Date("2026-12-04T08:00:00Z"))?.toISOString()).toBe(next),
  );

  test.each(["@once", "@continuous", "dataset", "0 25 * * *"])("%s has no next run", (s) =>
    expect(nextScheduledRun(s, new Date())).toBeUndefined(),
  );
});
