import { BarChart, GraphChart, HeatmapChart, LineChart, SankeyChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  AriaComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import type { EChartsCoreOption } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import ReactEChartsCore from 'echarts-for-react/lib/core';

/**
 * Charts are ECharts (through echarts-for-react); only the chart kinds the console draws are
 * registered, so the bundle carries no more of ECharts than it uses. SVG rendering keeps the text
 * selectable and lets the aria component describe each chart to screen readers.
 */
echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  SankeyChart,
  GraphChart,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  AriaComponent,
  SVGRenderer,
]);

export function Chart({ option, label, height }: { option: EChartsCoreOption; label: string; height?: number }) {
  return (
    <div role="img" aria-label={label} className="chart-wrap">
      <ReactEChartsCore
        echarts={echarts}
        option={{ aria: { enabled: true }, ...option }}
        opts={{ renderer: 'svg' }}
        notMerge
        style={{ height: height ?? 340, width: '100%' }}
      />
    </div>
  );
}
