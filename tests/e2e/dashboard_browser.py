#!/usr/bin/env python3
"""Drives the dashboard in headless Chromium (Selenium + chromedriver, Debian's).

Called by dashboard_browser.sh with: BASE_URL ADMIN_TOKEN VIEWER_TOKEN SOARCTL
SHOTS_DIR. Prints one line per check; exits 1 on the first failure, with a
screenshot of the page where it failed."""
import json
import os
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

base, tok, vtok, soarctl, shots = sys.argv[1:6]
os.makedirs(shots, exist_ok=True)


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-dev-shm-usage", "--window-size=1280,1000",
              "--user-data-dir=" + tempfile.mkdtemp(prefix="chromium-")):
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def cli(*args):
    out = subprocess.run([soarctl, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


drv = None


def check(cond, what):
    if not cond:
        if drv:
            drv.save_screenshot(os.path.join(shots, "failure.png"))
        print("FAIL:", what, flush=True)
        sys.exit(1)
    print("ok:", what, flush=True)


def shot(name):
    drv.save_screenshot(os.path.join(shots, name + ".png"))


def text(css):
    return drv.find_element(By.CSS_SELECTOR, css).text


def sign_in(token):
    drv.get(base + "/")
    WebDriverWait(drv, 10).until(lambda d: d.current_url.endswith("/ui/login"))
    drv.find_element(By.ID, "token").send_keys(token)
    drv.find_element(By.ID, "signin").click()
    WebDriverWait(drv, 10).until(lambda d: d.find_elements(By.ID, "count-total"))


def page_post(path, fields):
    """A POST from the page's own script context (the browser's cookie)."""
    return drv.execute_async_script("""
        var done = arguments[arguments.length - 1];
        fetch(arguments[0], {method: "POST", credentials: "same-origin",
              headers: {"Content-Type": "application/x-www-form-urlencoded"},
              body: new URLSearchParams(arguments[1]).toString(), redirect: "manual"})
          .then(function (r) { done(r.status); }).catch(function (e) { done(String(e)); });
    """, base + path, fields)


drv = browser()
try:
    # ---- sign in ----
    drv.get(base + "/ui/login")
    shot("login")
    sign_in(tok)
    check(drv.current_url.rstrip("/") == base, "signed in, on the overview")
    cookies = drv.get_cookies()
    sess = [c for c in cookies if c["name"] == "soar_session"]
    check(len(sess) == 1 and sess[0]["httpOnly"] and sess[0].get("sameSite") == "Strict",
          "the session cookie is HttpOnly and SameSite=Strict")
    check(drv.execute_script("return document.cookie").find("soar_session") < 0,
          "the page's script cannot read the session cookie")

    # ---- the overview: counts equal the store's ----
    cases = cli("case", "list", "--json", "--limit", "1000")
    cases = cases["cases"] if isinstance(cases, dict) else cases
    check(text("#count-total b") == str(len(cases)), "overview total = store (%d)" % len(cases))
    openn = sum(1 for c in cases if c["status"] != "closed")
    check(text("#count-open b") == str(openn), "overview open = store (%d)" % openn)
    for sev in ("critical", "high", "medium", "low"):
        n = sum(1 for c in cases if c["severity"] == sev)
        check(text("#count-sev-%s b" % sev) == str(n), "overview %s = store (%d)" % (sev, n))
    check(drv.find_elements(By.CSS_SELECTOR, "#chart-severity rect"), "the severity chart has bars")
    scripts = drv.execute_script("return document.scripts.length")
    check(scripts == 1, "only the dashboard's own script runs (hostile titles are text): %d" % scripts)
    check("<script>alert(1)</script>" in drv.find_element(By.ID, "live-cases").text,
          "the hostile title shows as text")
    shot("overview")

    # ---- new cases appear without a reload (server-sent events) ----
    drv.execute_script("window.__marker = 42")
    subprocess.run([soarctl, "case", "new", "--title", "pushed live", "--type", "live",
                    "--severity", "high"], check=True, capture_output=True)
    WebDriverWait(drv, 15).until(lambda d: "pushed live" in d.find_element(By.ID, "live-cases").text)
    check(drv.execute_script("return window.__marker") == 42, "the new case came without a reload")

    # ---- a filter narrows the case list ----
    drv.get(base + "/ui/cases")
    all_rows = len(drv.find_elements(By.CSS_SELECTOR, "#cases tr")) - 1
    Select(drv.find_element(By.ID, "f-severity")).select_by_visible_text("low")
    drv.find_element(By.ID, "f-apply").click()
    WebDriverWait(drv, 10).until(lambda d: "severity=low" in d.current_url)
    rows = drv.find_elements(By.CSS_SELECTOR, "#cases tr")[1:]
    low = sum(1 for c in cases if c["severity"] == "low")
    check(len(rows) == low and low < all_rows, "severity filter: %d of %d rows" % (len(rows), all_rows))
    check(all(r.find_elements(By.CSS_SELECTOR, "td.sev-low") for r in rows), "every row is low")
    shot("cases")

    # ---- a case page: its timeline and its runs ----
    runs = cli("runs", "list", "--json", "--limit", "100")
    quick = [r for r in runs if r["playbook"] == "quick"][0]
    ref = quick["case"]
    drv.get(base + "/ui/cases/" + ref)
    check(drv.find_elements(By.CSS_SELECTOR, "#timeline tr.entry-created"), "the case page has its timeline")
    check(quick["id"] in drv.find_element(By.ID, "case-runs").text, "the case page lists its run")
    shot("case")

    # ---- a prompt answered from the page; the run goes on ----
    approve = [r for r in runs if r["playbook"] == "approve"][0]
    check(approve["status"] == "waiting", "the approve run waits on its prompt")
    drv.get(base + "/ui/runs/" + approve["id"])
    check(text("#run-wait") == "prompt", "the run page shows the waiting state")
    check(drv.find_elements(By.ID, "resume") and drv.find_elements(By.ID, "cancel"),
          "resume and cancel buttons")
    shot("run-waiting")
    drv.find_element(By.CSS_SELECTOR, "#prompts button[value=yes]").click()
    status = None
    for _ in range(200):
        status = cli("runs", "show", approve["id"], "--json")["run"]["status"]
        if status == "succeeded":
            break
        time.sleep(0.05)
    check(status == "succeeded", "the run went on after the answer from the page (%s)" % status)
    drv.get(base + "/ui/runs/" + approve["id"])
    check(text("#run-status") == "succeeded", "the run page shows it succeeded")
    check("yes" in drv.find_element(By.ID, "steps").text, "the answer is in the run's steps")
    shot("run")

    for name in ("runs", "jobs", "edls", "playbooks"):
        drv.get(base + "/ui/" + name)
        check(drv.find_elements(By.ID, name), "the %s page" % name)
        shot(name)
    drv.get(base + "/ui/edls")
    edl = drv.find_element(By.ID, "edls").text
    check("blocklist" in edl and "203.0.113.5" in edl and "never" in edl, "the EDL page: entries, expiries")
    drv.get(base + "/ui/jobs")
    check("0 3 * * *" in drv.find_element(By.ID, "jobs").text, "the jobs page: the nightly job's schedule")

    # ---- a POST without the CSRF token, from the signed-in browser ----
    check(page_post("/ui/cases/%s/close" % ref, {"reason": "no token"}) == 403,
          "a close without the CSRF token is refused")

    # ---- sign out, then a viewer: it cannot close a case ----
    drv.get(base + "/")
    drv.find_element(By.CSS_SELECTOR, "header form button").click()
    WebDriverWait(drv, 10).until(lambda d: d.current_url.endswith("/ui/login"))
    sign_in(vtok)
    check(text("#whoami") == "u_viewer", "signed in as the viewer")
    drv.get(base + "/ui/cases/" + ref)
    check(not drv.find_elements(By.ID, "close-case"), "no close button for a viewer")
    csrf = drv.find_element(By.CSS_SELECTOR, "meta[name=csrf]").get_attribute("content")
    check(page_post("/ui/cases/%s/close" % ref, {"reason": "viewer", "csrf": csrf}) == 403,
          "the viewer's close, with its CSRF token, is refused")
    st = cli("case", "show", ref, "--json")["case"]["status"]
    check(st != "closed", "the case is still open (%s)" % st)
finally:
    drv.quit()
print("browser: all checks passed")
