import type { Context } from "hono";
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client.js";
import { auditEvents } from "../../db/tables.js";
import type { AppEnv } from "../request/context.js";
import { auditRows, type AuditEntry } from "./commit.js";

/**
 * Group commit for small hot writes (a volunteer's answer through the link): writes that arrive
 * while the database is busy with the previous group share the next transaction, so a burst of N
 * answers costs a few commits (and fsyncs) instead of N. Each write is a conditional UPDATE of one
 * row (its optimistic version in the WHERE) followed in the same transaction by its audit row,
 * inserted only if that UPDATE changed a row (`where changes() > 0`): one write whose condition no
 * longer holds changes nothing and leaves no audit, without rolling back the others in its group.
 * Two writes of the same row never share a group. A failing transaction fails every write of its
 * group (each caller answers 500, nothing of the group is written).
 *
 * Per database handle: on Node the process shares one, so concurrent requests coalesce; on Workers
 * each request has its own, and a group is that one write (the behaviour of a plain commit).
 */
export interface GroupedWrite {
  /** A conditional UPDATE of one row. */
  write: BatchItem<"sqlite">;
  /** What the audit trail records if the write changed its row. */
  audit: AuditEntry;
  /** The row written (writes with the same key go to different groups, in arrival order). */
  key: string;
}

interface Pending {
  write: BatchItem<"sqlite">;
  auditInsert: BatchItem<"sqlite">;
  key: string;
  resolve: (applied: boolean) => void;
  reject: (err: unknown) => void;
}

/** Writes per transaction at most. */
export const maxGroupSize = 256;

class GroupCommitter {
  private pending: Pending[] = [];
  private running = false;
  /** Transactions committed and writes they carried (for tests and the bench). */
  readonly stats = { groups: 0, writes: 0 };

  constructor(private readonly db: Db) {}

  submit(item: Omit<Pending, "resolve" | "reject">): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...item, resolve, reject });
      if (!this.running) {
        this.running = true;
        void this.drain();
      }
    });
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    const keys = new Set<string>();
    const rest: Pending[] = [];
    for (const p of this.pending) {
      if (group.length < maxGroupSize && !keys.has(p.key)) {
        keys.add(p.key);
        group.push(p);
      } else rest.push(p);
    }
    this.pending = rest;
    return group;
  }

  private async drain() {
    try {
      while (this.pending.length) {
        const group = this.takeGroup();
        const statements = group.flatMap((p) => [p.write, p.auditInsert]);
        try {
          const results = (await this.db.batch(statements as [BatchItem<"sqlite">])) as { rowsAffected?: number }[];
          this.stats.groups++;
          this.stats.writes += group.length;
          for (const [i, p] of group.entries()) p.resolve((results[2 * i + 1]?.rowsAffected ?? 0) > 0);
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

const committers = new WeakMap<Db, GroupCommitter>();

function committerOf(db: Db): GroupCommitter {
  let committer = committers.get(db);
  if (!committer) {
    committer = new GroupCommitter(db);
    committers.set(db, committer);
  }
  return committer;
}

/** The group commits made on this database handle so far. */
export const groupCommitStats = (db: Db) => committerOf(db).stats;

/**
 * Commits the write with its audit row in the next group transaction; true if the write changed its
 * row (and the audit was written), false if its condition no longer held (nothing was written).
 */
export function groupCommit(c: Context<AppEnv>, change: GroupedWrite): Promise<boolean> {
  const db = c.get("db");
  const [row] = auditRows(c, change.audit, c.get("clock").now());
  const a = row!;
  const auditInsert = db.run(sql`insert into ${auditEvents}
      (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at)
    select ${a.id}, ${a.tenantId}, ${a.actor}, ${a.actorKind}, ${a.action}, ${a.targetType}, ${a.targetId},
      ${a.divisionPath}, ${a.requestId}, ${a.changes === null ? null : JSON.stringify(a.changes)}, ${a.at}
    where changes() > 0`);
  return committerOf(db).submit({ write: change.write, auditInsert, key: change.key });
}
