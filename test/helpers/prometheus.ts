/** Reading Prometheus text exposition in tests. */
export type Labels = Record<string, string>;

/** The samples of one metric name in Prometheus text format, with their labels. */
export function samples(text: string, name: string): { labels: Labels; value: number }[] {
  const found: { labels: Labels; value: number }[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Labels = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

/** The value of the sample with exactly these labels. */
export function value(text: string, name: string, labels: Labels = {}): number | undefined {
  return samples(text, name).find((sample) => JSON.stringify(Object.entries(sample.labels).sort()) === JSON.stringify(Object.entries(labels).sort()))?.value;
}
