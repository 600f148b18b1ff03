// Charts drawn with uPlot (a small, dependency-free canvas charting library): the posterior of the lift and the
// cumulative results over time. Each chart also has a text equivalent for screen readers (aria-label + caption).
import {useEffect, useRef} from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const PALETTE = ['#616161', '#005bd3', '#29845a', '#b98900', '#8051ff', '#e51c00'];
export const variantColor = (i: number) => PALETTE[i % PALETTE.length];

function UPlot(props: {options: Omit<uPlot.Options, 'width' | 'height'>; data: uPlot.AlignedData; label: string;
                       height?: number}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth || 600);
    const plot = new uPlot({...props.options, width, height: props.height ?? 220} as uPlot.Options, props.data, el);
    const observer = new ResizeObserver(() => plot.setSize({width: Math.max(280, el.clientWidth), height: props.height ?? 220}));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [props.data, props.options]);
  // The fixed height reserves the chart's space before it draws: no layout shift.
  return <div ref={box} class="Chart" role="img" aria-label={props.label} style={{minHeight: `${(props.height ?? 220) + 40}px`}} />;
}

// The normal approximation of each variant's lift posterior (mean `expected`, sd `stddev`), in percent.
export function LiftPosteriorChart(props: {lifts: Array<{key: string; expected: number; stddev: number; index: number}>}) {
  const lifts = props.lifts.filter((l) => l.stddev > 0 && isFinite(l.stddev));
  if (lifts.length === 0) return <p class="muted">The posterior appears once every variant has visitors.</p>;
  const lo = Math.min(...lifts.map((l) => l.expected - 4 * l.stddev));
  const hi = Math.max(...lifts.map((l) => l.expected + 4 * l.stddev));
  const xs: number[] = [];
  for (let i = 0; i <= 120; i++) xs.push((lo + ((hi - lo) * i) / 120) * 100);
  const series = lifts.map((l) => xs.map((x) => {
    const z = (x / 100 - l.expected) / l.stddev;
    return Math.exp(-0.5 * z * z) / (l.stddev * Math.sqrt(2 * Math.PI)) / 100;
  }));
  const options = {
    scales: {x: {time: false}},
    axes: [{label: 'Lift over control (%)'}, {label: 'Density', size: 60}],
    series: [{label: 'Lift %'}, ...lifts.map((l) => ({label: l.key, stroke: variantColor(l.index),
                                                      fill: `${variantColor(l.index)}22`, width: 2}))],
    legend: {show: true},
    cursor: {drag: {x: false, y: false}},
  };
  const label = lifts.map((l) => `${l.key}: lift ${(l.expected * 100).toFixed(1)}% ± ${(1.96 * l.stddev * 100).toFixed(1)}%`).join('; ');
  return <UPlot options={options} data={[xs, ...series] as uPlot.AlignedData} label={`Posterior of the lift. ${label}`} />;
}

export interface SeriesPoint {
  date: string;
  values: Record<string, number | null>;  // variant key → cumulative conversion rate
}

export function CumulativeChart(props: {points: SeriesPoint[]; variants: string[]; metric: string}) {
  const xs = props.points.map((p) => Date.parse(p.date) / 1000);
  const ys = props.variants.map((v) => props.points.map((p) => {
    const value = p.values[v];
    return value === null || value === undefined ? null : value * 100;
  }));
  const options = {
    axes: [{}, {label: `${props.metric} (%)`, size: 60}],
    series: [{label: 'Day'}, ...props.variants.map((v, i) => ({label: v, stroke: variantColor(i), width: 2,
                                                              points: {show: true}}))],
    cursor: {drag: {x: false, y: false}},
  };
  const last = props.points[props.points.length - 1];
  const label = last ? props.variants.map((v) => `${v}: ${((last.values[v] ?? 0) * 100).toFixed(2)}% on ${last.date}`).join('; ') : '';
  return <UPlot options={options} data={[xs, ...ys] as uPlot.AlignedData} label={`Cumulative ${props.metric} by day. ${label}`} />;
}
