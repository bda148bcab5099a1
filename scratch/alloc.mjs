let keep;
for (const n of [1<<18, 1<<20]) {
  for (let i = 0; i < 50; i++) keep = new Int32Array(n);
  let t = process.hrtime.bigint(); for (let i = 0; i < 200; i++) { keep = new Int32Array(n); keep[n-1]=1; } console.log("alloc", n*4/1024, "KB", Number(process.hrtime.bigint() - t) / 200e3, "us");
  t = process.hrtime.bigint(); for (let i = 0; i < 200; i++) { keep = new Int32Array(n); for (let j = 0; j < n; j += 1024) keep[j] = 1; } console.log("alloc+touch", n*4/1024, "KB", Number(process.hrtime.bigint() - t) / 200e3, "us");
}
