CREATE TABLE `checklists` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`title` text NOT NULL,
	`edition` integer NOT NULL,
	`items` text NOT NULL,
	`max_score` integer NOT NULL,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `checklists_tenant_id_idx` ON `checklists` (`tenant_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `checklists_tenant_edition_uq` ON `checklists` (`tenant_id`,`edition`);--> statement-breakpoint
CREATE TABLE `inspections` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`org_id` text NOT NULL,
	`division_path` text NOT NULL,
	`checklist_id` text NOT NULL,
	`inspected_on` text NOT NULL,
	`inspector_path` text NOT NULL,
	`scores` text NOT NULL,
	`total_score` integer NOT NULL,
	`max_score` integer NOT NULL,
	`shortfalls` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `inspections_tenant_id_idx` ON `inspections` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `inspections_tenant_org_idx` ON `inspections` (`tenant_id`,`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `inspections_tenant_path_idx` ON `inspections` (`tenant_id`,`division_path`,`id`);--> statement-breakpoint
CREATE TABLE `meeting_attendance` (
	`tenant_id` text NOT NULL,
	`meeting_id` text NOT NULL,
	`org_id` text NOT NULL,
	`member_id` text NOT NULL,
	`held_on` text NOT NULL,
	`present` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `meeting_attendance_uq` ON `meeting_attendance` (`tenant_id`,`meeting_id`,`member_id`);--> statement-breakpoint
CREATE INDEX `meeting_attendance_tenant_org_idx` ON `meeting_attendance` (`tenant_id`,`org_id`,`held_on`);--> statement-breakpoint
CREATE TABLE `org_meetings` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`org_id` text NOT NULL,
	`division_path` text NOT NULL,
	`kind` text NOT NULL,
	`held_on` text NOT NULL,
	`topic` text NOT NULL,
	`expected` integer NOT NULL,
	`present` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `org_meetings_tenant_id_idx` ON `org_meetings` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `org_meetings_tenant_org_idx` ON `org_meetings` (`tenant_id`,`org_id`,`held_on`);--> statement-breakpoint
CREATE INDEX `org_meetings_tenant_path_idx` ON `org_meetings` (`tenant_id`,`division_path`,`id`);--> statement-breakpoint
CREATE TABLE `rectifications` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`inspection_id` text NOT NULL,
	`org_id` text NOT NULL,
	`division_path` text NOT NULL,
	`inspector_path` text NOT NULL,
	`item_code` text NOT NULL,
	`standard` text NOT NULL,
	`shortfall` integer NOT NULL,
	`deadline` text NOT NULL,
	`owner` text NOT NULL,
	`evidence` text,
	`status` text NOT NULL,
	`closed_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rectifications_tenant_id_idx` ON `rectifications` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `rectifications_tenant_inspection_idx` ON `rectifications` (`tenant_id`,`inspection_id`);--> statement-breakpoint
CREATE INDEX `rectifications_tenant_status_idx` ON `rectifications` (`tenant_id`,`status`,`deadline`);--> statement-breakpoint
CREATE INDEX `rectifications_tenant_path_idx` ON `rectifications` (`tenant_id`,`division_path`,`id`);