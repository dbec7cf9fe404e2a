// What an import from another system did with each thing it found: imported as is, mapped
// approximately (and how), or left out (and why). `strix import --from …` prints it.

export type ReportKind = 'imported' | 'approximate' | 'left out';

export interface ReportEntry { kind: ReportKind; item: string; detail: string }

export class ImportReport {
  readonly entries: ReportEntry[] = [];

  constructor(readonly title: string) {}

  imported(item: string, detail = ''): void {
    this.entries.push({ kind: 'imported', item, detail });
  }

  approximate(item: string, detail: string): void {
    this.entries.push({ kind: 'approximate', item, detail });
  }

  leftOut(item: string, why: string): void {
    this.entries.push({ kind: 'left out', item, detail: why });
  }

  count(kind: ReportKind): number {
    return this.entries.filter((e) => e.kind === kind).length;
  }

  /** One line per entry, grouped by kind, then the counts. */
  toText(): string {
    const lines = [this.title];
    for (const kind of ['imported', 'approximate', 'left out'] as const) {
      for (const e of this.entries.filter((entry) => entry.kind === kind)) lines.push(`  ${kind.padEnd(11)} ${e.item}${e.detail ? `: ${e.detail}` : ''}`);
    }
    lines.push(`  ${this.count('imported')} imported, ${this.count('approximate')} mapped approximately, ${this.count('left out')} left out`);
    return `${lines.join('\n')}\n`;
  }
}
