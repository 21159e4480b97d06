import { defineMachine } from "../../shared/store/state-machine.js";
import { admissionStatuses, dutyListStatuses, mobilityStatuses, rectificationStatuses } from "./tables.js";

/**
 * 职责清单 versions: a draft is edited, then published; publishing the next version of the same
 * tenant and level supersedes the one published before it (done in the publishing batch).
 */
export const dutyListMachine = defineMachine("duty list", dutyListStatuses, {
  publish: { from: ["draft"], to: "published" },
  supersede: { from: ["published"], to: "superseded" },
});

/**
 * 社区事务准入: street review → county review → approved | rejected | returned; a returned request is
 * resubmitted to the street; approved → active → expired, and withdrawable until it ends. A request
 * matched to a listed duty starts approved (or refused, a final state) without review.
 */
export const admissionMachine = defineMachine("admission request", admissionStatuses, {
  street_approve: { from: ["street_review"], to: "county_review" },
  street_reject: { from: ["street_review"], to: "rejected" },
  street_return: { from: ["street_review"], to: "returned" },
  approve: { from: ["county_review"], to: "approved" },
  reject: { from: ["county_review"], to: "rejected" },
  return: { from: ["county_review"], to: "returned" },
  resubmit: { from: ["returned"], to: "street_review" },
  activate: { from: ["approved"], to: "active" },
  expire: { from: ["active"], to: "expired" },
  withdraw: { from: ["street_review", "county_review", "returned", "approved", "active"], to: "withdrawn" },
});

/**
 * 流动党员 ("流动不流失"): away (outflow) until the member returns (activity certificate inspected) or
 * is transferred; no recorded contact for the configured months → lost contact (also by the
 * background job) → located by a check that reaches them.
 */
export const mobilityMachine = defineMachine("mobility record", mobilityStatuses, {
  lose_contact: { from: ["outflow", "located"], to: "lost_contact" },
  locate: { from: ["lost_contact"], to: "located" },
  return: { from: ["outflow", "lost_contact", "located"], to: "returned" },
  transfer: { from: ["outflow", "lost_contact", "located"], to: "transferred" },
});

/** A checklist edition is used until it is retired (a new edition replaces it; old inspections keep theirs). */
export const checklistMachine = defineMachine("checklist", ["active", "retired"] as const, {
  retire: { from: ["active"], to: "retired" },
});

/**
 * 整改: the branch submits evidence; only the inspecting level closes it, or reopens it when the
 * evidence falls short.
 */
export const rectificationMachine = defineMachine("rectification", rectificationStatuses, {
  submit: { from: ["open"], to: "submitted" },
  close: { from: ["open", "submitted"], to: "closed" },
  reopen: { from: ["submitted"], to: "open" },
});
