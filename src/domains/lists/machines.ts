import { defineMachine } from "../../shared/store/state-machine.js";
import { needStatuses, postClaimStatuses, projectStatuses } from "./tables.js";

export type NeedStatus = (typeof needStatuses)[number];
export type ProjectStatus = (typeof projectStatuses)[number];
export type PostClaimStatus = (typeof postClaimStatuses)[number];

/**
 * 需求: open until a project takes it on (match, done by creating the project); the project's
 * close closes it, the project's cancel puts it back to open (unmatch). Only `cancel` is a client
 * action; the others happen in the project's write batch.
 */
export const needMachine = defineMachine("need", needStatuses, {
  match: { from: ["open"], to: "matched" },
  unmatch: { from: ["matched"], to: "open" },
  close: { from: ["matched"], to: "closed" },
  cancel: { from: ["open", "matched"], to: "cancelled" },
});

/** 项目: claimed by a resource's unit (or the owner), worked on, done, then closed with its need; cancellable before done. */
export const projectMachine = defineMachine("project", projectStatuses, {
  claim: { from: ["open"], to: "claimed" },
  start: { from: ["claimed"], to: "in_progress" },
  complete: { from: ["in_progress"], to: "done" },
  close: { from: ["done"], to: "closed" },
  cancel: { from: ["open", "claimed", "in_progress"], to: "cancelled" },
});

export const postMachine = defineMachine("service post", ["open", "closed"] as const, {
  close: { from: ["open"], to: "closed" },
  reopen: { from: ["closed"], to: "open" },
});

/**
 * 岗位认领: applied → approved | rejected → active → released. [D] A member may also release
 * (withdraw) a claim that is still applied or approved, so an unwanted claim does not hold a seat
 * until an admin rejects it.
 */
export const claimMachine = defineMachine("post claim", postClaimStatuses, {
  approve: { from: ["applied"], to: "approved" },
  reject: { from: ["applied"], to: "rejected" },
  activate: { from: ["approved"], to: "active" },
  release: { from: ["applied", "approved", "active"], to: "released" },
});

/** Claims in these states hold a seat: they count against the post's headcount. */
export const liveClaimStatuses = ["applied", "approved", "active"] as const satisfies readonly PostClaimStatus[];
