CREATE TABLE `admission_refusals` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`requested_by` text NOT NULL,
	`department_id` text,
	`kind` text NOT NULL,
	`what` text NOT NULL,
	`requested_on` text NOT NULL,
	`request_id` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `admission_refusals_tenant_id_idx` ON `admission_refusals` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `admission_refusals_tenant_path_idx` ON `admission_refusals` (`tenant_id`,`division_path`,`id`);--> statement-breakpoint
CREATE INDEX `admission_refusals_tenant_community_idx` ON `admission_refusals` (`tenant_id`,`community_id`,`requested_on`);--> statement-breakpoint
CREATE TABLE `admission_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`department_id` text NOT NULL,
	`department_name` text NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`street_id` text NOT NULL,
	`division_path` text NOT NULL,
	`community_ids` text NOT NULL,
	`period_start` text NOT NULL,
	`period_end` text NOT NULL,
	`funding_yuan` integer NOT NULL,
	`staff_provided` integer NOT NULL,
	`duty_item_id` text,
	`route` text NOT NULL,
	`status` text NOT NULL,
	`street_deadline` text,
	`county_deadline` text,
	`decision_note` text,
	`decided_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `admission_requests_tenant_id_idx` ON `admission_requests` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `admission_requests_tenant_status_idx` ON `admission_requests` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `admission_requests_tenant_department_idx` ON `admission_requests` (`tenant_id`,`department_id`,`id`);--> statement-breakpoint
CREATE INDEX `admission_requests_tenant_path_idx` ON `admission_requests` (`tenant_id`,`division_path`,`id`);--> statement-breakpoint
CREATE TABLE `admission_targets` (
	`tenant_id` text NOT NULL,
	`request_id` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `admission_targets_uq` ON `admission_targets` (`tenant_id`,`request_id`,`community_id`);--> statement-breakpoint
CREATE INDEX `admission_targets_tenant_path_idx` ON `admission_targets` (`tenant_id`,`division_path`,`request_id`);--> statement-breakpoint
CREATE TABLE `working_calendars` (
	`year` integer PRIMARY KEY NOT NULL,
	`days` text NOT NULL,
	`source` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
-- The official working-day calendars (国务院办公厅节假日安排, 2025 and 2026): see docs/working-day-calendar.md.
INSERT INTO `working_calendars` (`year`, `days`, `source`, `version`, `updated_at`) VALUES
(2025, '[{"date":"2025-01-01","kind":"holiday","name":"元旦"},{"date":"2025-01-26","kind":"workday","name":"春节调休上班"},{"date":"2025-01-28","kind":"holiday","name":"春节"},{"date":"2025-01-29","kind":"holiday","name":"春节"},{"date":"2025-01-30","kind":"holiday","name":"春节"},{"date":"2025-01-31","kind":"holiday","name":"春节"},{"date":"2025-02-01","kind":"holiday","name":"春节"},{"date":"2025-02-02","kind":"holiday","name":"春节"},{"date":"2025-02-03","kind":"holiday","name":"春节"},{"date":"2025-02-04","kind":"holiday","name":"春节"},{"date":"2025-02-08","kind":"workday","name":"春节调休上班"},{"date":"2025-04-04","kind":"holiday","name":"清明节"},{"date":"2025-04-05","kind":"holiday","name":"清明节"},{"date":"2025-04-06","kind":"holiday","name":"清明节"},{"date":"2025-04-27","kind":"workday","name":"劳动节调休上班"},{"date":"2025-05-01","kind":"holiday","name":"劳动节"},{"date":"2025-05-02","kind":"holiday","name":"劳动节"},{"date":"2025-05-03","kind":"holiday","name":"劳动节"},{"date":"2025-05-04","kind":"holiday","name":"劳动节"},{"date":"2025-05-05","kind":"holiday","name":"劳动节"},{"date":"2025-05-31","kind":"holiday","name":"端午节"},{"date":"2025-06-01","kind":"holiday","name":"端午节"},{"date":"2025-06-02","kind":"holiday","name":"端午节"},{"date":"2025-09-28","kind":"workday","name":"国庆节调休上班"},{"date":"2025-10-01","kind":"holiday","name":"国庆节、中秋节"},{"date":"2025-10-02","kind":"holiday","name":"国庆节、中秋节"},{"date":"2025-10-03","kind":"holiday","name":"国庆节、中秋节"},{"date":"2025-10-04","kind":"holiday","name":"国庆节、中秋节"},{"date":"2025-10-05","kind":"holiday","name":"国庆节、中秋节"},{"date":"2025-10-06","kind":"holiday","name":"国庆节、中秋节"},{"date":"2025-10-07","kind":"holiday","name":"国庆节、中秋节"},{"date":"2025-10-08","kind":"holiday","name":"国庆节、中秋节"},{"date":"2025-10-11","kind":"workday","name":"国庆节调休上班"}]', '国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）', 1, '2026-12-04T00:00:00.000Z'),
(2026, '[{"date":"2026-01-01","kind":"holiday","name":"元旦"},{"date":"2026-01-02","kind":"holiday","name":"元旦"},{"date":"2026-01-03","kind":"holiday","name":"元旦"},{"date":"2026-01-04","kind":"workday","name":"元旦调休上班"},{"date":"2026-02-14","kind":"workday","name":"春节调休上班"},{"date":"2026-02-15","kind":"holiday","name":"春节"},{"date":"2026-02-16","kind":"holiday","name":"春节"},{"date":"2026-02-17","kind":"holiday","name":"春节"},{"date":"2026-02-18","kind":"holiday","name":"春节"},{"date":"2026-02-19","kind":"holiday","name":"春节"},{"date":"2026-02-20","kind":"holiday","name":"春节"},{"date":"2026-02-21","kind":"holiday","name":"春节"},{"date":"2026-02-22","kind":"holiday","name":"春节"},{"date":"2026-02-23","kind":"holiday","name":"春节"},{"date":"2026-02-28","kind":"workday","name":"春节调休上班"},{"date":"2026-04-04","kind":"holiday","name":"清明节"},{"date":"2026-04-05","kind":"holiday","name":"清明节"},{"date":"2026-04-06","kind":"holiday","name":"清明节"},{"date":"2026-05-01","kind":"holiday","name":"劳动节"},{"date":"2026-05-02","kind":"holiday","name":"劳动节"},{"date":"2026-05-03","kind":"holiday","name":"劳动节"},{"date":"2026-05-04","kind":"holiday","name":"劳动节"},{"date":"2026-05-05","kind":"holiday","name":"劳动节"},{"date":"2026-05-09","kind":"workday","name":"劳动节调休上班"},{"date":"2026-06-19","kind":"holiday","name":"端午节"},{"date":"2026-06-20","kind":"holiday","name":"端午节"},{"date":"2026-06-21","kind":"holiday","name":"端午节"},{"date":"2026-09-20","kind":"workday","name":"国庆节调休上班"},{"date":"2026-09-25","kind":"holiday","name":"中秋节"},{"date":"2026-09-26","kind":"holiday","name":"中秋节"},{"date":"2026-09-27","kind":"holiday","name":"中秋节"},{"date":"2026-10-01","kind":"holiday","name":"国庆节"},{"date":"2026-10-02","kind":"holiday","name":"国庆节"},{"date":"2026-10-03","kind":"holiday","name":"国庆节"},{"date":"2026-10-04","kind":"holiday","name":"国庆节"},{"date":"2026-10-05","kind":"holiday","name":"国庆节"},{"date":"2026-10-06","kind":"holiday","name":"国庆节"},{"date":"2026-10-07","kind":"holiday","name":"国庆节"},{"date":"2026-10-10","kind":"workday","name":"国庆节调休上班"}]', '国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）', 1, '2026-12-04T00:00:00.000Z');
