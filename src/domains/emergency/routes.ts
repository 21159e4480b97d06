import { createRouter } from "../../shared/api/openapi.js";
import { alertRoutes } from "./alerts.js";
import { answerRoutes } from "./answer.js";
import { capRoutes } from "./cap.js";
import { gatewayRoutes } from "./inbound.js";
import { citywideRoutes } from "./citywide.js";
import { hoursExportRoutes } from "./hours-export.js";
import { incidentRoutes } from "./incidents.js";
import { loanRoutes } from "./loans.js";
import { progressRoutes } from "./progress.js";
import { siteRoutes } from "./sites.js";
import { teamMemberRoutes } from "./team-members.js";
import { taskLinkRoutes } from "./task-link.js";
import { taskRoutes } from "./tasks.js";
import { teamRoutes } from "./teams.js";
import { volunteerRoutes } from "./volunteers.js";

/**
 * 平急结合·应急支援: volunteers, teams, sites, incidents with one-key activation, progress, and the
 * answer links. `answerRoutes` (`/a/{token}`) and `taskLinkRoutes` (`/a/{token}/tasks/…`) are the PUBLIC operations (`security: []`), and
 * `gatewayRoutes` (the SMS gateway's signed receipts and replies) authenticate their caller themselves.
 */
export const emergencyRoutes = createRouter()
  .route("/", volunteerRoutes)
  .route("/", teamRoutes)
  .route("/", teamMemberRoutes)
  .route("/", siteRoutes)
  .route("/", incidentRoutes)
  .route("/", progressRoutes)
  .route("/", capRoutes)
  .route("/", citywideRoutes)
  .route("/", loanRoutes)
  .route("/", taskRoutes)
  .route("/", alertRoutes)
  .route("/", hoursExportRoutes)
  .route("/", answerRoutes)
  .route("/", taskLinkRoutes)
  .route("/", gatewayRoutes);
