-- The hours and points ledger is append-only: corrections are reversing entries, never edits.
CREATE TRIGGER `ledger_entries_no_update` BEFORE UPDATE ON `ledger_entries`
BEGIN
  SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_entries_no_delete` BEFORE DELETE ON `ledger_entries`
BEGIN
  SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
--> statement-breakpoint
-- The five links (五联), seeded per deployment; the city may rename, reorder or retire them.
INSERT INTO `five_links` (`code`, `name_zh`, `name_en`, `position`, `active`, `version`, `updated_at`) VALUES
  ('organisation', '组织联建', 'Organisations co-built', 1, 1, 1, '2026-01-01T00:00:00.000Z'),
  ('venue', '阵地联用', 'Venues shared', 2, 1, 1, '2026-01-01T00:00:00.000Z'),
  ('activity', '活动联办', 'Activities co-hosted', 3, 1, 1, '2026-01-01T00:00:00.000Z'),
  ('resource', '资源联享', 'Resources shared', 4, 1, 1, '2026-01-01T00:00:00.000Z'),
  ('service', '服务联做', 'Services done together', 5, 1, 1, '2026-01-01T00:00:00.000Z');
