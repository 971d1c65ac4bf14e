// The per-file check: each test file runs in this environment, which reads the machine state
// before the file and, once the file's tests and hooks are done, puts back and names whatever
// the file left behind — so a leak fails the file that caused it, not a later one that trips
// over it, and the file's own test results are still reported.
import type { Circus } from '@jest/types';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment } from 'jest-environment-node';
import { relative } from 'node:path';
import { describeChanges, readMachineState, restoreMachineState, settledMachineState, type MachineState } from './machine-state';

export default class GuardedEnvironment extends TestEnvironment {
  private readonly testPath: string;
  private before: MachineState | null = null;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.testPath = relative(process.cwd(), context.testPath);
  }

  override async setup(): Promise<void> {
    await super.setup();
    if (process.platform === 'linux') this.before = readMachineState();
  }

  /** run_finish comes after every afterAll hook; an error added here fails the file. */
  async handleTestEvent(event: Circus.Event, state: Circus.State): Promise<void> {
    if (event.name !== 'run_finish' || !this.before) return;
    const changes = describeChanges(this.before, await settledMachineState(this.before));
    if (changes.length === 0) return;
    const notRestored = restoreMachineState(this.before);
    state.unhandledErrors.push(
      new Error(
        `${this.testPath} left the machine changed:\n  ${changes.join('\n  ')}\n` +
          (notRestored.length ? `and these could not be put back:\n  ${notRestored.join('\n  ')}` : 'all of it was put back, so later files start clean'),
      ),
    );
  }
}
