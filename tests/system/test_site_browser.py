"""The support site in real headless Chromium, against `maild serve` as a
subprocess and a real aiosmtpd relay sink: the whole path of issue 23.

MAILD_SCREENSHOTS=DIR also saves the screenshots there (docs/ holds the ones
the README shows).
"""

from __future__ import annotations

import os
import shutil
import smtplib
import time

import pytest

from tests.helpers import Daemon, make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_web import PNG
from tests.webclient import link_in, site_desk

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run)"
)
CUSTOMER = "ivan@shop-example.ru"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """One headless Chromium for the module's tests (starting one costs about as much
    CPU as a test's pages); `browser` hands it to each test as a new one would be."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=ru-RU",
        "--window-size=900,1300",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium):
    """The module's Chromium on a blank page, its first window size, no cookies."""
    chromium.get("about:blank")
    chromium.delete_all_cookies()
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})  # every site's
    chromium.set_window_size(900, 1300)
    return chromium


@pytest.fixture
def served(tmp_path, sink):
    desk, base = site_desk(tmp_path, sink.port)
    daemon = Daemon(desk).start()
    assert wait_until(lambda: "site on" in daemon.logtext(), 10)
    yield desk, daemon, base
    daemon.stop()


def screenshot(driver, tmp_path, name: str) -> None:
    driver.save_screenshot(str(tmp_path / name))
    target = os.environ.get("MAILD_SCREENSHOTS")
    if target:
        shutil.copy(tmp_path / name, os.path.join(target, name))


def shown(browser, css: str, text: str, timeout: float = 20, reload: bool = True) -> bool:
    """Wait until the element holds `text` (a post waits for the pipeline, and the
    machine may be busy), reloading the page every few tries."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    tries = 0
    while time.monotonic() < deadline:
        try:
            if text in browser.find_element(By.CSS_SELECTOR, css).text:
                return True
        except WebDriverException:
            pass
        tries += 1
        time.sleep(0.2)
        if reload and tries % 10 == 0:
            browser.refresh()
    return False


def send(daemon, raw: bytes, sender: str, to: str = "support@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:
        s.sendmail(sender, [to], raw)


def test_mail_link_reply_close_rate_in_a_browser(served, sink, browser, tmp_path):
    from selenium.webdriver.common.by import By

    desk, daemon, base = served
    text = "Здравствуйте! После обновления корзина выдаёт «Ошибка 500». Что делать?"
    raw = make_mail(body=text, subject="Не работает корзина", charset="windows-1251")
    assert b'charset="windows-1251"' in raw
    send(daemon, raw, CUSTOMER)
    [conf] = wait_until(lambda: sink.to(CUSTOMER))
    tid = conf.subject.split("[TID#")[1].rstrip("]")
    browser.get(link_in(conf.text, base))
    assert text in browser.find_element(By.CSS_SELECTOR, ".thread").text

    png = tmp_path / "screen.png"
    png.write_bytes(PNG)
    staff_before = len(sink.to("anna@example.com"))
    browser.find_element(By.ID, "text").send_keys("Прикладываю скриншот ошибки.")
    browser.find_element(By.ID, "files").send_keys(str(png))
    browser.find_element(By.CSS_SELECTOR, "form.reply button").click()
    assert shown(browser, ".thread", "screen.png")

    [note] = wait_until(lambda: sink.to("anna@example.com")[staff_before:])
    assert "Прикладываю скриншот ошибки." in note.text
    assert [p.get_filename() for p in note.msg.iter_attachments()] == ["screen.png"]

    # Anna answers the notice: to its Reply-To, signed for her (what makes it staff)
    reply_to = note.msg["Reply-To"].addresses[0].addr_spec
    assert reply_to == staff_to(tid)
    reply = make_mail(
        sender="Анна <anna@example.com>",
        to=reply_to,
        subject=f"Re: Не работает корзина [TID#{tid}]",
        body="#close\nИсправили настройки кеша, корзина работает.",
    )
    send(daemon, reply, "anna@example.com", reply_to)
    assert wait_until(lambda: desk.ticket(tid)["status"] == "closed")
    browser.refresh()
    assert shown(browser, ".thread", "Исправили настройки кеша")
    assert "#close" not in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "form.rate button[value='5']").click()
    assert wait_until(lambda: desk.ticket(tid).get("rating") == 5 or None) is not None
    browser.refresh()
    assert shown(browser, "#rating", "5 из 5")
    assert browser.find_elements(By.CSS_SELECTOR, "form.rate") == []
    assert "Открыть обращение снова" in browser.page_source
    screenshot(browser, tmp_path, "site-ticket.png")


def test_ask_a_question_form_confirmation_and_ticket(served, sink, browser, tmp_path):
    from selenium.webdriver.common.by import By

    desk, _daemon, base = served
    browser.set_window_size(420, 1100)  # a phone
    browser.get(base + "/new")
    for field, value in [
        ("name", "Ольга"),
        ("email", "olga@client.example"),
        ("subject", "Как выгрузить заказы в 1С?"),
        ("text", "Подскажите, пожалуйста, где настройка выгрузки."),
    ]:
        browser.find_element(By.ID, field).send_keys(value)
    screenshot(browser, tmp_path, "site-form.png")
    browser.find_element(By.CSS_SELECTOR, "form.ask-form button").click()
    assert shown(browser, "h1", "Проверьте почту", reload=False)
    [mail] = wait_until(lambda: sink.to("olga@client.example"))
    assert desk.tickets() == []  # nothing until the address is confirmed
    browser.get(link_in(mail.text, base, "c"))
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    # the ticket, or first a page that refreshes itself until the ticket is open
    assert shown(browser, ".thread", "Подскажите, пожалуйста", reload=False)
    [t] = desk.tickets()
    assert t["requester"] == "olga@client.example" and t["level"] == "free"
    confirmations = wait_until(lambda: sink.to("olga@client.example")[1:])
    assert f"[TID#{t['tid']}]" in confirmations[0].subject


def test_a_ticket_page_fits_a_phones_screen(served, sink, browser):
    """On a 360 px phone the whole page scrolled sideways: the facts («Максимальное
    время реакции» beside its value) were wider than the screen, and so was a
    screenshot's or refused file's name, one unbroken word wrapped nowhere."""
    desk, daemon, base = served
    browser.set_window_size(360, 800)  # headless Chromium keeps 500 px at least
    shot = "Screenshot_20261203-101532_com.android.chrome_oformlenie_zakaza_oshibka.png"
    bmp = "Снимок_экрана_с_ошибкой_оформления_заказа_в_корзине_магазина.bmp"
    raw = make_mail(attachments=[(shot, "image/png", PNG), (bmp, "image/bmp", b"BM" + bytes(60))])
    send(daemon, raw, CUSTOMER)
    [conf] = wait_until(lambda: sink.to(CUSTOMER))
    browser.get(link_in(conf.text, base))
    assert shown(browser, ".files", shot, reload=False) and bmp in browser.page_source
    wide, screen = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert wide <= screen
    # each fact's value under its name, as wide as the page: beside it (the narrow
    # screen's rule of site.css missing), a 40 px column broke it every 3-4 letters
    values = browser.execute_script(
        "return [...document.querySelectorAll('.facts dd')]"
        ".map(e => Math.round(e.getBoundingClientRect().width))"
    )
    assert values and min(values) > screen / 2, (values, screen)


def page_width(browser) -> tuple[int, int]:
    """(how wide the page is, how wide the window shows it): wider scrolls sideways."""
    return browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )


def test_the_confirmation_pages_fit_a_phones_screen(served, sink, browser):
    """A long address, a subject holding a URL: «Проверьте почту» and «Подтвердите
    обращение» were wider than a phone's screen, the address and the subject cut at its
    right edge, since only the ticket page's parts broke a long word."""
    from selenium.webdriver.common.by import By

    _desk, _daemon, base = served
    browser.set_window_size(360, 800)  # a phone
    address = "konstantin.konstantinopolsky.stroitelnaya@kompaniyastroitelnayaexample.ru"
    subject = "Ошибка на https://shop-example.ru/catalog/product/view/id/12345/category/678/page/2"
    browser.get(base + "/new")
    for field, value in [("email", address), ("subject", subject), ("text", "Не открывается.")]:
        browser.find_element(By.ID, field).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "form.ask-form button").click()
    assert shown(browser, "main", address, reload=False)
    wide, screen = page_width(browser)
    assert wide <= screen, "«Проверьте почту»"
    [mail] = wait_until(lambda: sink.to(address))
    browser.get(link_in(mail.text, base, "c"))
    assert shown(browser, "main", "Подтвердите обращение", reload=False)
    wide, screen = page_width(browser)
    assert wide <= screen, "«Подтвердите обращение»"


def test_a_reply_shown_back_to_copy_is_named_for_a_screen_reader(served, sink, browser):
    """A reply posted from a page left open while its link expired comes back in a
    read-only box to copy: that box had no label, so a screen reader, landing on it
    by Tab, read «edit text, read only» and not what it is."""
    from datetime import UTC, datetime, timedelta

    from selenium.webdriver.common.by import By

    from maild.web import tokens

    desk, daemon, base = served
    send(daemon, make_mail(), CUSTOMER)
    [conf] = wait_until(lambda: sink.to(CUSTOMER))
    link = link_in(conf.text, base)
    tid = link.rsplit("/", 1)[1].split(".")[0]
    key = (desk.root / "data" / "web_secret").read_bytes()
    old = tokens.ticket_token(key, tid, CUSTOMER, datetime.now(UTC) - timedelta(days=91), 90)
    browser.get(link)
    browser.find_element(By.ID, "text").send_keys("Напечатано, пока ссылка истекала.")
    # the page was opened while the link held; its form goes out after the link's day
    browser.execute_script(
        "document.querySelector('form.reply').action = arguments[0]", f"{base}/t/{old}/reply"
    )
    browser.find_element(By.CSS_SELECTOR, "form.reply button").click()
    assert shown(browser, "h1", "Срок действия ссылки истёк", reload=False)
    box = browser.find_element(By.CSS_SELECTOR, "textarea[readonly]")
    assert box.get_attribute("value") == "Напечатано, пока ссылка истекала."
    assert "Ваше сообщение не отправлено" in box.accessible_name
