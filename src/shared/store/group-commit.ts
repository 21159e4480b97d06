import type { InStatement, ResultSet } from "@libsql/client";
import type { Context } from "hono";
import type { Db } from "../../db/client.js";
import type { AppEnv } from "../request/context.js";
import { auditRows, auditValues, type AuditEntry } from "./commit.js";

/**
 * Group commit for small hot writes (a volunteer's answer through the link): writes that arrive
 * together share one transaction, so a burst of N answers costs a few commits (and WAL appends)
 * instead of N. Each write is a short list of statements that decide for themselves whether they
 * apply: a conditional UPDATE of one row followed by its audit row inserted only if that UPDATE
 * changed a row (`where changes() > 0`), so one write whose condition no longer holds changes nothing
 * and leaves no audit without rolling back the others in its group. Two writes of the same row
 * never share a group.
 *
 * When a group's transaction fails, nothing of it was written, and each of its writes is retried
 * in a transaction of its own: the write that fails fails alone (its caller answers 500), the
 * others commit as if they had come alone.
 *
 * Grouping is adaptive. The first write waits one turn of the event loop (`setImmediate`), so every
 * request whose bytes arrived in the same turn joins it; with a client that awaits I/O (a remote
 * database) the writes that arrive while a group is in flight make the next one. A lone write costs
 * one turn of the loop, nothing else.
 *
 * Per database handle: on Node the process shares one, so concurrent requests coalesce; on Workers
 * each request has its own, and a group is that one write (the behaviour of a plain commit).
 */
export interface GroupedWrite {
  /** A conditional UPDATE of one row (a drizzle query). */
  write: { toSQL(): { sql: string; params: unknown[] } };
  /** What the audit trail records if the write changed its row. */
  audit: AuditEntry;
  /** The row written (writes with the same key go to different groups, in arrival order). */
  key: string;
}

/**
 * One write as statements of its own, run in order in the group's transaction. They go to the
 * libSQL client as they are (fixed SQL texts, prepared once on Node; no query building per write).
 */
export interface GroupedStatements {
  statements: InStatement[];
  /** The row written (writes with the same key go to different groups, in arrival order). */
  key: string;
}

interface Pending extends GroupedStatements {
  resolve: (results: ResultSet[]) => void;
  reject: (err: unknown) => void;
}

/** Writes per transaction at most. */
export const maxGroupSize = 256;

const nextTurn: () => Promise<void> =
  typeof setImmediate === "function" ? () => new Promise((done) => setImmediate(done)) : () => Promise.resolve();

class GroupCommitter {
  private pending: Pending[] = [];
  private running = false;
  /** Transactions committed, writes they carried, and groups retried write by write after a failure. */
  readonly stats = { groups: 0, writes: 0, retried: 0 };

  constructor(private readonly db: Db) {}

  submit(item: GroupedStatements): Promise<ResultSet[]> {
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

  private async run(group: Pending[]) {
    const statements = group.flatMap((p) => p.statements);
    const results = await this.db.$client.batch(statements, "write");
    this.stats.groups++;
    this.stats.writes += group.length;
    let at = 0;
    for (const p of group) {
      p.resolve(results.slice(at, at + p.statements.length));
      at += p.statements.length;
    }
  }

  private async drain() {
    try {
      while (this.pending.length) {
        await nextTurn();
        const group = this.takeGroup();
        try {
          await this.run(group);
        } catch (err) {
          if (group.length === 1) {
            group[0]!.reject(err);
            continue;
          }
          // Nothing of the group was written: each write again, alone.
          this.stats.retried++;
          for (const p of group) await this.run([p]).catch(p.reject);
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

/** Runs the write's statements in the next group transaction; resolves with their results, in order. */
export function groupCommitStatements(db: Db, write: GroupedStatements): Promise<ResultSet[]> {
  return committerOf(db).submit(write);
}

type InArgs = Extract<InStatement, { args: unknown }>["args"];

const auditInsertIfChanged = `insert into audit_events
    (id, tenant_id, actor, actor_kind, action, target_type, target_id, division_path, request_id, changes, at)
  select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? where changes() > 0`;

/**
 * Commits the write with its audit row in the next group transaction; true if the write changed its
 * row (and the audit was written), false if its condition no longer held (nothing was written).
 */
export async function groupCommit(c: Context<AppEnv>, change: GroupedWrite): Promise<boolean> {
  const db = c.get("db");
  const [row] = auditRows(c, change.audit, c.get("clock").now());
  const a = row!;
  if (typeof a.tenantId !== "string" || (a.divisionPath !== null && typeof a.divisionPath !== "string"))
    throw new Error("groupCommit: the audit's tenant and path must be values, not SQL.");
  const write = change.write.toSQL();
  const results = await groupCommitStatements(db, {
    key: change.key,
    statements: [
      { sql: write.sql, args: write.params as InArgs },
      {
        sql: auditInsertIfChanged,
        args: auditValues(a) as InArgs,
      },
    ],
  });
  return (results[1]?.rowsAffected ?? 0) > 0;
}
