/** Apache ECharts, only the pieces the dashboard uses (tree-shaken through echarts/core). */
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { AriaComponent, GridComponent, LegendPlainComponent, TooltipComponent } from "echarts/components";
import { type ComposeOption, init, use } from "echarts/core";
import type { BarSeriesOption, LineSeriesOption, PieSeriesOption } from "echarts/charts";
import type {
  AriaComponentOption,
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "preact/hooks";

use([
  BarChart,
  LineChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendPlainComponent,
  AriaComponent,
  CanvasRenderer,
]);

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | PieSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | AriaComponentOption
>;

/** Party red first, then colours that keep 3:1 contrast against white. */
export const palette = ["#c8161d", "#d97706", "#2563eb", "#059669", "#7c3aed", "#db2777", "#0891b2", "#4b5563"];

export interface ChartClick {
  name: string;
  seriesName?: string;
  seriesId?: string;
  data?: unknown;
}

export function Chart({
  option,
  label,
  height = 260,
  onClick,
}: {
  option: ChartOption;
  label: string;
  height?: number;
  onClick?: (event: ChartClick) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const chart = init(ref.current!, undefined, { renderer: "canvas" });
    chart.setOption({ color: palette, aria: { enabled: true }, animation: false, ...option });
    if (onClick) chart.on("click", (event) => onClick(event as unknown as ChartClick));
    const resize = () => chart.resize();
    addEventListener("resize", resize);
    return () => {
      removeEventListener("resize", resize);
      chart.dispose();
    };
  }, [JSON.stringify(option)]);
  return <div ref={ref} class="chart" role="img" aria-label={label} style={{ height: `${height}px` }} />;
}
