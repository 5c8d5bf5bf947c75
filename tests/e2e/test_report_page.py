"""The reporting service's read-only report page, in Debian's headless Chromium.

`make run`'s stack loads the 2020 portfolio; a reader opens the page, picks a period and a
moment with the page's own form, follows the link to the corona portfolio and downloads
the PDF. Every figure the page shows is checked against the CLI's JSON for the same
question (another path through gRPC) and against figures computed from the data file.

Screenshots are written to ``var/screenshots/`` for people to look at.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.stack import REPO, Stack, expected_report

pytestmark = pytest.mark.e2e

PERIOD = "2020-03"
SCREENSHOTS = REPO / "var" / "screenshots"


def browser_binaries() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail(
            "Debian's chromium and chromium-driver are needed: `make browser` installs them"
        )
    return chromium, driver


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[Stack]:
    s = Stack(var_dir=tmp_path_factory.mktemp("page") / "var", shared_dir=shared_dir, extra_env={})
    s.start()
    s.wait_healthy()
    s.wait_for_file(s.var_dir / f"seeded-{PERIOD}")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium, driver = browser_binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,2000")
    options.add_argument("--lang=nb-NO")
    with webdriver.Chrome(options=options, service=DriverService(driver)) as chrome:
        chrome.set_page_load_timeout(60)
        yield chrome


def page_url(stack: Stack) -> str:
    (reporting,) = [s for s in stack.state()["services"] if s["name"] == "reporting"]
    assert reporting["web"], "stack.json names the report page"
    return str(reporting["web"])


def cli_report(stack: Stack, *args: str) -> dict[str, Any]:
    out = stack.cli("report", *args, "--format", "json")
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def key_figures(chrome: WebDriver) -> dict[str, str]:
    labels = chrome.find_elements(By.CSS_SELECTOR, ".kf .kf-label")
    values = chrome.find_elements(By.CSS_SELECTOR, ".kf .kf-value")
    return {
        label.text.strip().lower(): value.text.strip()
        for label, value in zip(labels, values, strict=True)
    }


def nb_number(value: int) -> str:
    """A whole number as the page shows it: a space between thousands (the page has a
    no-break space, which the browser's text gives as a space)."""
    return f"{value:,}".replace(",", " ")


def submit(chrome: WebDriver) -> None:
    """Press "Vis rapport" and wait until the browser shows the new page."""
    old = chrome.find_element(By.TAG_NAME, "html")
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(chrome, 60).until(expected_conditions.staleness_of(old))
    WebDriverWait(chrome, 60).until(
        lambda c: c.execute_script("return document.readyState") == "complete"
    )


def shoot(chrome: WebDriver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = chrome.execute_script("return document.documentElement.scrollHeight")
    chrome.set_window_size(1280, min(int(height), 8000))
    assert chrome.save_screenshot(str(path)), path
    assert path.stat().st_size > 10_000, "a screenshot of a real page"
    return path


def test_a_reader_opens_the_report_and_picks_period_and_moment(
    stack: Stack, browser: WebDriver, shared_dir: Path
) -> None:
    url = page_url(stack)
    expected = expected_report(shared_dir / "data" / f"portfolio-{PERIOD}.tsv")

    # The current report: the newest period reported, now.
    browser.get(url)
    assert browser.title == "Nasjonal e-helseportefølje – rapport for mars 2020"  # noqa: RUF001
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb"
    period = Select(browser.find_element(By.ID, "period"))
    assert period.first_selected_option.get_attribute("value") == PERIOD
    assert {o.get_attribute("value") for o in period.options} >= {"2020-01", PERIOD}
    figures = key_figures(browser)
    assert figures["tiltak"] == str(expected["measure_count"]) == "52"
    assert figures["budsjett 2020"] == nb_number(round(expected["budget_total_nok"] / 1e6))
    assert len(browser.find_elements(By.CSS_SELECTOR, "figure svg")) >= 3, "the charts"
    assert browser.find_elements(By.CSS_SELECTOR, ".note"), "the red ones, explained"
    shoot(browser, "portfolio-2020-03")

    # The reader picks January with the form: the page says what the CLI says for it.
    Select(browser.find_element(By.ID, "period")).select_by_value("2020-01")
    submit(browser)
    assert "period=2020-01" in browser.current_url
    january = cli_report(stack, "portfolio", "--period", "2020-01")
    figures = key_figures(browser)
    assert figures["tiltak"] == nb_number(january["measure_count"])
    assert january["measure_count"] > 0
    shoot(browser, "portfolio-2020-01")

    # ... and a moment: mid-March 2020 nothing had been reported for March yet.
    Select(browser.find_element(By.ID, "period")).select_by_value(PERIOD)
    moment = browser.find_element(By.ID, "as_of")
    browser.execute_script("arguments[0].value = '2020-03-15T12:00'", moment)
    submit(browser)
    assert "as_of=2020-03-15T12%3A00" in browser.current_url
    assert browser.find_element(By.ID, "as_of").get_attribute("value") == "2020-03-15T12:00"
    then = cli_report(
        stack, "portfolio", "--period", PERIOD, "--as-of", "2020-03-15T12:00:00+01:00"
    )
    assert key_figures(browser)["tiltak"] == nb_number(then["measure_count"]) == "0"
    shoot(browser, "portfolio-2020-03-as-of-2020-03-15")

    # A moment later, on the recorded axis: what the system had recorded by then.
    Select(browser.find_element(By.ID, "axis")).select_by_value("recorded")
    moment = browser.find_element(By.ID, "as_of")
    browser.execute_script("arguments[0].value = '2099-01-01T00:00'", moment)
    submit(browser)
    assert "axis=recorded" in browser.current_url
    assert key_figures(browser)["tiltak"] == "52"


def test_the_corona_page_and_the_downloads(stack: Stack, browser: WebDriver) -> None:
    url = page_url(stack)
    browser.get(url)
    browser.find_element(By.LINK_TEXT, "Koronaporteføljen").click()
    assert browser.current_url.rstrip("/").endswith("/korona")
    korona = cli_report(stack, "korona")
    assert key_figures(browser)["forslag"] == nb_number(korona["total"])
    shoot(browser, "korona")

    browser.get(url)
    pdf_link = browser.find_element(By.LINK_TEXT, "PDF").get_attribute("href")
    assert pdf_link
    with urllib.request.urlopen(pdf_link, timeout=60) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.read(5) == b"%PDF-"

    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(f"{url}?period=2020-13", timeout=30)
    assert bad.value.code == 400
    assert "rapporteringsperiode" in bad.value.read().decode()
