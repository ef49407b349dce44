// Which process left a lock or lease file behind, and whether it still runs. A PID alone is not
// enough: after a crash and a reboot (or PID wrap-around) an unrelated process may hold it, so
// an owner is recorded with its start time where /proc tells it.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface ProcessOwner {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks after boot); absent without /proc. */
  startTime?: string;
}

let current: ProcessOwner | undefined;

/** This process as an owner. */
export function currentProcessOwner(): ProcessOwner {
  current ??= { pid: process.pid, startTime: processStartTime(process.pid) };
  return current;
}

/** Whether `owner` still runs: its PID is alive and, where known, started at the same time. */
export function isRunning(owner: ProcessOwner): boolean {
  const startTime = processStartTime(owner.pid);
  // Without /proc (or a recorded start time), a live PID has to do.
  if (owner.startTime === undefined || startTime === undefined) return processIsAlive(owner.pid);
  return startTime === owner.startTime;
}

function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(join("/proc", String(pid), "stat"), "utf8");
  } catch {
    return undefined;
  }
  // Field 2, the command name, is parenthesised and may hold spaces and parentheses;
  // the fields after it start with field 3.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3];
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
