// The ways vdm flatness takes Hessian-vector products, in a module with no tfjs import (the CLI
// declares its flags before tfjs loads).
export const HVP_METHODS = ['exact', 'finite-difference'] as const;
export type HvpMethod = (typeof HVP_METHODS)[number];
