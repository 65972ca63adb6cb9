// Compiled with `tsc --strict` in CI against types generated from openapi.json: if the
// contract drifts (a renamed field, a changed enum), this file stops compiling.
import type { components, paths } from "./api-types.js";

type AssessmentIn = components["schemas"]["AssessmentIn"];
type Created =
  paths["/v1/assessments"]["post"]["responses"][201]["content"]["application/json"];
type Page =
  paths["/v1/patients/{patient_ref}/assessments"]["get"]["responses"][200]["content"]["application/json"];
type Problem = components["schemas"]["ValidationProblem"];

const assessment: AssessmentIn = {
  assessed_at: "2026-11-26T14:10:00Z",
  patient: { patient_ref: "ehr-patient-4711", age_years: 34, sex_at_birth: "male" },
  vitals: { heart_rate_bpm: 96, systolic_bp_mmhg: 138, diastolic_bp_mmhg: 86, consciousness: "alert" },
  withdrawal: {
    cows: {
      resting_pulse: 1, sweating: 1, restlessness: 1, pupil_size: 1, bone_joint_aches: 2,
      runny_nose_tearing: 1, gi_upset: 2, tremor: 1, yawning: 1, anxiety_irritability: 2,
      gooseflesh: 0,
    },
  },
  considering: ["buprenorphine"],
};

export async function store(baseUrl: string, key: string): Promise<Created | Problem> {
  const response = await fetch(`${baseUrl}/v1/assessments`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify(assessment),
  });
  return (await response.json()) as Created | Problem;
}

export function cowsTotals(page: Page): Array<number | null | undefined> {
  return page.items.map((item) => item.scores.cows.value);
}

export function pointers(problem: Problem): string[] {
  return problem.errors.map((error) => error.pointer);
}
