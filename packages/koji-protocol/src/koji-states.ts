// Koji's task and build state codes and names, as the hub sends them.

/** Koji's TASK_STATES, indexed by their numeric code. */
export const KOJI_TASK_STATES = [
  "FREE",
  "OPEN",
  "CLOSED",
  "CANCELED",
  "ASSIGNED",
  "FAILED",
] as const;
export type KojiTaskStateName = (typeof KOJI_TASK_STATES)[number];
export type KojiTaskStateCode = 0 | 1 | 2 | 3 | 4 | 5;

export const KojiTaskState = {
  FREE: 0,
  OPEN: 1,
  CLOSED: 2,
  CANCELED: 3,
  ASSIGNED: 4,
  FAILED: 5,
} as const satisfies Record<KojiTaskStateName, KojiTaskStateCode>;

export function kojiTaskStateName(code: number): KojiTaskStateName {
  const name = KOJI_TASK_STATES[code];
  if (name === undefined) throw new Error(`unknown Koji task state ${code}`);
  return name;
}

export function isKojiTaskStateName(name: string): name is KojiTaskStateName {
  return (KOJI_TASK_STATES as readonly string[]).includes(name);
}

/** The lower-case name shown for an architecture task on build pages. */
export function kojiTaskStateString(code: number): Lowercase<KojiTaskStateName> {
  return kojiTaskStateName(code).toLowerCase() as Lowercase<KojiTaskStateName>;
}

export const KojiBuildState = {
  BUILDING: 0,
  COMPLETE: 1,
  DELETED: 2,
  FAILED: 3,
  CANCELED: 4,
} as const;
