import { defineMachine } from "../../shared/store/state-machine.js";
import { memberReportStatuses, orgReportStatuses } from "./tables.js";

export type OrgReportStatus = (typeof orgReportStatuses)[number];
export type MemberReportStatus = (typeof memberReportStatuses)[number];

/**
 * 单位报到: the community signs the slip (receive), a co-building agreement makes it active
 * (activate, also done by creating an agreement), and it ends when the unit leaves or the
 * relationship is dissolved. A slip that was never signed cannot end: it is still the community's to receive.
 */
export const orgReportMachine = defineMachine("org report", orgReportStatuses, {
  receive: { from: ["submitted"], to: "received" },
  activate: { from: ["received"], to: "active" },
  end: { from: ["received", "active"], to: "ended" },
});
export type OrgReportAction = (typeof orgReportMachine.actions)[number];

/**
 * 党员报到: confirmed by the community, active once the member serves; every half year a recheck
 * keeps it active (or brings an overdue one back); it ends as moved or lapsed.
 */
export const memberReportMachine = defineMachine("member report", memberReportStatuses, {
  confirm: { from: ["submitted"], to: "confirmed" },
  activate: { from: ["confirmed"], to: "active" },
  recheck: { from: ["active", "overdue"], to: "active" },
  mark_overdue: { from: ["active"], to: "overdue" },
  end: { from: ["submitted", "confirmed", "active", "overdue"], to: "ended" },
});
export type MemberReportAction = (typeof memberReportMachine.actions)[number];
