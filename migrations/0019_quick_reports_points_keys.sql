ALTER TABLE `quick_reports` ADD `level` text DEFAULT 'community' NOT NULL;--> statement-breakpoint
ALTER TABLE `quick_reports` ADD `escalated_at` text;--> statement-breakpoint
CREATE INDEX `quick_reports_overdue_idx` ON `quick_reports` (`level`,`due_at`);--> statement-breakpoint
ALTER TABLE `quick_report_points` ADD `station_id` text;--> statement-breakpoint
DROP INDEX `quick_report_points_report_uq`;--> statement-breakpoint
CREATE UNIQUE INDEX `quick_report_points_report_reason_uq` ON `quick_report_points` (`tenant_id`,`report_id`,`reason`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `platform_unit_id` text;
