// liquidjs on golden-liquid's benchmark fixtures: parse once, then time renderSync.
// Usage: (cd benches/liquidjs && npm install && node bench.mjs)
// The fixtures come from ../shared/thirdparty/golden-liquid (relative to the project root)
// or $GOLDEN_LIQUID_DIR. Each output is checked against expected_result.txt first.
import { Liquid } from "liquidjs";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const suite =
  process.env.GOLDEN_LIQUID_DIR ??
  path.resolve(here, "../../../shared/thirdparty/golden-liquid");
const fixturesDir = path.join(suite, "benchmark_fixtures");
if (!fs.existsSync(fixturesDir)) {
  console.error(`SKIPPED: no fixtures at ${fixturesDir}`);
  process.exit(0);
}

const normalizeYear = (s) => s.replace(/&copy; \d{4}/g, "&copy; YEAR");
const iterations = Number(process.env.ITERATIONS ?? 2000);

for (const name of fs.readdirSync(fixturesDir).sort()) {
  const dir = path.join(fixturesDir, name);
  const templates = path.join(dir, "templates");
  const engine = new Liquid({ root: [templates], extname: ".liquid", cache: true });
  const source = fs.readFileSync(path.join(templates, "index.liquid"), "utf8");
  const data = JSON.parse(fs.readFileSync(path.join(dir, "data.json"), "utf8"));
  const expected = fs.readFileSync(path.join(dir, "expected_result.txt"), "utf8");
  const template = engine.parse(source);
  const out = engine.renderSync(template, data);
  const ok = normalizeYear(out) === normalizeYear(expected);
  for (let i = 0; i < 200; i++) engine.renderSync(template, data);
  const times = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    engine.renderSync(template, data);
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p90 = times[Math.floor(times.length * 0.9)];
  console.log(
    `${name}/liquidjs: median ${median.toFixed(1)} µs, p90 ${p90.toFixed(1)} µs, min ${times[0].toFixed(1)} µs` +
      (ok ? "" : " (output differs from expected_result.txt)"),
  );
}
