#!/usr/bin/env python3
"""A self-service form submitted from headless Chromium (python3-selenium,
chromium-driver): sign in with an API token on the page, fill every field
kind (text, integer, number, one-of, boolean, JSON table), submit, read the
run id. Screenshots go to ARTEFACTS (build/artefacts/forms/).

usage: forms_browser.py BASE_URL TOKEN ARTEFACTS -> prints the run id"""
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

base, token, shots = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)
profile = tempfile.mkdtemp(prefix="soarctl-chromium-")
opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run",
          "--disable-dev-shm-usage", "--window-size=900,1200", "--user-data-dir=" + profile):
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    wait = WebDriverWait(driver, 20)
    driver.get(base + "/forms/poc")
    wait.until(EC.presence_of_element_located((By.ID, "token")))
    assert driver.title == "Sign in - soarctl", driver.title
    driver.find_element(By.ID, "token").send_keys(token)
    driver.save_screenshot(os.path.join(shots, "1-sign-in.png"))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "in-customer")))
    assert driver.title == "Request a PoC environment - soarctl", driver.title
    # The order form.fields gives, then the other inputs by name.
    order = [el.get_attribute("name") for el in
             driver.find_elements(By.CSS_SELECTOR, "form input:not([type=hidden]), form select, form textarea")]
    assert order == ["customer", "tier", "seats", "budget", "tags", "trial"], order
    # Every control has a label tied to it (for screen readers).
    for el in driver.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select, textarea"):
        cid = el.get_attribute("id")
        assert driver.find_elements(By.CSS_SELECTOR, "label[for='%s']" % cid), "no label for " + cid
    # The browser's own check: a required field left empty stops the post.
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert driver.find_elements(By.ID, "in-customer"), "an empty required field was posted"
    driver.find_element(By.ID, "in-customer").send_keys("Umbrella Corp")
    seats = driver.find_element(By.ID, "in-seats")
    seats.clear()
    seats.send_keys("12")
    budget = driver.find_element(By.ID, "in-budget")
    budget.clear()
    budget.send_keys("2500.5")
    Select(driver.find_element(By.ID, "in-tier")).select_by_visible_text("large")
    driver.find_element(By.ID, "in-trial").click()
    driver.find_element(By.ID, "in-tags").send_keys('{"region": "eu", "sso": true}')
    driver.save_screenshot(os.path.join(shots, "2-form-filled.png"))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    status = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[role=status]")))
    driver.save_screenshot(os.path.join(shots, "3-started.png"))
    assert "Started: run" in status.text, status.text
    print(driver.find_element(By.ID, "run").text)
finally:
    driver.quit()
