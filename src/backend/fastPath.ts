/*
 * netc's fast path: SIMD kernels from src/backend/simd, batch norm fused with its activation by the compiler,
 * and a leaner training step. It is on unless the environment sets NETC_FAST_PATH=0, which brings back the
 * path before it, for comparisons (the bench times both; tests check that both train to the same numbers).
 */

let enabled = process.env['NETC_FAST_PATH'] !== '0';

/** Whether the fast path is on. */
export function fastPathEnabled(): boolean {
  return enabled;
}

/** Turns the fast path on or off for what is registered, compiled or built from now on (tests and the bench). */
export function setFastPath(on: boolean): void {
  enabled = on;
}
