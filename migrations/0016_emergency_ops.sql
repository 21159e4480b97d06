ALTER TABLE `incidents` ADD `parent_id` text;--> statement-breakpoint
ALTER TABLE `incidents` ADD `loan_id` text;--> statement-breakpoint
ALTER TABLE `team_activations` ADD `street_alert_at` text;--> statement-breakpoint
CREATE INDEX `team_activations_street_due_idx` ON `team_activations` (`escalation`,`street_alert_at`);--> statement-breakpoint
CREATE TABLE `citywide_incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`type` text NOT NULL,
	`level` text NOT NULL,
	`headline` text NOT NULL,
	`instruction` text NOT NULL,
	`drill` integer NOT NULL,
	`dedup_key` text NOT NULL,
	`affected_division_ids` text NOT NULL,
	`tenants` text NOT NULL,
	`declared_by` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `citywide_incidents_tenant_id_idx` ON `citywide_incidents` (`tenant_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `citywide_incidents_tenant_dedup_uq` ON `citywide_incidents` (`tenant_id`,`dedup_key`);--> statement-breakpoint
CREATE TABLE `team_loans` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`incident_id` text NOT NULL,
	`division_path` text NOT NULL,
	`lender_tenant_id` text NOT NULL,
	`team_id` text NOT NULL,
	`team_name` text NOT NULL,
	`note` text,
	`status` text NOT NULL,
	`mirror_incident_id` text,
	`requested_by` text NOT NULL,
	`decided_by` text,
	`decided_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `team_loans_tenant_incident_idx` ON `team_loans` (`tenant_id`,`incident_id`,`id`);--> statement-breakpoint
CREATE INDEX `team_loans_lender_idx` ON `team_loans` (`lender_tenant_id`,`id`);--> statement-breakpoint
CREATE TABLE `incident_tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`incident_id` text NOT NULL,
	`division_path` text NOT NULL,
	`title` text NOT NULL,
	`detail` text,
	`team_id` text,
	`volunteer_id` text,
	`site_id` text,
	`status` text NOT NULL,
	`assigned_by` text NOT NULL,
	`accepted_at` text,
	`done_at` text,
	`cancelled_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `incident_tasks_tenant_id_idx` ON `incident_tasks` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `incident_tasks_tenant_incident_idx` ON `incident_tasks` (`tenant_id`,`incident_id`,`id`);--> statement-breakpoint
CREATE TABLE `incident_alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`incident_id` text NOT NULL,
	`team_activation_id` text NOT NULL,
	`team_id` text NOT NULL,
	`step` text NOT NULL,
	`division_id` text NOT NULL,
	`division_path` text NOT NULL,
	`quorum` integer NOT NULL,
	`available` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `incident_alerts_tenant_activation_step_uq` ON `incident_alerts` (`tenant_id`,`team_activation_id`,`step`);--> statement-breakpoint
CREATE INDEX `incident_alerts_tenant_incident_idx` ON `incident_alerts` (`tenant_id`,`incident_id`,`id`);
