let keep;
const total = 1 << 20; // ints (4 MB)
for (let r = 0; r < 3; r++) for (const n of [1<<11, 1<<12, 1<<13, 1<<14, 1<<15]) {
  const pages = total / n;
  const c = process.cpuUsage();
  for (let i = 0; i < 100; i++) { keep = []; for (let p = 0; p < pages; p++) { const a = new Int32Array(n); for (let j = 0; j < n; j += 1024) a[j] = 1; keep.push(a); } }
  const cu = process.cpuUsage(c);
  console.log(r, n*4/1024, "KB pages:", ((cu.user + cu.system) / 100e3).toFixed(2), "cpu-ms per 4 MB");
}
