import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { useTheme } from '../theme';

// Only the pieces the console draws, which keeps the echarts chunk a fraction of the full build.
echarts.use([LineChart, BarChart, PieChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/** An echarts canvas that follows its container's size (the Sider collapsing, a phone rotating). */
export function Chart({ option, height = 300 }: { option: ChartOption; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  // echarts' own dark theme for the dark console (on a transparent ground, so the card shows through).
  const { scheme } = useTheme();

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, scheme === 'dark' ? 'dark' : undefined);
    c.setOption({ backgroundColor: 'transparent', ...option }, true);
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
    // Re-created when the scheme changes (an echarts theme is fixed at init); `option` is set below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scheme]);

  useEffect(() => {
    chart.current?.setOption({ backgroundColor: 'transparent', ...option }, true);
  }, [option]);

  return <div ref={el} style={{ width: '100%', height }} />;
}
