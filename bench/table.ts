import type { Figure } from './support.js';

function fmt(n: number | undefined, unit: string): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (unit === 'ms') return `${n.toFixed(3)} ms`;
  if (unit === 'bytes' && n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (unit === 'bytes') return `${Math.round(n)} B`;
  if (unit === 'requests') return String(Math.round(n));
  return `${Math.round(n).toLocaleString('en-US')} ${unit}`;
}

/** `0.84 (0.71–0.93, 7 rounds)`: the median per-round ratio, its spread and how many rounds. */
function ratioCell(f: Figure): string {
  if (f.ratio === undefined) return '–';
  const s = f.ratioStats;
  if (s === undefined) return f.ratio.toFixed(2);
  return `${f.ratio.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)}, ${s.rounds} rounds)`;
}

/**
 * The results as a plain-text table: figure | chatshift | baseline | ratio | target | met?. A
 * compared figure's ratio is the median of its per-round ratios, followed by their min–max and count.
 */
export function table(figures: readonly Figure[]): string {
  const rows = [
    ['figure', 'chatshift', 'baseline', 'ratio (min–max, rounds)', 'target', 'met?'],
    ...figures.map((f) => [
      f.figure,
      fmt(f.chatshift, f.unit),
      fmt(f.baseline, f.unit),
      ratioCell(f),
      f.target,
      f.met ? 'yes' : 'NO',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')).join('\n');
}
