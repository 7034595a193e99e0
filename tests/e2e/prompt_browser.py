#!/usr/bin/env python3
"""Fills a prompt's form in headless Chromium (python3-selenium, chromium-driver):
every field type, a bad integer first (the page says what is wrong and keeps what
was typed), then a good answer. Checks every input has a bound label. Saves
screenshots in ARTEFACTS. Usage: prompt_browser.py URL ARTEFACTS PROFILE_DIR.
Prints "OK" or "FAIL: ..." lines."""
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

url, art, profile = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(art, exist_ok=True)
fails = []


def want(cond, what):
    if not cond:
        fails.append(what)


opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
          "--window-size=900,1400", "--user-data-dir=" + profile):
    opts.add_argument(a)
opts.binary_location = "/usr/bin/chromium"
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    drv.get(url)
    drv.save_screenshot(os.path.join(art, "1-form.png"))
    # Accessible: every input, textarea and select is named by a label bound to it.
    for el in drv.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), textarea, select"):
        i = el.get_attribute("id")
        want(i and drv.find_elements(By.CSS_SELECTOR, 'label[for="%s"]' % i), "no label for %s" % i)
    want(not drv.find_elements(By.TAG_NAME, "script"), "the page has a script")
    help_id = drv.find_element(By.ID, "f-count").get_attribute("aria-describedby")
    want(help_id == "h-count", "help tied to the input: %r" % help_id)

    def fill(count):
        who = drv.find_element(By.ID, "f-who")
        who.clear()
        who.send_keys("Ada Lovelace")
        why = drv.find_element(By.ID, "f-why")
        why.clear()
        why.send_keys("line one\nline two")
        c = drv.find_element(By.ID, "f-count")
        c.clear()
        c.send_keys(count)
        b = drv.find_element(By.ID, "f-budget")
        b.clear()
        b.send_keys("99.5")
        box = drv.find_element(By.ID, "f-urgent")
        if not box.is_selected():
            box.click()
        drv.find_element(By.CSS_SELECTOR, 'label[for="f-env-1"]').click()      # prod, by its label
        for i in (0, 1):
            t = drv.find_element(By.ID, "f-tools-%d" % i)
            if not t.is_selected():
                t.click()
        # The date input's text entry follows the browser's locale: set it the
        # way a date picker does.
        drv.execute_script("document.getElementById('f-start').value = '2026-12-24'")

    def submit():
        old = drv.find_element(By.TAG_NAME, "html")
        drv.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(drv, 30).until(EC.staleness_of(old))   # the next page, not this one

    fill("x")
    submit()
    body = drv.find_element(By.TAG_NAME, "body").text
    drv.save_screenshot(os.path.join(art, "2-bad-integer.png"))
    want('Accounts: must be a whole number, got "x"' in body, "the summary names the error: %r" % body[:400])
    want(drv.find_element(By.ID, "e-count").text == 'must be a whole number, got "x"', "message by the field")
    want(drv.find_element(By.ID, "f-count").get_attribute("aria-invalid") == "true", "aria-invalid")
    want(drv.find_element(By.ID, "f-who").get_attribute("value") == "Ada Lovelace", "kept what was typed")
    want(drv.find_element(By.ID, "f-tools-1").is_selected(), "kept the boxes")
    fill("3")
    submit()
    body = drv.find_element(By.TAG_NAME, "body").text
    drv.save_screenshot(os.path.join(art, "3-recorded.png"))
    want("Your answer was recorded" in body, "recorded: %r" % body[:300])
finally:
    drv.quit()
for f in fails:
    print("FAIL:", f)
print("OK" if not fails else "FAILED")
