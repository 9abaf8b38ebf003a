#if Serve
// The page `petal serve` answers at GET /: drop, pick or paste an image (or take one with the camera where the browser
// allows), and see the label, every class's probability as a bar, the exact crop the model saw and a Grad-CAM overlay
// of where it looked, from POST /explain. Everything is in this one page: it loads nothing from the network.
import Foundation

enum TryPage {
    /// The page for a model; the settings are embedded as JSON (with `<` escaped, so no name can end the script).
    static func html(model: String, precision: String, classes: [String], crop: [Int], maxBodyBytes: Int) -> String {
        struct Settings: Encodable { let model: String, precision: String, classes: [String], crop: [Int], maxBodyBytes: Int }
        let json = (try? JSONEncoder().encode(Settings(model: model, precision: precision, classes: classes, crop: crop, maxBodyBytes: maxBodyBytes)))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let safe = json.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e").replacingOccurrences(of: "&", with: "\\u0026")
        return template.replacingOccurrences(of: "@SETTINGS@", with: safe)
    }

    private static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Petal · try the model</title>
    <style>
      :root { --ink: #1d2330; --muted: #5d6678; --line: #d9dee8; --accent: #c2417a; --bar: #e7a3c1; --bg: #fafbfd; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
      main { max-width: 920px; margin: 0 auto; padding: 28px 20px 48px; }
      h1 { font-size: 26px; margin: 0 0 4px; }
      .sub { color: var(--muted); margin: 0 0 22px; }
      #drop { border: 2px dashed var(--line); border-radius: 14px; background: #fff; padding: 30px 20px; text-align: center; cursor: pointer; }
      #drop.over { border-color: var(--accent); background: #fdf3f8; }
      #drop strong { display: block; font-size: 18px; margin-bottom: 6px; }
      .actions { display: flex; gap: 10px; justify-content: center; margin-top: 14px; flex-wrap: wrap; }
      button { font: inherit; border: 1px solid var(--line); background: #fff; border-radius: 8px; padding: 7px 14px; cursor: pointer; }
      button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
      #camera { display: none; margin-top: 16px; text-align: center; }
      #camera video { max-width: 100%; border-radius: 10px; background: #000; }
      #error { display: none; margin-top: 18px; padding: 12px 14px; border-radius: 10px; background: #fdecec; color: #8a1c1c; border: 1px solid #f3c4c4; }
      #status { margin-top: 14px; color: var(--muted); min-height: 1.4em; }
      #result { display: none; margin-top: 10px; }
      #answer { font-size: 22px; margin: 0 0 14px; }
      #answer b { color: var(--accent); }
      .bars { display: grid; grid-template-columns: minmax(90px, max-content) 1fr 64px; gap: 6px 12px; align-items: center; margin-bottom: 22px; }
      .track { background: #eef0f5; border-radius: 6px; height: 18px; overflow: hidden; }
      .fill { background: var(--bar); height: 100%; }
      .top .fill { background: var(--accent); }
      .pct { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
      .pictures { display: flex; gap: 20px; flex-wrap: wrap; }
      figure { margin: 0; }
      figure img { width: 260px; height: auto; image-rendering: pixelated; border-radius: 8px; border: 1px solid var(--line); display: block; }
      figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; max-width: 260px; }
    </style>
    </head>
    <body>
    <main>
      <h1>Try the model</h1>
      <p class="sub" id="about"></p>
      <div id="drop" tabindex="0" aria-label="Drop an image here or choose one">
        <strong>Drop a photo here</strong>
        <span>or paste one (Ctrl+V / ⌘V)</span>
        <div class="actions">
          <button class="primary" id="choose" type="button">Choose an image…</button>
          <button id="open-camera" type="button" hidden>Use the camera</button>
        </div>
        <input id="file" type="file" accept="image/jpeg,image/png" hidden>
      </div>
      <div id="camera">
        <video id="video" autoplay playsinline muted></video>
        <div class="actions"><button class="primary" id="snap" type="button">Take the photo</button><button id="close-camera" type="button">Close the camera</button></div>
      </div>
      <div id="status" role="status"></div>
      <div id="error" role="alert"></div>
      <section id="result" aria-live="polite">
        <p id="answer"></p>
        <div class="bars" id="bars"></div>
        <div class="pictures">
          <figure><img id="crop" alt="The crop the model saw"><figcaption id="crop-caption">What the model saw: the photo prepared as for training.</figcaption></figure>
          <figure><img id="gradcam" alt="Grad-CAM overlay"><figcaption>Where it looked for <span id="cam-class"></span> (Grad-CAM: red is strong evidence).</figcaption></figure>
        </div>
      </section>
    </main>
    <script id="settings" type="application/json">@SETTINGS@</script>
    <script>
    "use strict";
    const settings = JSON.parse(document.getElementById("settings").textContent);
    const $ = (id) => document.getElementById(id);
    $("about").textContent = `${settings.model} · ${settings.precision} · ${settings.classes.length} classes (${settings.classes.join(", ")}) · ${settings.crop[0]}×${settings.crop[1]} crop`;
    $("crop-caption").textContent = `What the model saw: the ${settings.crop[0]}×${settings.crop[1]} input, prepared as in training.`;

    function showError(message) {
      $("error").textContent = message;
      $("error").style.display = "block";
      $("status").textContent = "";
    }

    async function send(blob, name) {
      $("error").style.display = "none";
      if (!blob || blob.size === 0) { showError("That file is empty."); return; }
      if (blob.size > settings.maxBodyBytes) {
        showError(`${name} is ${(blob.size / 1048576).toFixed(1)} MB; the server takes images up to ${(settings.maxBodyBytes / 1048576).toFixed(0)} MB.`);
        return;
      }
      $("status").textContent = `Looking at ${name}…`;
      let response;
      try {
        response = await fetch("explain", { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: blob });
      } catch (e) {
        showError("The server could not be reached: " + e.message);
        return;
      }
      let answer;
      try { answer = await response.json(); } catch (e) { showError(`The server answered ${response.status} without a result.`); return; }
      if (!response.ok) { showError(answer.error || `The server answered ${response.status}.`); return; }
      show(answer, name);
    }

    function show(answer, name) {
      const ranked = Object.entries(answer.probabilities).sort((a, b) => b[1] - a[1]);
      const answerLine = $("answer");
      answerLine.replaceChildren();
      const label = document.createElement("b");
      label.id = "label";
      label.textContent = answer.label;
      answerLine.append(`${name}: `, label, ` (${(100 * answer.probabilities[answer.label]).toFixed(1)} %)`);
      const bars = $("bars");
      bars.replaceChildren();
      for (const [cls, p] of ranked) {
        const row = [document.createElement("span"), document.createElement("div"), document.createElement("span")];
        row[0].textContent = cls;
        row[1].className = "track" + (cls === answer.label ? " top" : "");
        const fill = document.createElement("div");
        fill.className = "fill";
        fill.style.width = `${(100 * p).toFixed(2)}%`;
        row[1].append(fill);
        row[2].className = "pct";
        row[2].textContent = `${(100 * p).toFixed(1)} %`;
        for (const cell of row) { cell.dataset.class = cls; }
        row[1].dataset.probability = String(p);
        row[1].classList.add("probability");
        bars.append(...row);
      }
      $("crop").src = answer.crop;
      $("gradcam").src = answer.gradcam;
      $("cam-class").textContent = answer.label;
      $("result").style.display = "block";
      $("status").textContent = "";
    }

    $("choose").addEventListener("click", (e) => { e.stopPropagation(); $("file").click(); });
    $("drop").addEventListener("click", () => $("file").click());
    $("file").addEventListener("change", () => { const f = $("file").files[0]; if (f) send(f, f.name); $("file").value = ""; });
    for (const type of ["dragenter", "dragover"]) $("drop").addEventListener(type, (e) => { e.preventDefault(); $("drop").classList.add("over"); });
    for (const type of ["dragleave", "drop"]) $("drop").addEventListener(type, () => $("drop").classList.remove("over"));
    $("drop").addEventListener("drop", (e) => {
      e.preventDefault();
      const f = e.dataTransfer.files[0];
      if (f) send(f, f.name); else showError("Drop an image file (JPEG or PNG).");
    });
    document.addEventListener("paste", (e) => {
      const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.kind === "file");
      if (item) send(item.getAsFile(), "the pasted image"); else showError("The clipboard holds no image.");
    });

    let stream = null;
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) $("open-camera").hidden = false;
    $("open-camera").addEventListener("click", async (e) => {
      e.stopPropagation();
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        $("video").srcObject = stream;
        $("camera").style.display = "block";
      } catch (err) { showError("The camera is not available: " + err.message); }
    });
    function closeCamera() { if (stream) stream.getTracks().forEach((t) => t.stop()); stream = null; $("camera").style.display = "none"; }
    $("close-camera").addEventListener("click", closeCamera);
    $("snap").addEventListener("click", () => {
      const video = $("video"), canvas = document.createElement("canvas");
      [canvas.width, canvas.height] = [video.videoWidth, video.videoHeight];
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob((blob) => { closeCamera(); send(blob, "the camera's photo"); }, "image/jpeg", 0.92);
    });
    </script>
    </body>
    </html>
    """#
}
#endif
