"""The dashboard in a real headless Chromium, next to a live worker (run by BrowserTests.swift).

Environment: BASE_URL, RUNNING (a task that runs now), DONE (a finished walkthrough task),
HOSTILE (a task whose arguments, result and error are hostile HTML), SHOTS (where to save PNGs).
Exits 0 when every check passes, 1 with the reason otherwise.
"""
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.common.by import By

base, running, done, hostile, shots = (os.environ[k] for k in ("BASE_URL", "RUNNING", "DONE", "HOSTILE", "SHOTS"))


def fail(message):
    print("browser test: " + message)
    sys.exit(1)


def fresh(read, attempts=20):
    """Reads the page again when live updates replaced the element being read (they swap
    <main> for a fresh copy whenever an event arrives)."""
    for _ in range(attempts - 1):
        try:
            return read()
        except StaleElementReferenceException:
            time.sleep(0.1)
    return read()


def no_alert(driver, where):
    try:
        text = driver.switch_to.alert.text
        fail(f"a script ran on {where}: alert({text!r})")
    except NoAlertPresentException:
        pass


options = webdriver.ChromeOptions()
for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)
try:
    driver.get(base + "/")
    if "Celeriac" not in driver.title or "online" not in driver.page_source:
        fail("the dashboard does not show an online worker")
    driver.save_screenshot(os.path.join(shots, "dashboard.png"))

    driver.get(base + "/tasks")
    for name in ("tasks.add", "tasks.nap"):
        if name not in driver.page_source:
            fail(f"the tasks page does not list {name}")
    driver.save_screenshot(os.path.join(shots, "tasks.png"))

    fresh(lambda: driver.find_element(By.CSS_SELECTOR, f'a[href="/task/{done}"]').click())
    if "SUCCESS" not in driver.page_source or "task-succeeded" not in driver.page_source:
        fail("the task page does not show the finished task and its events")
    driver.save_screenshot(os.path.join(shots, "task.png"))

    driver.get(base + f"/task/{hostile}")
    time.sleep(0.5)
    no_alert(driver, "the hostile task's page")
    body = fresh(lambda: driver.find_element(By.TAG_NAME, "main").text)
    if "<script>alert(1)</script>" not in body:
        fail("the hostile arguments are not shown as text")
    if driver.find_elements(By.CSS_SELECTOR, "main img"):
        fail("hostile HTML became an element")
    driver.get(base + "/tasks")
    time.sleep(0.5)
    no_alert(driver, "the tasks page")

    # Revoke the running task with its button: the page changes without a reload.
    driver.get(base + f"/task/{running}")
    driver.execute_script("window.__notReloaded = true;")
    fresh(lambda: driver.find_element(By.XPATH, "//form[contains(@action, '/revoke')]//button[text()='Revoke']").click())
    deadline = time.time() + 15
    while "REVOKED" not in fresh(lambda: driver.find_element(By.TAG_NAME, "main").text):
        if time.time() > deadline:
            fail("the revoked task's state did not change on the page")
        time.sleep(0.2)
    if not driver.execute_script("return window.__notReloaded === true;"):
        fail("the page was reloaded to show the change")
    driver.save_screenshot(os.path.join(shots, "revoked.png"))
    driver.get(base + "/queues")
    driver.save_screenshot(os.path.join(shots, "queues.png"))
    print("browser test: ok")
finally:
    driver.quit()
