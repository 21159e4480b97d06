import { divisionStatuses } from "../../db/tables.js";
import { defineMachine } from "../../shared/store/state-machine.js";

/** A division is active until retired; retiring keeps its id, path and records, and can be undone. */
export const divisionMachine = defineMachine("division", divisionStatuses, {
  retire: { from: ["active"], to: "retired" },
  reinstate: { from: ["retired"], to: "active" },
});
