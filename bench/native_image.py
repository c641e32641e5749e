"""`make bench` (native plugins, $image): each against its baseline in the same run.

- a native plugin call ($strdist.levenshtein, built here with gcc) against the same function in
  plain JS inside the same service: the cost per call, for short strings (the call's overhead:
  the host boundary, JSON, the thread hop) and long ones (the work itself);
- `$image` resize of a 4000x3000 JPEG to 800x600 (open from $storage, resize, encode JPEG) timed
  inside the service and over HTTP, against Pillow doing the same in this process.
Nothing here is a test; figures go to docs/performance.md by hand, with the machine.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import EMAIL, PASSWORD, Bench, m3m  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERVICE = r"""
const levenshtein = (a, b) => {
  const x = Array.from(a), y = Array.from(b);
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const above = row[j];
      row[j] = Math.min(above + 1, row[j - 1] + 1, diagonal + (x[i - 1] === y[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[y.length];
};
$router.post('/distance', async (ctx) => {
  const { a, b, n, kind } = ctx.body;
  let last = 0;
  const began = Date.now();
  for (let i = 0; i < n; i++) { last = kind === 'native' ? await $strdist.levenshtein(a, b) : levenshtein(a, b); }
  return { ms: Date.now() - began, last };
});
$router.post('/resize', async () => {
  const began = Date.now();
  const image = await $image.open('big.jpg');
  await image.resize(800, 600);
  const bytes = await image.toBytes('jpeg', { quality: 85 });
  image.close();
  return { ms: Date.now() - began, bytes: bytes.length };
});
"""
SHORT = ("kitten sitting on the mat", "sitting kitten at the mall")
LONG = ("".join(chr(97 + (i * 7) % 26) for i in range(2000)), "".join(chr(97 + (i * 11) % 26) for i in range(2000)))


def pillow_resize(data: bytes) -> int:
    image = Image.open(io.BytesIO(data))
    image.load()
    small = image.resize((800, 600), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=85)
    return out.tell()


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="m3m-bench-native-"))
    plugins = workdir / "plugins"
    plugins.mkdir()
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", f"-I{ROOT / 'native_plugins/include'}", "-o", str(plugins / "strdist.so"),
                    str(ROOT / "native_plugins/examples/strdist.c")], check=True)
    bench = Bench(workdir, {"M3M_NATIVE__PATH": str(plugins)})
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    results: dict = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"}
    photo = Image.radial_gradient("L").resize((4000, 3000)).convert("RGB")  # a smooth photo-like JPEG, fast to make
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=90)
    big = buffer.getvalue()
    bench.serve()
    try:
        http = bench.client()
        http.post("/api/projects", json={"name": "bench-native", "slug": "bench-native"}).raise_for_status()
        http.put("/api/projects/bench-native/storage/content", params={"path": "big.jpg"}, content=big).raise_for_status()
        http.put("/api/projects/bench-native/pipeline/branches/develop", json={"code": SERVICE}).raise_for_status()
        version = http.post("/api/projects/bench-native/pipeline/releases", json={"branch": "develop"}).json()["version"]
        http.post("/api/projects/bench-native/runtime/start", json={"release": version}).raise_for_status()

        def per_call_us(kind: str, pair: tuple[str, str], n: int) -> tuple[float, int]:
            runs = []
            for _ in range(5):
                answer = http.post("/bot-bench-native/distance", json={"a": pair[0], "b": pair[1], "n": n, "kind": kind}).json()
                runs.append(answer["ms"])
            return statistics.median(runs) * 1000 / n, answer["last"]

        for label, pair, n in (("short", SHORT, 2000), ("long", LONG, 5)):
            native_us, native_value = per_call_us("native", pair, n)
            js_us, js_value = per_call_us("js", pair, n)
            assert native_value == js_value, (native_value, js_value)
            results[f"{label}_native_us_per_call"] = round(native_us, 1)
            results[f"{label}_js_us_per_call"] = round(js_us, 1)
            results[f"{label}_native_over_js"] = round(native_us / js_us, 2)

        def worker_mb() -> float:
            time.sleep(1.2)  # a heartbeat carries the RSS
            return round(http.get("/api/projects/bench-native/runtime").json()["memory"] / 2**20, 1)

        results["worker_rss_after_calls_mb"] = worker_mb()
        in_service, over_http, direct = [], [], []
        for _ in range(5):
            began = time.perf_counter()
            answer = http.post("/bot-bench-native/resize").json()
            assert "ms" in answer, answer
            over_http.append(time.perf_counter() - began)
            in_service.append(answer["ms"] / 1000)
            began = time.perf_counter()
            pillow_resize(big)
            direct.append(time.perf_counter() - began)
        results["worker_rss_after_resizes_mb"] = worker_mb()
        results["resize_pillow_ms"] = round(statistics.median(direct) * 1000)
        results["resize_in_service_ms"] = round(statistics.median(in_service) * 1000)
        results["resize_over_http_ms"] = round(statistics.median(over_http) * 1000)
        results["resize_in_service_over_pillow"] = round(statistics.median(in_service) / statistics.median(direct), 2)
        results["resize_jpeg_bytes"] = answer["bytes"]
        http.post("/api/projects/bench-native/runtime/stop")
    finally:
        bench.stop()
        if os.environ.get("M3M_BENCH_KEEP"):
            print("kept", workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
