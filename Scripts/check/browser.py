# make check-browser, the browser side: drives headless Chromium through chromedriver (the W3C WebDriver protocol over
# HTTP, from the standard library) to petal serve's page, uploads a photo through the page's file input, waits for the
# answer and compares the label and every class's probability shown with `petal predict --json`'s for the same photo;
# then uploads a text file and expects the page to show the server's error. Saves a screenshot of each page.
# Usage: browser.py PETAL CHECKPOINT PHOTO NOT_AN_IMAGE SCREENSHOT_PREFIX
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

petal, checkpoint, photo, text_file, screenshots = sys.argv[1:6]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read() or b"{}").get("value")


def wait_for(what, check, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    sys.exit(f"browser check: timed out waiting for {what}")


serve_port, driver_port = free_port(), free_port()
server = subprocess.Popen([petal, "serve", checkpoint, "--port", str(serve_port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
driver = subprocess.Popen(["chromedriver", f"--port={driver_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    def up(port, path):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2)
            return True
        except Exception:
            return False
    wait_for("petal serve", lambda: up(serve_port, "/health"), 180)
    wait_for("chromedriver", lambda: up(driver_port, "/status"))
    base = f"http://127.0.0.1:{driver_port}"
    session = call("POST", f"{base}/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,1150"]}}}})["sessionId"]
    s = f"{base}/session/{session}"
    key = "element-6066-11e4-a52e-4f735466cecf"

    def element(css):
        found = call("POST", f"{s}/element", {"using": "css selector", "value": css})
        if key not in (found or {}):
            sys.exit(f"browser check: no {css} on the page ({found})")
        return found[key]

    def script(code):
        return call("POST", f"{s}/execute/sync", {"script": code, "args": []})

    def upload(path):
        call("POST", f"{s}/url", {"url": f"http://127.0.0.1:{serve_port}/"})
        call("POST", f"{s}/element/{element('#file')}/value", {"text": os.path.abspath(path)})

    # A photo: the page's label and probabilities against petal predict's.
    upload(photo)
    wait_for("the page's answer", lambda: script("return document.getElementById('result').style.display === 'block' && document.getElementById('gradcam').complete"))
    shown_label = script("return document.getElementById('label').textContent")
    shown = dict(script("return [...document.querySelectorAll('.probability')].map(e => [e.dataset.class, Number(e.dataset.probability)])"))
    pictures = script("return ['crop', 'gradcam'].map(id => document.getElementById(id).naturalWidth)")
    with open(screenshots + "-photo.png", "wb") as f:
        f.write(base64.b64decode(call("GET", f"{s}/screenshot")))
    expected = json.loads(subprocess.run([petal, "predict", checkpoint, photo, "--json"], capture_output=True, text=True, check=True).stdout.splitlines()[0])
    worst = max(abs(shown[c] - p) for c, p in expected["probabilities"].items())
    print(f"page: {shown_label} {shown}; petal predict: {expected['label']} {expected['probabilities']}; largest difference {worst:.2e}; pictures {pictures} px wide")
    if shown_label != expected["label"] or set(shown) != set(expected["probabilities"]) or worst > 1e-5 or min(pictures) == 0:
        sys.exit("browser check: the page disagrees with petal predict or shows no pictures")

    # Not an image: the page shows the server's reason.
    upload(text_file)
    message = wait_for("the page's error", lambda: script("const e = document.getElementById('error'); return e.style.display === 'block' && e.textContent"))
    with open(screenshots + "-error.png", "wb") as f:
        f.write(base64.b64decode(call("GET", f"{s}/screenshot")))
    print(f"error shown: {message}")
    if "not a readable JPEG or PNG image" not in message:
        sys.exit("browser check: the page does not show why a text file was refused")
    call("DELETE", s)
finally:
    server.terminate()
    driver.terminate()
