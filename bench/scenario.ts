import type { AutocannonRequest } from "./autocannon.js";

/** One measured load of bench/run.ts (and its helpers, e.g. bench/residents.ts). */
export interface Scenario {
  key: string;
  label: string;
  /** Either plain GETs of these paths in turn, or request objects (writes). */
  paths?: string[];
  requests?: () => AutocannonRequest[];
  headers: Record<string, string>;
  /** Fixed request count instead of a duration (writes use up their pool). */
  amount?: number;
}

/**
 * A fixed-count write scenario's requests (like scenario 4): each request's body from its sequence
 * number, and a count of the 201s, which the scenario's check compares with what the database holds.
 */
export function countedWrites(
  method: string,
  path: string,
  bodyOf: (n: number) => string,
): { requests: () => AutocannonRequest[]; readonly sent: number; readonly created: number } {
  let sent = 0;
  let created = 0;
  const request: AutocannonRequest = {
    method,
    path,
    onResponse: (status) => {
      if (status === 201) created += 1;
    },
    setupRequest: (r) => ({ ...r, body: bodyOf(sent++) }),
  };
  return {
    requests: () => [request],
    get sent() {
      return sent;
    },
    get created() {
      return created;
    },
  };
}
