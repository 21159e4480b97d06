CREATE TABLE `mobility_checks` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`record_id` text NOT NULL,
	`checked_on` text NOT NULL,
	`contacted` integer NOT NULL,
	`method` text NOT NULL,
	`note` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `mobility_checks_tenant_record_idx` ON `mobility_checks` (`tenant_id`,`record_id`,`id`);--> statement-breakpoint
CREATE TABLE `mobility_records` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`member_id` text NOT NULL,
	`home_org_id` text,
	`division_path` text NOT NULL,
	`destination` text NOT NULL,
	`certificate_number` text NOT NULL,
	`contact_cipher` text NOT NULL,
	`contact_masked` text NOT NULL,
	`receiving_tenant_id` text,
	`receiving_org_id` text,
	`receiving_division_path` text,
	`left_on` text NOT NULL,
	`check_interval_months` integer NOT NULL,
	`lost_contact_months` integer NOT NULL,
	`last_contact_on` text NOT NULL,
	`next_check_due` text NOT NULL,
	`check_overdue` integer DEFAULT false NOT NULL,
	`lost_contact_due_on` text NOT NULL,
	`status` text NOT NULL,
	`end_note` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `mobility_records_tenant_id_idx` ON `mobility_records` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `mobility_records_tenant_status_idx` ON `mobility_records` (`tenant_id`,`status`,`next_check_due`);--> statement-breakpoint
CREATE INDEX `mobility_records_tenant_member_idx` ON `mobility_records` (`tenant_id`,`member_id`,`id`);--> statement-breakpoint
CREATE INDEX `mobility_records_receiving_idx` ON `mobility_records` (`receiving_tenant_id`,`receiving_org_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `mobility_records_one_away_uq` ON `mobility_records` (`tenant_id`,`member_id`) WHERE status in ('outflow', 'lost_contact', 'located');