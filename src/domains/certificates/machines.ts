import { defineMachine } from "../../shared/store/state-machine.js";
import { certificateStatuses } from "./tables.js";

/** A certificate is issued, and may be revoked (for good: a corrected one is a new certificate). Expiry is a date, not a state. */
export const certificateMachine = defineMachine("certificate", certificateStatuses, {
  revoke: { from: ["issued"], to: "revoked" },
});
