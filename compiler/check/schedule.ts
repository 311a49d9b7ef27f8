// The Airflow schedule: a preset, `dataset` (data-aware scheduling), or a 5-field cron expression
// in the syntax Airflow's croniter reads, including L (last day of the month, or L5: the last
// Friday), # (5#2: the second Friday) and W (15W: the weekday nearest the 15th). croner checks
// the expression and computes the next run; the field-by-field check below only words the
// message when croner rejects one. Airflow reads the generated DAG's schedule in UTC (its
// start_date is pendulum.datetime(...), UTC by default), and so does the next run shown here.
// https://airflow.apache.org/docs/apache-airflow/stable/authoring-and-scheduling/cron.html
import { Cron } from "croner";

export const AIRFLOW_PRESETS = ["@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually"];

/** The presets that are cron expressions (Airflow's table); @once and @continuous are not. */
const PRESET_CRON: Readonly<Record<string, string>> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@quarterly": "0 0 1 */3 *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

const CRON_FIELDS: readonly { name: string; min: number; max: number; names?: readonly string[]; special?: RegExp }[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31, special: /^(\?|L|LW|\d{1,2}W)$/i },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  {
    name: "day of week",
    min: 0,
    max: 7,
    names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    special: /^(\?|L[0-7]|[A-Za-z0-9]+#[1-5])$/i,
  },
];

function cronFieldError(text: string, f: (typeof CRON_FIELDS)[number]): string | undefined {
  const value = (v: string): number | undefined => {
    const i = f.names?.indexOf(v.toUpperCase()) ?? -1;
    const n = i >= 0 ? i + (f.name === "month" ? 1 : 0) : /^\d+$/.test(v) ? Number(v) : NaN;
    return n >= f.min && n <= f.max ? n : undefined;
  };
  for (const item of text.split(",")) {
    // L, W, # and ? are croner's to judge; a message names the plain items at fault.
    if (f.special?.test(item)) continue;
    const m = /^(\*|([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `'${item}' is not a valid ${f.name} field`;
    if (m[4] !== undefined && Number(m[4]) === 0) return `step 0 in '${item}'`;
    if (m[1] === "*") continue;
    const lo = value(m[2]!);
    const hi = m[3] === undefined ? lo : value(m[3]);
    if (lo === undefined || hi === undefined) return `'${item}' is out of range for ${f.name} (${f.min}-${f.max})`;
    if (lo > hi) return `range '${item}' runs backwards`;
  }
  return undefined;
}

/**
 * croniter writes "the last Friday" as L5 in the day-of-week field, croner as 5L; croner also
 * takes 5L, which croniter does not, so 5L is refused rather than passed to a DAG that fails.
 */
function forCroner(fields: readonly string[]): { pattern: string } | { error: string } {
  const dow = fields[4]!.split(",");
  const bad = dow.find((item) => /^\d+L$/i.test(item));
  if (bad)
    return {
      error: `'${bad}' is croner's spelling; Airflow's croniter writes the last such weekday of the month as 'L${bad.slice(0, -1)}'`,
    };
  const converted = dow.map((item) => (/^L\d+$/i.test(item) ? `${item.slice(1)}L` : item)).join(",");
  return { pattern: [...fields.slice(0, 4), converted].join(" ") };
}

function cron(pattern: string): Cron {
  return new Cron(pattern, { mode: "5-part", timezone: "UTC", paused: true });
}

/** Why a schedule is not an Airflow preset, `dataset` or a 5-field cron expression, or undefined. */
export function scheduleError(s: string): string | undefined {
  if (s === "dataset" || AIRFLOW_PRESETS.includes(s)) return undefined;
  if (s.startsWith("@")) return `'${s}' is not an Airflow preset`;
  const fields = s.trim().split(/\s+/);
  if (fields.length !== 5)
    return `a cron expression has 5 fields (minute hour day-of-month month day-of-week), '${s}' has ${fields.length}`;
  const converted = forCroner(fields);
  if ("error" in converted) return converted.error;
  try {
    cron(converted.pattern);
    return undefined;
  } catch (e) {
    for (let i = 0; i < 5; i++) {
      const why = cronFieldError(fields[i]!, CRON_FIELDS[i]!);
      if (why) return why;
    }
    return (e instanceof Error ? e.message : String(e)).replace(/^CronPattern: /, "");
  }
}

/** The next time (UTC) a valid schedule fires after `from`; undefined for @once, @continuous and dataset. */
export function nextScheduledRun(schedule: string, from: Date): Date | undefined {
  const pattern = PRESET_CRON[schedule] ?? (schedule.startsWith("@") || schedule === "dataset" ? undefined : schedule);
  if (pattern === undefined || scheduleError(schedule) !== undefined) return undefined;
  const converted = forCroner(pattern.trim().split(/\s+/));
  return "pattern" in converted ? (cron(converted.pattern).nextRun(from) ?? undefined) : undefined;
}
