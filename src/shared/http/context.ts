import type { Db } from "../../db/client.js";
import type { Principal } from "../auth/principal.js";
import type { PiiVault } from "../crypto/pii.js";

export interface Clock {
  now(): Date;
}

export interface AppVariables {
  /** The database for this request (a client per request on Workers, one shared client on Node). */
  db: Db;
  principal: Principal;
  clock: Clock;
  pii: PiiVault;
}

export type AppEnv = { Variables: AppVariables };
