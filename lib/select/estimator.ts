// The scikit-learn estimator shape of selectFeatures.
import type { Table } from 'apache-arrow';
import { IpcaeError } from '../errors.js';
import { type SelectOptions } from './options.js';
import { type TableInput } from '../tables/read.js';
import { FeatureSelection } from './selection.js';
import { selectFeatures } from './select.js';

/**
 * The scikit-learn shape of the same thing: `new FeatureSelector({ k: 20, target: 'y' })`, then
 * `await fit(X)`, `transform(X)`, `await fitTransform(X)`, `getSupport()`, `getFeatureNamesOut()`.
 */
export class FeatureSelector {
  /** The fitted selection (after fit). */
  selection: FeatureSelection | undefined;
  constructor(readonly options: SelectOptions) {}

  private fitted(): FeatureSelection {
    if (!this.selection) throw new IpcaeError('ERR_INVALID_ARGUMENT', 'This FeatureSelector is not fitted yet: call await selector.fit(table) first');
    return this.selection;
  }
  async fit(input: TableInput): Promise<this> {
    this.selection = await selectFeatures(input, this.options);
    return this;
  }
  transform(input: TableInput): Table {
    return this.fitted().transform(input);
  }
  async fitTransform(input: TableInput): Promise<Table> {
    await this.fit(input);
    return this.transform(input);
  }
  getSupport(): boolean[] {
    return this.fitted().getSupport();
  }
  getFeatureNamesOut(): string[] {
    return this.fitted().getFeatureNamesOut();
  }
}
