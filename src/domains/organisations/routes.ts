import { createRouter } from "../../shared/http/openapi.js";
import { unitRoutes } from "./units.js";

/** Units, party organisations and party members. */
export const organisationRoutes = createRouter().route("/", unitRoutes);
