// A tiny fit in a child process (for the instruction-set tests: IPCAE_ISA, or a CPU emulated by
// qemu-user). Does nothing unless run with --isa-child; prints one JSON line.
import { Trainer, capabilities } from '../lib/index.js';
import { splitData, synthetic } from './helpers.js';

if (process.argv.includes('--isa-child')) {
  const D = 24;
  const { x, y } = synthetic({ rows: 240, d: D, classes: 3, seed: 4 });
  const t = new Trainer({ inputDim: D, k: 4, outputDim: 3, batchSize: 32, seeds: [1, 2], hidden: [16] });
  await t.setData(splitData(x, y, D, 160, 40));
  const r = await t.fit({ epochs: 3 });
  const c = capabilities();
  process.stdout.write(
    JSON.stringify({
      isa: c.isa,
      supportedIsa: c.supportedIsa,
      trainLoss: r.history.map((h) => h.replicas.map((x) => x.trainLoss)),
      parameters: Array.from(t.getParameters()),
      selected: r.replicas.map((x) => x.selected),
    }) + '\n',
  );
  t.dispose();
}
