import { t } from "../i18n.js";

/**
 * PLACEHOLDER: the incidents API (issue 14's incident board) is being built on another branch.
 * When it lands: live progress per team from its SSE stream, the acknowledgement curve, sites
 * and occupancy, usable on a phone.
 */
export function IncidentsScreen() {
  return (
    <div>
      <header class="page-head">
        <h1>{t("incidents.title")}</h1>
      </header>
      <p class="notice placeholder" data-placeholder="incidents">
        {t("incidents.placeholder")}
      </p>
    </div>
  );
}
