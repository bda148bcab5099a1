let keep;
for (const [pages, n] of [[1, 1<<20], [16, 1<<16], [64, 1<<14], [256, 1<<12]]) {
  for (let r = 0; r < 2; r++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) { keep = []; for (let p = 0; p < pages; p++) { const a = new Int32Array(n); for (let j = 0; j < n; j += 1024) a[j] = 1; keep.push(a); } }
  console.log(pages, "x", n*4/1024, "KB", Number(process.hrtime.bigint() - t) / 100e3, "us");
  }
}
let t = process.hrtime.bigint();
for (let i = 0; i < 100; i++) { keep = new Array(1<<20).fill(0); }
console.log("js array 1M smi", Number(process.hrtime.bigint() - t) / 100e3, "us");
