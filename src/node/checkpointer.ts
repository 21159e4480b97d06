import { channel } from "node:diagnostics_channel";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** What one checkpoint did: whether it was kept from finishing, WAL frames in the log, frames copied back. */
export interface CheckpointResult {
  mode: "PASSIVE" | "RESTART" | "TRUNCATE";
  busy: number;
  log: number;
  checkpointed: number;
}

export interface Checkpointer {
  /** Ends the thread after the checkpoint in progress, if any; its connection is closed. */
  stop(): Promise<void>;
}

/**
 * The checkpointer's thread, plain CommonJS (no TypeScript loader in a worker started from source).
 *
 * Each tick runs a PASSIVE checkpoint: it copies the WAL back into the database while the writer
 * goes on appending, and takes no lock the writer waits for. The WAL starts over (at the writer's
 * next commit) once a checkpoint has copied all of it; a PASSIVE one copies what was there when it
 * began, which at the server's write rates is all of it (bench/README.md, round four). Only when it
 * could not (a burst outran it, or a reader kept old frames) and the WAL holds `restartPages` or
 * more, PASSIVE runs again while it gains on the writer, and once fewer than `restartDelta` pages
 * came in during the last one, a RESTART copies those few and the next commit starts the WAL from
 * its beginning. A RESTART holds the writer while it waits for readers and syncs the database file
 * (measured: 60–80 ms stalls of the event loop on a busy disk), so it is kept for that case. When
 * nothing was written since the previous tick, a TRUNCATE empties the WAL file.
 */
const source = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 100");
let timer;
let lastLog = -1;
const run = (mode) => {
  const [row] = db.pragma("wal_checkpoint(" + mode + ")");
  const result = { mode, busy: Number(row.busy), log: Number(row.log), checkpointed: Number(row.checkpointed) };
  parentPort.postMessage(result);
  return result;
};
const tick = () => {
  try {
    let passive = run("PASSIVE");
    // A large WAL the PASSIVE checkpoint could not finish: PASSIVE again while it gains on the
    // writer; once less than restartDelta pages came in during the last one, RESTART copies those
    // few and the WAL starts over. A finished one needs nothing more (the next commit restarts the WAL).
    for (let i = 0; passive.log >= workerData.restartPages && passive.checkpointed < passive.log && i < 8; i++) {
      const again = run("PASSIVE");
      const arrived = again.log - passive.log;
      passive = again;
      if (arrived >= 0 && arrived < workerData.restartDelta) {
        run("RESTART");
        break;
      }
    }
    if (passive.busy === 0 && passive.log > 0 && passive.log === passive.checkpointed && passive.log === lastLog) {
      run("TRUNCATE");
      lastLog = -1;
    } else lastLog = passive.log;
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

/** Every checkpoint's result is published here (`diagnostics_channel`), for measurements. */
export const checkpoints = channel("hexi.checkpoint");

/**
 * Checkpoints a WAL database from a thread of its own, every `intervalMs`.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses `wal_autocheckpoint`, on the
 * connection that committed: on the embedded server that is the event loop, and every request in
 * flight waits for it (measured: one checkpoint of 5,034 pages took 137 ms). libsql is synchronous,
 * so a checkpoint on a second connection of the same thread blocks just the same; in a worker
 * thread it runs beside the event loop, and a PASSIVE checkpoint takes no lock a writer waits for.
 * The request connections then run with `wal_autocheckpoint = 0`.
 *
 * `onFailure` is told when the thread cannot run (the caller turns automatic checkpoints back on).
 */
export function startCheckpointer(
  file: string,
  options: {
    intervalMs?: number;
    /** A WAL of this many pages (4 KiB each) or more is started over after the PASSIVE checkpoint. */
    restartPages?: number;
    onCheckpoint?: (result: CheckpointResult) => void;
    onFailure?: (error: unknown) => void;
  } = {},
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("libsql");
  const worker = new Worker(source, {
    eval: true,
    workerData: {
      driver,
      file,
      intervalMs: options.intervalMs ?? 250,
      restartPages: options.restartPages ?? 4096,
      restartDelta: 256,
    },
  });
  worker.unref(); // never keeps the process alive on its own
  const exited = new Promise<void>((done) => worker.once("exit", () => done()));
  let failed = false;
  const fail = (error: unknown) => {
    if (failed) return;
    failed = true;
    options.onFailure?.(error);
  };
  worker.on("message", (message: CheckpointResult | { error: string }) => {
    if ("error" in message) fail(new Error(message.error));
    else {
      options.onCheckpoint?.(message);
      if (checkpoints.hasSubscribers) checkpoints.publish(message);
    }
  });
  worker.once("error", fail);
  return {
    async stop() {
      worker.postMessage("stop");
      await exited;
    },
  };
}
