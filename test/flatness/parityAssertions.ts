// The tolerances of the Hessian parity tests, shared by the wasm and cpu files.
import assert from 'node:assert/strict';
import { hessianParity, relativeDifference, torchMissing, traceOf, type ParityCase } from './torchHessian.js';

/** Runs the cases and asserts: Hv to 1e-4 relative, the eigenvalue estimate and the trace to 1e-3. */
export async function assertParity(cases: readonly ParityCase[], report: (line: string) => void): Promise<void> {
  // A missing PyTorch fails, as in the export parity tests: CI installs it, and a skip would hide that.
  const missing = torchMissing();
  assert.equal(missing, null, missing ?? '');
  const results = await hessianParity(cases);
  assert.deepEqual(results.map((r) => r.model), cases.map((c) => c.model));
  for (const r of results) {
    const eigenvalue = relativeDifference(r.vdm.eigenvalue, r.torch.eigenvalue);
    // Probes' z^T H z can have either sign; the trace is compared against their typical size.
    const scale = traceOf(r.torch.quadraticForms.map(Math.abs));
    const trace = Math.abs(traceOf(r.vdm.quadraticForms) - traceOf(r.torch.quadraticForms)) / scale;
    report(
      `${r.model}: Hv relative error ${r.hvError.exact.toExponential(2)} (finite differences ${r.hvError['finite-difference'].toExponential(2)}), ` +
        `eigenvalue ${r.vdm.eigenvalue.toPrecision(7)} vs ${r.torch.eigenvalue.toPrecision(7)} (${eigenvalue.toExponential(2)}), trace difference ${trace.toExponential(2)}`,
    );
    assert.ok(r.hvError.exact < 1e-4, `${r.model}: Hv differs from PyTorch's by ${r.hvError.exact} (relative)`);
    assert.ok(eigenvalue < 1e-3, `${r.model}: eigenvalue estimate ${r.vdm.eigenvalue} vs PyTorch's ${r.torch.eigenvalue}`);
    assert.ok(trace < 1e-3, `${r.model}: trace ${traceOf(r.vdm.quadraticForms)} vs PyTorch's ${traceOf(r.torch.quadraticForms)}`);
  }
}
