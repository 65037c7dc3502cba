import { runInThisContext } from 'node:vm';

/**
 * Sets the zone the process reads local times in for the tests of a block. Node re-reads TZ when it is
 * assigned, but Jest hands each test file a copy of process.env, so the assignment goes to the real one.
 */
export function useMachineZone(zone: string): void {
  const env = (runInThisContext('process') as NodeJS.Process).env;
  let saved: string | undefined;
  beforeAll(() => {
    saved = env.TZ;
    env.TZ = zone;
  });
  afterAll(() => {
    if (saved === undefined) delete env.TZ;
    else env.TZ = saved;
  });
}
