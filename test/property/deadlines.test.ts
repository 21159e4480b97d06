import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calendarOf, deadlineAfter } from "../../src/shared/calendar.js";
import { anonymous, propertyWorld, type PropertyWorld } from "./setup.js";

/**
 * The test's own calendar (2031, a year no seed loads): Saturday 8 February is a make-up working
 * day (调休上班), Monday 10 to Friday 14 February are holidays.
 */
const days = [
  { date: "2031-02-08", kind: "workday" as const, name: "调休上班" },
  ...[10, 11, 12, 13, 14].map((d) => ({ date: `2031-02-${d}`, kind: "holiday" as const, name: "春节" })),
];
const calendar = calendarOf([{ days }]);
const city = { tenant: "620900", roles: ["city_admin" as const], sub: "city-1" };

describe("deadlines on the working calendar", () => {
  it("counts working hours in office hours of working days, across a make-up Saturday and a holiday week", () => {
    // Friday 7 February 2031, 15:00 in China: two office hours left that day.
    const friday = new Date("2031-02-07T07:00:00Z");
    // 4 working hours: two on Friday, two on the make-up Saturday (09:00–11:00).
    expect(deadlineAfter(friday, { workingHours: 4 }, calendar).toISOString()).toBe("2031-02-08T03:00:00.000Z");
    // 12 working hours: two on Friday, eight on Saturday, then the holidays and Sunday: Monday 17 at 11:00.
    expect(deadlineAfter(friday, { workingHours: 12 }, calendar).toISOString()).toBe("2031-02-17T03:00:00.000Z");
    // Without the calendar: plain Monday–Friday, so Saturday is off and Monday 10 at 11:00.
    expect(deadlineAfter(friday, { workingHours: 4 }, calendarOf([])).toISOString()).toBe("2031-02-10T03:00:00.000Z");
    // Before office hours the count starts at 09:00; clock hours ignore the calendar.
    expect(deadlineAfter(new Date("2031-02-06T23:00:00Z"), { workingHours: 1 }, calendar).toISOString()).toBe(
      "2031-02-07T02:00:00.000Z",
    );
    expect(deadlineAfter(friday, { hours: 4 }, calendar).toISOString()).toBe("2031-02-07T11:00:00.000Z");
  });

  it("ends working-day deadlines at the close of office hours on the n-th working day, not counting the first", () => {
    const friday = new Date("2031-02-07T07:00:00Z");
    // 1 working day: the make-up Saturday; 2: Monday 17 (10–14 off, 15–16 weekend), 17:00 in China.
    expect(deadlineAfter(friday, { workingDays: 1 }, calendar).toISOString()).toBe("2031-02-08T09:00:00.000Z");
    expect(deadlineAfter(friday, { workingDays: 2 }, calendar).toISOString()).toBe("2031-02-17T09:00:00.000Z");
    // Late on Friday evening local (after 16:00 UTC it is already Saturday in China): counting starts on Saturday.
    expect(deadlineAfter(new Date("2031-02-07T17:00:00Z"), { workingDays: 1 }, calendar).toISOString()).toBe(
      "2031-02-17T09:00:00.000Z",
    );
  });
});

describe("complaint deadlines per category", () => {
  let w: PropertyWorld;
  beforeAll(async () => {
    w = await propertyWorld();
    expect((await w.ctx.call(city, "PUT", "/v1/working-calendars/2031", { source: "测试用日历", days })).status).toBe(
      200,
    );
    w.clock.at = new Date("2031-02-07T07:00:00Z"); // Friday 15:00 in China
  });
  afterAll(() => w.ctx.close());

  const file = async (category: string) => {
    const res = await anonymous(w.ctx, "POST", "/v1/public/complaints", {
      compoundId: w.compound.id,
      category,
      description: "测试",
    });
    expect(res.status).toBe(201);
    return res.body.complaint.dueAt as string;
  };

  it("uses the loaded calendar: working hours, working days, and clock hours for a blocked fire lane", async () => {
    expect(await file("noise")).toBe("2031-02-08T07:00:00.000Z"); // 8 working hours: 2 on Friday, 6 on the make-up Saturday
    expect(await file("parking")).toBe("2031-02-17T09:00:00.000Z"); // 2 working days
    expect(await file("blocked_fire_lane")).toBe("2031-02-07T11:00:00.000Z"); // 4 clock hours
  });
});
