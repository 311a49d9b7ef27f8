// Every YAML lakec writes is read by Python tools that implement YAML 1.1 (dbt and cfn-lint load
// it with PyYAML), so it must mean the same under YAML 1.1 and 1.2.
// YAML 1.1 booleans (y, n, yes, no, on, off in any case): https://yaml.org/type/bool.html
// YAML 1.1 integers (0b…, 0…, 1_000, base 60 1:20): https://yaml.org/type/int.html
// YAML 1.1 timestamps (2001-12-14): https://yaml.org/type/timestamp.html
// dbt's accepted_values test compares a column to the YAML values as loaded:
// https://docs.getdbt.com/reference/resource-properties/tests/
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isPlainSafe, yamlText } from "../../targets/yaml-text.js";
import { conformancePipelines } from "../support/conformance-fixtures.js";

const YAML_FILE = /\.(ya?ml|yml\.example)$/;

describe("generated YAML means the same under YAML 1.1 and 1.2", () => {
  const pipelines = conformancePipelines();
  const files = pipelines.flatMap((p) =>
    [...p.files].filter(([path]) => YAML_FILE.test(path)).map(([path, text]) => ({ pipeline: p.ir.name, path, text })),
  );

  it("covers the dbt project, sources, models, profiles example and the CloudFormation template", () => {
    const kinds = new Set(
      files.map((f) => f.path.replace(/^generated\/[^/]+\//, "").replace(/models\/(staging|marts)\/[^/]+\//, "models/$1/")),
    );
    expect([...kinds].sort()).toEqual(
      [
        "cloudformation/template.yaml",
        "dbt/dbt_project.yml",
        "dbt/models/marts/_models.yml",
        "dbt/models/staging/_models.yml",
        "dbt/models/staging/_sources.yml",
        "dbt/profiles.yml.example",
      ].sort(),
    );
  });

  for (const f of files) {
    it(`${f.pipeline}: ${f.path}`, () => {
      expect(parse(f.text, { version: "1.1" })).toEqual(parse(f.text, { version: "1.2" }));
    });
  }

  it("keeps yelp's WiFi accepted value `no` a string for dbt", () => {
    const yelp = pipelines.find((p) => p.ir.name === "yelp")!;
    const models = parse(yelp.files.get("dbt/models/staging/yelp/_models.yml")!, { version: "1.1" }) as {
      models: { columns: { name: string; data_tests?: unknown[] }[] }[];
    };
    const wifi = models.models.flatMap((m) => m.columns).find((c) => c.name === "attributes_wifi")!;
    expect(wifi.data_tests).toContainEqual({ accepted_values: { values: ["free", "no", "paid"], quote: true } });
  });
});

describe("yamlText", () => {
  // PyYAML's resolvers beyond the 1.1 type pages: `=` (tag:yaml.org,2002:value) and `<<` (merge).
  const ambiguous = [
    "no",
    "No",
    "NO",
    "n",
    "Y",
    "yes",
    "on",
    "OFF",
    "true",
    "~",
    "null",
    "",
    "0o17",
    "017",
    "0x1F",
    "0b101",
    "1_000",
    "1:20",
    "1e3",
    ".inf",
    ".NaN",
    "2024-01-01",
    "2001-12-14 21:59:43.10 -5",
    "=",
    "<<",
    " lead",
    "trail ",
  ];

  it.each(ambiguous)("writes %j so that both versions read it back as that string", (s) => {
    expect(isPlainSafe(s)).toBe(false);
    const text = yamlText({ k: s, list: [s], [s]: 1 });
    for (const version of ["1.1", "1.2"] as const) expect(parse(text, { version })).toEqual({ k: s, list: [s], [s]: 1 });
  });

  it("leaves ordinary words plain, so diffs stay readable", () => {
    for (const s of ["free", "paid", "not_null", "s3://bucket/prefix/", "AWS::S3::Bucket"]) expect(isPlainSafe(s)).toBe(true);
    expect(yamlText({ values: ["free", "no"] })).toBe('values:\n  - free\n  - "no"\n');
  });

  it("writes header comment lines above the document", () => {
    expect(yamlText({ a: 1 }, { header: ["# one", "# two"] })).toBe("# one\n# two\na: 1\n");
  });
});
