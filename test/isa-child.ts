// A tiny fit in a child process (for the instruction-set tests: IPCAE_ISA, or a CPU emulated by
// qemu-user). Does nothing unless run with --isa-child; prints one JSON line.
import { Trainer, capabilities } from '../lib/index.js';
import { StgModel, toNativeSplits } from '../lib/baselines/native.js';
import { nativeBaselineOptions } from '../lib/baselines/options.js';
import { splitData, synthetic } from './helpers.js';

if (process.argv.includes('--isa-child')) {
  const D = 24;
  const { x, y } = synthetic({ rows: 240, d: D, classes: 3, seed: 4 });
  const t = new Trainer({ inputDim: D, k: 4, outputDim: 3, batchSize: 32, seeds: [1, 2], hidden: [16] });
  await t.setData(splitData(x, y, D, 160, 40));
  const r = await t.fit({ epochs: 3 });
  // the baselines' network and Adam (mlp.cpp): a few STG epochs
  const part = (a: number, b: number) => ({ x: x.slice(a * D, b * D), y: y.slice(a, b) });
  const prepared = { inputDim: D, classes: 3, train: part(0, 160), val: part(160, 200), test: part(200, 240) };
  const stg = new StgModel(
    nativeBaselineOptions({ task: 'classification', inputDim: D, outputDim: 3, seeds: [1, 2], lambdas: [0.5, 2], hidden: 16, batchSize: 32 }),
    toNativeSplits(prepared as never, 'classification'),
  );
  const stgEpochs = await stg.runEpochs(3);
  const c = capabilities();
  process.stdout.write(
    JSON.stringify({
      isa: c.isa,
      supportedIsa: c.supportedIsa,
      trainLoss: r.history.map((h) => h.replicas.map((x) => x.trainLoss)),
      parameters: Array.from(t.getParameters()),
      selected: r.replicas.map((x) => x.selected),
      stg: { mu: Array.from(stg.mu()), valLoss: stgEpochs.map((e) => e.valLoss), parameters: Object.fromEntries(Object.entries(stg.parameters()).map(([k, v]) => [k, Array.from(v as Float64Array)])) },
    }) + '\n',
  );
  t.dispose();
}
