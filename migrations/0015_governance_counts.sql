CREATE TABLE `governance_counts` (
	`tenant_id` text NOT NULL,
	`metric` text NOT NULL,
	`period` text NOT NULL,
	`division_path` text NOT NULL,
	`dim` text NOT NULL,
	`label` text,
	`n` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `governance_counts_key` ON `governance_counts` (`tenant_id`,`metric`,`period`,`division_path`,`dim`);
--> statement-breakpoint
insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select tenant_id, 'admission.department.' || case when status in ('approved', 'active', 'expired') then 'admitted' when status in ('refused', 'rejected') then 'refused' when status = 'withdrawn' then 'withdrawn' else 'pending' end, strftime('%Y', created_at, '+8 hours') || '-Q' || ((cast(strftime('%m', created_at, '+8 hours') as integer) + 2) / 3), division_path, department_id, max(department_name), count(*) from admission_requests where true group by 1, 2, 3, 4, 5;
--> statement-breakpoint
insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select t.tenant_id, 'admission.target.' || case when r.status in ('approved', 'active', 'expired') then 'admitted' when r.status in ('refused', 'rejected') then 'refused' when r.status = 'withdrawn' then 'withdrawn' else 'pending' end, strftime('%Y', r.created_at, '+8 hours') || '-Q' || ((cast(strftime('%m', r.created_at, '+8 hours') as integer) + 2) / 3), t.division_path, r.department_id, max(r.department_name), count(*) from admission_targets t join admission_requests r on r.tenant_id = t.tenant_id and r.id = t.request_id where true group by 1, 2, 3, 4, 5;
--> statement-breakpoint
with recursive spans(tenant_id, request_id, k, last) as (select tenant_id, id, (cast(substr(period_start, 1, 4) as integer) * 4 + (cast(substr(period_start, 6, 2) as integer) - 1) / 3), (cast(substr(period_end, 1, 4) as integer) * 4 + (cast(substr(period_end, 6, 2) as integer) - 1) / 3) from admission_requests where status in ('approved', 'active', 'expired') union all select tenant_id, request_id, k + 1, last from spans where k < last) insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select t.tenant_id, 'admission.carried', (s.k / 4) || '-Q' || (s.k % 4 + 1), t.division_path, t.community_id, null, count(*) from spans s join admission_targets t on t.tenant_id = s.tenant_id and t.request_id = s.request_id where true group by 1, 2, 3, 4, 5;
--> statement-breakpoint
insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select tenant_id, 'admission.refusals', substr(requested_on, 1, 4) || '-Q' || ((cast(substr(requested_on, 6, 2) as integer) + 2) / 3), division_path, community_id, null, count(*) from admission_refusals where true group by 1, 2, 3, 4, 5;
--> statement-breakpoint
insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select tenant_id, 'standards.inspections', substr(inspected_on, 1, 4), division_path, '', null, count(*) from inspections where true group by 1, 2, 3, 4, 5;
--> statement-breakpoint
insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select tenant_id, 'standards.score', substr(inspected_on, 1, 4), division_path, '', null, sum(total_score) from inspections where true group by 1, 2, 3, 4, 5;
--> statement-breakpoint
insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select tenant_id, 'standards.max_score', substr(inspected_on, 1, 4), division_path, '', null, sum(max_score) from inspections where true group by 1, 2, 3, 4, 5;
--> statement-breakpoint
insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select r.tenant_id, 'standards.rectification.' || r.status, substr(i.inspected_on, 1, 4), r.division_path, case when r.status = 'closed' then '' else substr(r.deadline, 1, 7) end, null, count(*) from rectifications r join inspections i on i.tenant_id = r.tenant_id and i.id = r.inspection_id where true group by 1, 2, 3, 4, 5;
--> statement-breakpoint
insert into governance_counts (tenant_id, metric, period, division_path, dim, label, n) select r.tenant_id, 'standards.rectification.' || r.status || '.day.' || substr(r.deadline, 1, 7), substr(i.inspected_on, 1, 4), r.division_path, r.deadline, null, count(*) from rectifications r join inspections i on i.tenant_id = r.tenant_id and i.id = r.inspection_id where r.status <> 'closed' group by 1, 2, 3, 4, 5;
