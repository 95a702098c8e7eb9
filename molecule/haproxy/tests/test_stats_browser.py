"""The statistics page in a real browser: Debian's headless Chromium, driven
by Selenium through Debian's chromedriver (scripts/ensure-browser.sh installs
both; `make test` runs it). An operator on the admin network logs in, sees
web1 and web2 UP, ticks web1 in be_web, picks "Set state to DRAIN" and
applies it: the runtime API then reports web1 in DRAIN. The same operator
coming from a network that may see the page but not act on it sees no admin
controls. The screenshots are kept in build/artifacts/haproxy/."""

from __future__ import annotations

import base64
import os
import pathlib
import shutil
import tempfile

import halb_lb
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ADMIN_ADDRESS = os.environ["HALB_LB_ADMIN_ADDRESS"]
ARTIFACTS = pathlib.Path(
    os.environ.get("HALB_ARTIFACTS_DIR")
    or pathlib.Path(__file__).resolve().parents[3] / "build" / "artifacts" / "haproxy"
)
TIMEOUT = 30  # seconds, for every wait in the page


@pytest.fixture
def browser():
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} and {CHROMEDRIVER} are needed: run scripts/ensure-browser.sh (make test does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="halb-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    # As root in a container-less CI: no sandbox; and no connection anywhere
    # but to the scenario's own addresses (no updates, sync or QUIC probes).
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not download anything
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(TIMEOUT)
    # The login: HTTP basic auth, sent with every request of this browser.
    token = base64.b64encode(f"admin:{halb_lb.STATS_PASSWORD}".encode()).decode()
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}}
    )
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def server_row(driver, backend, server):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//a[@name='{backend}/{server}']/ancestor::tr[1]")


def status_cell(driver, backend, server):
    """The row's Status column, e.g. 'UP', '2m3s UP' or 'DRAIN'."""
    return server_row(driver, backend, server).text


def screenshot(driver, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, f"{path} looks empty"
    return path


def test_an_admin_drains_web1_from_the_stats_page(lb, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(f"http://{ADMIN_ADDRESS}:8404/stats")
    assert "Statistics Report" in browser.title
    for server in ("web1", "web2"):
        assert " UP " in f" {status_cell(browser, 'be_web', server)} ", status_cell(
            browser, "be_web", server
        )
    screenshot(browser, "stats-admin-before.png")

    checkbox = browser.find_element(By.CSS_SELECTOR, "input.be_web-checkbox[value='web1']")
    form = checkbox.find_element(By.XPATH, "./ancestor::form[1]")
    checkbox.click()
    Select(form.find_element(By.NAME, "action")).select_by_visible_text("Set state to DRAIN")
    form.find_element(By.CSS_SELECTOR, "input[type='submit'][value='Apply']").click()

    # HAProxy answers with a redirect to the page and a status message.
    WebDriverWait(browser, TIMEOUT).until(ec.url_contains(";st="))
    assert ";st=DONE" in browser.current_url, browser.current_url
    WebDriverWait(browser, TIMEOUT).until(lambda d: "DRAIN" in status_cell(d, "be_web", "web1"))
    browser.execute_script(
        "document.getElementsByName('be_web/web1')[0].scrollIntoView({block: 'center'})"
    )
    screenshot(browser, "stats-admin-drain.png")

    # What the runtime API says, not what the page says.
    assert lb.stat("be_web", "web1")["status"] == "DRAIN"
    assert "DRAIN" not in lb.stat("be_web", "web2")["status"]
    assert "DRAIN" not in lb.stat("be_tls", "web1")["status"]


def test_outside_the_admin_networks_there_are_no_admin_controls(lb, browser):
    from selenium.webdriver.common.by import By

    # The same login through 172.30.74.11: the controller is 172.30.74.1 there,
    # allowed to see the page but not in haproxy_stats_admin_networks.
    browser.get(f"http://{lb.LB_ADDRESS}:8404/stats")
    assert "Statistics Report" in browser.title
    assert " UP " in f" {status_cell(browser, 'be_web', 'web1')} "
    assert browser.find_elements(By.CSS_SELECTOR, "input[name='s']") == []
    assert browser.find_elements(By.CSS_SELECTOR, "select[name='action']") == []
    assert browser.find_elements(By.XPATH, "//input[@type='submit'][@value='Apply']") == []
    screenshot(browser, "stats-no-admin.png")
