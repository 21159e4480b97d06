import { defineMachine } from "../../shared/store/state-machine.js";
import { feedbackStatuses, participationStatuses } from "./tables.js";

/** signed_up → checked_in → checked_out → verified (hours posted) | signed_up → no_show. */
export const participationMachine = defineMachine("participation", participationStatuses, {
  check_in: { from: ["signed_up"], to: "checked_in" },
  check_out: { from: ["checked_in"], to: "checked_out" },
  verify: { from: ["checked_out"], to: "verified" },
  mark_no_show: { from: ["signed_up"], to: "no_show" },
});
export type ParticipationAction = (typeof participationMachine.actions)[number];

/** generated (quarter end) → sent → acknowledged (by the employer's party organisation). */
export const feedbackMachine = defineMachine("employer feedback", feedbackStatuses, {
  send: { from: ["generated"], to: "sent" },
  acknowledge: { from: ["sent"], to: "acknowledged" },
});
