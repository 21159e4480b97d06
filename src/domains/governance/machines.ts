import { defineMachine } from "../../shared/state-machine.js";
import { dutyListStatuses } from "./tables.js";

/**
 * 职责清单 versions: a draft is edited, then published; publishing the next version of the same
 * tenant and level supersedes the one published before it (done in the publishing batch).
 */
export const dutyListMachine = defineMachine("duty list", dutyListStatuses, {
  publish: { from: ["draft"], to: "published" },
  supersede: { from: ["published"], to: "superseded" },
});
