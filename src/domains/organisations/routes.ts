import { createRouter } from "../../shared/api/openapi.js";
import { memberRoutes } from "./members.js";
import { partyOrgRoutes } from "./party-orgs.js";
import { unitRoutes } from "./units.js";

/** Units, party organisations and party members. */
export const organisationRoutes = createRouter()
  .route("/", unitRoutes)
  .route("/", partyOrgRoutes)
  .route("/", memberRoutes);
