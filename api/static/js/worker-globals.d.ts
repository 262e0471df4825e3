// What the workers' importScripts define on the worker's global scope (vendor/, copied
// from these npm packages by scripts/build_static.py).
declare var hashwasm: typeof import('hash-wasm');
declare var jsQR: typeof import('jsqr').default;
