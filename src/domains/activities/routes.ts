import { createRouter } from "../../shared/api/openapi.js";
import { activityRoutes as activities } from "./activities.js";
import { feedbackRoutes } from "./feedback.js";
import { ledgerRoutes } from "./ledger.js";
import { participationRoutes } from "./participations.js";

/** Activities, participation (check-in/out, verification), the hours and points ledger, and quarterly feedback to employers. */
export const activityRoutes = createRouter()
  .route("/", activities)
  .route("/", participationRoutes)
  .route("/", ledgerRoutes)
  .route("/", feedbackRoutes);
